#!/bin/sh
# (First session: its amp/em-amp records used raw pilot columns; the default is now unit columns. To reproduce them, add
# "baselines": { "ampColumnNorm": false } to the config. The network rows do not depend on this option.)
# EM under mismatch: the seed-s models of ablation.sh (trained at activity 0.05, no path loss, 10 dB) tested on slots of a
# changed scenario with the same pilots; AMP keeps the trained scenario's prior (activity 0.05), EM-AMP fits its own.
D=docs/results/jadce/n200
A="node dist/src/cli/main.js jadce"
export ADAPTUNE_NUM_THREADS=1
for seed in ${SEEDS:-0 1 2}; do
  for t in "act0.1 --test-activity 0.1" "pathloss --test-path-loss" "snr5 --test-snr 5" "snr15 --test-snr 15"; do
    set -- $t; name=$1; shift
    $A eval --from runs/jadce-abl/s$seed --methods amp,em-amp,net,net-noem "$@" --slots ${SLOTS:-500} --batch 250 --threads 1 --out $D/mismatch/$name/seed$seed
  done
done

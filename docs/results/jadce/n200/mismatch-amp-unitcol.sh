#!/bin/sh
# AMP and EM-AMP with unit-norm pilot columns (the default since issue 18's second session) on the mismatch test slots of
# mismatch.sh (same config, seeds and test scenarios, hence the same pilots and slots). From the repository root after the build.
D=docs/results/jadce/n200
export ADAPTUNE_NUM_THREADS=1
for seed in ${SEEDS:-0 1 2}; do
  for t in "act0.1 --test-activity 0.1" "pathloss --test-path-loss" "snr5 --test-snr 5" "snr15 --test-snr 15"; do
    set -- $t; name=$1; shift
    node dist/src/cli/main.js jadce eval --config $D/chosen.json --methods amp,em-amp --seed $seed "$@" --slots ${SLOTS:-500} --batch 250 --threads 1 --out $D/mismatch-unitcol/$name/seed$seed
  done
done

#!/bin/sh
# (First session: its amp/em-amp records used raw pilot columns; the default is now unit columns. To reproduce them, add
# "baselines": { "ampColumnNorm": false } to the config. The network rows do not depend on this option.)
# Equal-budget ablations and the mismatch experiment, N=200 M=16 L=24 10 dB, seeds (pilots and training) 0 1 2.
# Every network variant: same maximum steps (8 x 15 inner + 7 x 5 outer + 200 final; e2e: all 355 at the inner lr), same lr
# (chosen on validation, lr.sh), same early stopping on 256 validation slots. From the repository root after the build.
D=docs/results/jadce/n200
A="node dist/src/cli/main.js jadce"
export ADAPTUNE_NUM_THREADS=1
for seed in ${SEEDS:-0 1 2}; do
  [ -f runs/jadce-abl/s$seed/models.safetensors ] || $A train --config $D/chosen.json --methods net,net-noem,net-e2e,net-nodr --seed $seed --threads 1 --out runs/jadce-abl/s$seed
  mkdir -p $D/abl/seed$seed; cp runs/jadce-abl/s$seed/train.json $D/abl/seed$seed/train.json
  $A eval --from runs/jadce-abl/s$seed --methods amp,em-amp,fista,net,net-noem,net-e2e,net-nodr --slots ${SLOTS:-2000} --batch 250 --threads 1 --out $D/abl/seed$seed
done

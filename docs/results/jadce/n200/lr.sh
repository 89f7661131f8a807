#!/bin/sh
# Learning-rate choice on validation slots (seed 0, the full network, N=200 L=24 10 dB). From the repository root.
D=docs/results/jadce/n200
for lr in 0.001 0.01 0.03; do
  ADAPTUNE_NUM_THREADS=1 node dist/src/cli/main.js jadce train --config $D/lr-$lr.json --methods net --seed 0 --threads 1 --out runs/jadce-lr/$lr
  cp runs/jadce-lr/$lr/train.json $D/lr/train-lr$lr.json
done

#!/bin/sh
# The network with no training steps (8 AMP-initialised layers, damping 0.6, prior features fitted on 4 training batches):
# how much of the network's result is structure rather than learning. Same seeds and test slots as ablation.sh.
D=docs/results/jadce/n200
A="node dist/src/cli/main.js jadce"
export ADAPTUNE_NUM_THREADS=1
for seed in 0 1 2; do
  [ -f runs/jadce-untrained/s$seed/models.safetensors ] || $A train --config $D/chosen.json --methods net,net-nodr --inner-steps 0 --outer-steps 0 --final-steps 0 --seed $seed --threads 1 --out runs/jadce-untrained/s$seed
  $A eval --from runs/jadce-untrained/s$seed --methods net,net-nodr --slots 2000 --batch 250 --threads 1 --out $D/untrained/seed$seed
done

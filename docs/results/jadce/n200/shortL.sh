#!/bin/sh
# (First session: its amp/em-amp records used raw pilot columns; the default is now unit columns. To reproduce them, add
# "baselines": { "ampColumnNorm": false } to the config. The network rows do not depend on this option.)
# The network at shorter pilots (L = 20 and 16, 10 dB): same config and budget as ablation.sh, net and AMP on the same
# 2,000 test slots per seed, seeds 0 1 2. From the repository root after the build.
D=docs/results/jadce/n200
A="node dist/src/cli/main.js jadce"
export ADAPTUNE_NUM_THREADS=1
for L in ${LS:-20 16}; do for seed in 0 1 2; do
  [ -f runs/jadce-L$L/s$seed/models.safetensors ] || $A train --config $D/chosen.json --pilot-length $L --methods net --seed $seed --threads 1 --out runs/jadce-L$L/s$seed
  $A eval --from runs/jadce-L$L/s$seed --methods amp,em-amp,net --slots ${SLOTS:-2000} --batch 250 --threads 1 --out $D/L$L/seed$seed
done; done

#!/bin/sh
# AMP and EM-AMP with the unit-norm pilot columns (the default since issue 18's second session) on the same 2,000 test
# slots per seed as ablation.sh (same config and seeds, so the same pilots and slots). From the repository root after the build.
D=docs/results/jadce/n200
for seed in ${SEEDS:-0 1 2}; do
  ADAPTUNE_NUM_THREADS=1 node dist/src/cli/main.js jadce eval --config $D/chosen.json --methods amp,em-amp --seed $seed --slots ${SLOTS:-2000} --batch 250 \
    --threads 1 --out $D/abl-unitcol/seed$seed
done

#!/bin/sh
# Issue 18, third session: the N = 500 grid again with 300 slots per point (3 pilot draws, seeds 0 1 2, x 100 slots), AMP's
# defaults (unit columns, scalar Onsager, damping 0.6, 100 iterations, oracle prior); the records carry the finite-N SE
# pooled over the Binomial K and over the slots' own K. From the repository root after the build.
for seed in ${SEEDS:-0 1 2}; do
  ADAPTUNE_NUM_THREADS=1 node dist/src/cli/main.js jadce se --config docs/results/jadce/se/config.json --pilot-lengths 30,40,60 --snrs 0,5,10,15,20 \
    --onsager scalar --damping 0.6 --iterations 100 --slots 100 --batch 20 --seed $seed --se-samples 100000 --threads 1 --out docs/results/jadce/se/unitcol300/seed$seed
done

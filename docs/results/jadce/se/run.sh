#!/bin/sh
# AMP (scalar Onsager, damping 0.6, 100 iterations, oracle prior, posterior detection) against its state evolution,
# N=500 M=16 activity 0.05, per-slot SNR, 20 slots per (L, SNR), pilot seed 0. From the repository root after the build.
# (Seeds 1 and 2 were not run: the shared machine gave one point about 3 minutes.)
ADAPTUNE_NUM_THREADS=1 node dist/src/cli/main.js jadce se --config docs/results/jadce/se/config.json --pilot-lengths 30,40,60 --snrs 0,5,10,15,20 \
  --onsager scalar --damping 0.6 --iterations 100 --slots 20 --batch 10 --seed 0 --threads 1 --out docs/results/jadce/se/scalar/seed0

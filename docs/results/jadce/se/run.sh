#!/bin/sh
# AMP (scalar Onsager, damping 0.6, 100 iterations, oracle prior, posterior detection, unit-norm pilot columns: the
# default) against its state evolution (large-system and finite-N), N=500 M=16 activity 0.05, per-slot SNR,
# 30 slots per (L, SNR) for each of 3 pilot draws (seeds 0 1 2). From the repository root after the build.
# The first session's run (20 slots, seed 0, raw columns) is kept in scalar/seed0; its command was this one with
# --slots 20 --seed 0 --out docs/results/jadce/se/scalar/seed0 and --config docs/results/jadce/se/config-raw.json (raw columns).
for seed in ${SEEDS:-0 1 2}; do
  ADAPTUNE_NUM_THREADS=1 node dist/src/cli/main.js jadce se --config docs/results/jadce/se/config.json --pilot-lengths 30,40,60 --snrs 0,5,10,15,20 \
    --onsager scalar --damping 0.6 --iterations 100 --slots ${SLOTS:-30} --batch 10 --seed $seed --se-samples 200000 --threads 1 --out docs/results/jadce/se/unitcol/seed$seed
done

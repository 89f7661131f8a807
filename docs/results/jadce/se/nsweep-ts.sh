#!/bin/sh
# Issue 18, third session: adaptune's AMP (unit columns, scalar Onsager, damping 0.6, 100 iterations) against its finite-N SE
# at the ratios of the grid's L = 30 row (N/L = 16.7, activity 0.05, M = 16) for N = 1000 and 2000. From the repository root after the build.
J="node dist/src/cli/main.js jadce se --config docs/results/jadce/se/config.json --onsager scalar --damping 0.6 --iterations 100 --seed 0 --threads 1 --se-samples 100000"
export ADAPTUNE_NUM_THREADS=1
$J --devices 1000 --pilot-lengths 60 --snrs 5,10,20 --slots 60 --batch 10 --out docs/results/jadce/se/unitcol-n1000
$J --devices 2000 --pilot-lengths 120 --snrs 10,20 --slots 20 --batch 5 --out docs/results/jadce/se/unitcol-n2000

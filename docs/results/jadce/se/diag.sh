#!/bin/sh
# First session (raw pilot columns: config-raw.json). Diagnostics at 10 dB: the matrix Onsager form and undamped scalar AMP at N=500; the scalar form at N=1000 and 2000 with
# the same N/L and activity (finite-size check of the L=30 and L=40 gaps). From the repository root after the build.
J="node dist/src/cli/main.js jadce se --config docs/results/jadce/se/config-raw.json --snrs 10 --seed 0 --threads 1 --iterations 100"
export ADAPTUNE_NUM_THREADS=1
$J --pilot-lengths 40,60 --onsager matrix --damping 0.6 --slots 20 --batch 10 --out docs/results/jadce/se/matrix
$J --pilot-lengths 40 --onsager scalar --damping 1 --slots 20 --batch 10 --out docs/results/jadce/se/undamped
$J --devices 1000 --pilot-lengths 60,80 --onsager scalar --damping 0.6 --slots 10 --batch 5 --out docs/results/jadce/se/n1000
$J --devices 2000 --pilot-lengths 120,160 --onsager scalar --damping 0.6 --slots 5 --batch 5 --out docs/results/jadce/se/n2000

#!/bin/sh
# AMP (unit-norm pilot columns, the default since issue 18's second session) against L (10 dB) and SNR (L = 24) with the
# large-system and finite-N state evolution, N=200 M=16 activity 0.05, pilot seeds 0 1 2, 2,000 test slots per point
# and seed. EM-AMP and FISTA were not rerun at this size (CPU); their 200-slot rows are in sweep/ (sweep.sh).
# From the repository root after the build.
ADAPTUNE_NUM_THREADS=1 node dist/src/cli/main.js jadce sweep --config docs/results/jadce/n200/chosen.json --pilot-lengths 16,20,24,32,40 --fixed-snr 10 \
  --snrs 0,5,10,15,20 --fixed-pilot-length 24 --seeds 0,1,2 --methods amp --slots ${SLOTS:-2000} --batch 250 --se-samples 100000 \
  --threads 1 --out docs/results/jadce/n200/sweep-amp

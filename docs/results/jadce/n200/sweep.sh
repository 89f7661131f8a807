#!/bin/sh
# (First session: its amp/em-amp records used raw pilot columns; the default is now unit columns. To reproduce them, add
# "baselines": { "ampColumnNorm": false } to the config. The network rows do not depend on this option.)
# Baselines against L (10 dB) and SNR (L = 24) with AMP's state evolution, N=200 M=16 activity 0.05, pilot seeds 0 1 2,
# 200 test slots per point and seed (the network only at L=24 / 10 dB: ablation.sh). From the repository root after the build.
ADAPTUNE_NUM_THREADS=1 node dist/src/cli/main.js jadce sweep --config docs/results/jadce/n200/chosen.json --pilot-lengths 16,20,24,32,40 --fixed-snr 10 \
  --snrs 0,5,10,15,20 --fixed-pilot-length 24 --seeds 0,1,2 --methods amp,em-amp,fista --slots ${SLOTS:-200} --batch 100 --se-samples 100000 \
  --threads 1 --out docs/results/jadce/n200/sweep

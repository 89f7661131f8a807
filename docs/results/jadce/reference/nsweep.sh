#!/bin/sh
# Issue 18, third session: is AMP's gap to its SE at L = 30 (N = 500) a finite-size effect? NumPy (per_k.py), single-threaded.
# From the repository root; appends JSON lines to docs/results/jadce/reference/{nsweep,fixedk,variants}.jsonl.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PY=${PY:-/usr/bin/python3}
R=docs/results/jadce/reference
# 1. Binomial K at the grid's ratios (N/L = 16.7, activity 0.05, M = 16), seed 1: N = 500 / 1000 / 2000 / 4000 with
#    200 / 60 / 20 / 6 slots, 10 and 20 dB; and 5 and 15 dB at N = 500 (200 slots) and N = 1000 (60 slots).
for snr in 10 20; do
  N=500  BATCH=20 $PY $R/per_k.py 30  $snr 200 1 >> $R/nsweep.jsonl
  N=1000 BATCH=10 $PY $R/per_k.py 60  $snr 60  1 >> $R/nsweep.jsonl
  N=2000 BATCH=5  $PY $R/per_k.py 120 $snr 20  1 >> $R/nsweep.jsonl
  N=4000 BATCH=2  $PY $R/per_k.py 240 $snr 6   1 >> $R/nsweep.jsonl
done
for snr in 5 15; do
  N=500  BATCH=20 $PY $R/per_k.py 30 $snr 200 1 >> $R/nsweep.jsonl
  N=1000 BATCH=10 $PY $R/per_k.py 60 $snr 60  1 >> $R/nsweep.jsonl
done
# 2. Exactly K active devices, seed 0: K = 0.9 L at 10 dB for N = 500 / 1000 / 2000 / 4000 with 40 / 20 / 10 / 4 slots;
#    at 20 dB K = 0.9 L (N = 500) and K = L (N = 500 / 1000 / 2000).
N=500  FIXK=0.9            $PY $R/per_k.py 30  10 40 0 >> $R/fixedk.jsonl
N=1000 FIXK=0.9 BATCH=10   $PY $R/per_k.py 60  10 20 0 >> $R/fixedk.jsonl
N=2000 FIXK=0.9 BATCH=5    $PY $R/per_k.py 120 10 10 0 >> $R/fixedk.jsonl
N=4000 FIXK=0.9 BATCH=2    $PY $R/per_k.py 240 10 4  0 >> $R/fixedk.jsonl
N=500  FIXK=0.9            $PY $R/per_k.py 30  20 40 0 >> $R/fixedk.jsonl
N=500  FIXK=1.0            $PY $R/per_k.py 30  20 40 0 >> $R/fixedk.jsonl
N=1000 FIXK=1.0 BATCH=10   $PY $R/per_k.py 60  20 20 0 >> $R/fixedk.jsonl
N=2000 FIXK=1.0 BATCH=5    $PY $R/per_k.py 120 20 10 0 >> $R/fixedk.jsonl
# 3. AMP variants and damped VAMP on the same 40 slots (K = 27, L = 30, N = 500, 10 dB).
N=500 FIXK=0.9 $PY $R/fixed_k_variants.py 30 10 40 base,undamped,d0.3x300,d0.8,lam=K/N,tau-median,vamp-d0.3,vamp-d0.6 >> $R/variants-fixedk.jsonl

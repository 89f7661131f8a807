#!/bin/sh
# NumPy reference: damped scalar-Onsager MMV-AMP against SE over the grid (N=500, M=16, per-slot SNR).
for l in 30 40 60; do for s in 0 5 10 15 20; do
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 mmv_amp_ref.py --l $l --snr $s --onsager ${ONS:-scalar} --damping ${DAMP:-0.6} --iters ${ITERS:-100} --slots ${SLOTS:-20} --se-samples 100000
done; done

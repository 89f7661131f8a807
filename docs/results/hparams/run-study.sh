#!/bin/bash
# The exact sequence of adaptune hparams runs behind docs/results/hparams.md (2026-11-27, commit 20dc304 + working tree of
# that afternoon; run from a frozen copy of dist/). Every command is resumable: a finished cell is reused.
# 15 epochs per cell, --threads 1. The original ran with --out under /tmp/hp4/runs; runs/hp here.
set -e
A="adaptune hparams --labels-per-class 100 --epochs 15 --threads 1"
R=runs/hp
cell() { local n=${1#*:}; $A --data $1 --seed $2 --elr $3 --momentum $4 --regularizer $5 --out $R/$n-s$2/grid --json > /dev/null; }
# the full grid on T_mid, one command (12 cells)
$A --data fmnist:target-mid --seed 0 --elr 0.01,0.03,0.1,0.3 --momentum 0,0.9,0.99 --regularizer l2 --out $R/target-mid-s0/grid
# then one cell per command, in this order (target seed elr momentum regularizer)
cell fmnist:target-shift 0 0.1 0.9 l2
cell textures:target-far 0 0.1 0.9 l2
cell fmnist:target-shift 0 0.3 0.9 l2
cell textures:target-far 0 0.3 0.9 l2
cell fmnist:target-mid 0 0.1 0.9 l2-sp
cell textures:target-far 0 0.1 0.9 l2-sp
cell fmnist:target-shift 0 0.1 0.9 l2-sp
cell fmnist:target-mid 1 0.1 0.9 l2
cell fmnist:target-shift 0 0.03 0.9 l2
cell textures:target-far 0 0.03 0.9 l2
cell fmnist:target-mid 0 1 0.99 l2
cell fmnist:target-mid 0 0.3 0.9 l2-sp
cell fmnist:target-shift 0 0.3 0.9 l2-sp
cell textures:target-far 0 0.3 0.9 l2-sp
cell fmnist:target-shift 0 1 0.9 l2
cell textures:target-far 0 1 0.9 l2
cell fmnist:target-shift 1 0.1 0.9 l2
cell textures:target-far 1 0.1 0.9 l2
cell fmnist:target-mid 1 0.1 0.9 l2-sp
cell fmnist:target-shift 1 0.1 0.9 l2-sp
cell textures:target-far 1 0.1 0.9 l2-sp
cell fmnist:target-mid 1 0.3 0.9 l2
cell fmnist:target-shift 1 0.3 0.9 l2
cell textures:target-far 1 0.3 0.9 l2
cell fmnist:target-mid 0 1 0.9 l2
cell fmnist:target-mid 1 0.1 0 l2
cell fmnist:target-mid 1 0.1 0.99 l2
cell fmnist:target-mid 1 0.3 0 l2
cell fmnist:target-mid 1 0.3 0.99 l2
cell fmnist:target-shift 1 1 0.9 l2
cell textures:target-far 1 1 0.9 l2
cell fmnist:target-shift 1 0.03 0.9 l2
cell textures:target-far 1 0.03 0.9 l2
# the study file and figure
adaptune hparams --collect $(ls -d $R/*/grid | paste -sd,) --study docs/results/hparams/study.json --threads 1

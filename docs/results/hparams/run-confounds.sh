#!/bin/bash
# The exact adaptune commands behind the section "Confounds tested afterwards" of docs/results/hparams.md (issue 19,
# follow-up of run-study.sh on the same protocol: the same label draws per seed, 20 % of the labelled images held out
# for validation, --threads 1; one run at a time at low priority, in the order below). Resumable: a finished cell is reused.
set -e
R=${R:-/work/exp/hparams}
A="adaptune hparams --labels-per-class 100 --val-fraction 0.2 --threads 1"
# (i) the budget for m = 0.99: T_mid at elr 0.1, m = 0.99 and 0.9, 45 epochs (540 steps, 3x the study's 180)
for s in 0 1 2; do for m in 0.99 0.9; do
  $A --data fmnist:target-mid --seed $s --epochs 45 --elr 0.1 --momentum $m --regularizer l2 --out $R/target-mid-s$s-ep45/grid
done; done
# reproduction check (not collected): one of the study's cells rerun from this build, to compare with its record
$A --data fmnist:target-near --seed 0 --epochs 15 --elr 0.03 --momentum 0.9 --regularizer l2 --out $R/repro/target-near-s0/grid
# (iii) L2-SP alpha 0.1 and 1 at each end's own best elr (on validation): T_near 0.03, T_sshift 0.3; 15 epochs as the study
# (their plain L2 1e-4 baselines at these elrs are the elr line's cells, already in study.json)
for s in 0 1 2; do
  $A --data fmnist:target-near --seed $s --epochs 15 --elr 0.03 --momentum 0.9 --regularizer l2-sp --alpha 0.1,1 --out $R/target-near-s$s/grid
  $A --data fmnist:target-source-shift --seed $s --epochs 15 --elr 0.3 --momentum 0.9 --regularizer l2-sp --alpha 0.1,1 --out $R/target-source-shift-s$s/grid
done
# (i) the same at elr 0.3, 45 epochs
for s in 0 1 2; do for m in 0.99 0.9; do
  $A --data fmnist:target-mid --seed $s --epochs 45 --elr 0.3 --momentum $m --regularizer l2 --out $R/target-mid-s$s-ep45/grid
done; done
# extras, run after the above while time allowed:
# (i) m = 0 at 45 epochs, elr 0.1 and 0.3 (completes T_mid's momentum grid at the longer budget)
for s in 0 1 2; do
  $A --data fmnist:target-mid --seed $s --epochs 45 --elr 0.1,0.3 --momentum 0 --regularizer l2 --out $R/target-mid-s$s-ep45/grid
done
# (iii) the rest of the elr-0.1 sweep's rows at the best elrs: L2-SP at its default alpha 0.01, plain L2 at 0.1
for s in 0 1 2; do
  $A --data fmnist:target-near --seed $s --epochs 15 --elr 0.03 --momentum 0.9 --regularizer both --alpha 0.01 --weight-decay 0.1 --out $R/target-near-s$s/grid
  $A --data fmnist:target-source-shift --seed $s --epochs 15 --elr 0.3 --momentum 0.9 --regularizer both --alpha 0.01 --weight-decay 0.1 --out $R/target-source-shift-s$s/grid
done
# extras 2: (ii)'s budget confound, the m = 0.9 elr line at 45 epochs on T_mid (elr 1 added), T_near and T_sshift
for s in 0 1 2; do
  $A --data fmnist:target-mid --seed $s --epochs 45 --elr 1 --momentum 0.9 --regularizer l2 --out $R/target-mid-s$s-ep45/grid
done
for s in 0 1 2; do
  $A --data fmnist:target-near --seed $s --epochs 45 --elr 0.03,0.1,0.3 --momentum 0.9 --regularizer l2 --out $R/target-near-s$s-ep45/grid
done
for s in 0 1 2; do
  $A --data fmnist:target-source-shift --seed $s --epochs 45 --elr 0.1,0.3,1 --momentum 0.9 --regularizer l2 --out $R/target-source-shift-s$s-ep45/grid
done
# the per-run records beside the page (45-epoch cells under records/target-mid-s<seed>-ep45/), then the two studies:
# the 15-epoch study (study.json/.md/.svg) recollected from all its records, the 45-epoch cells as study-45ep.json/.md/.svg
for d in $R/target-*/grid/*/; do
  g=$(basename $(dirname $(dirname $d))); c=$(basename $d)
  mkdir -p docs/results/hparams/records/$g/$c && for f in config summary; do python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(',', ':')))" $d/$f.json > docs/results/hparams/records/$g/$c/$f.json; done
done
adaptune hparams --collect $(ls -d docs/results/hparams/records/target-*-s[0-9] | paste -sd,) --study docs/results/hparams/study.json --threads 1
adaptune hparams --collect $(ls -d docs/results/hparams/records/target-*-ep45 | paste -sd,) --study docs/results/hparams/study-45ep.json --threads 1
# fourth session (lead, run from commit 38f6d01 into /work/exp/lead/hp; records copied in and study.json recollected as above):
# (i) the fixed-lr half on T_mid (lr 0.01: m = 0 at elr 0.01, m = 0.99 at elr 1; m = 0.9 at elr 0.1 is the study's cell)
for s in 0 1 2; do
  $A --data fmnist:target-mid --seed $s --epochs 15 --elr 0.01 --momentum 0 --regularizer l2 --out $R/target-mid-s$s/grid
  $A --data fmnist:target-mid --seed $s --epochs 15 --elr 1 --momentum 0.99 --regularizer l2 --out $R/target-mid-s$s/grid
done
# (ii) below the grid's lower edge on the two most similar targets
for s in 0 1 2; do for t in target-near target-noisy; do
  $A --data fmnist:$t --seed $s --epochs 15 --elr 0.003,0.01 --momentum 0.9 --regularizer l2 --out $R/$t-s$s/grid
done; done
# (i) the momentum grid on a second target
for s in 0 1 2; do
  $A --data fmnist:target-source-shift --seed $s --epochs 15 --elr 0.1,0.3 --momentum 0,0.99 --regularizer l2 --out $R/target-source-shift-s$s/grid
done
# fifth session (issue 19 item 5; helper s2-hparams, run one at a time from frozen copies of dist/ into /work/exp/hparams,
# R=/work/exp/hparams: T_mid's L2-SP at elr 1 from commit b6e6a87's build, the other middle targets' L2-SP at their best
# elr from c9fb700's, everything else from fa465b2's (shapes v2, SHAPES_VERSION 2; the fmnist and textures tasks are the
# same in all three); records copied in as above, study.json recollected as below). Shapes v1 (c9fb700/31aabb6: disk,
# square, triangle, cross, ring) ran one seed of the elr line (100 % from elr 0.1) and was replaced; its cells are not
# in the study.
# (ii) a farther target from a second generator: shapes:target-far (T_shapes), its similarity and its m = 0.9 elr line
adaptune similarity --target fmnist:target-near,fmnist:target-noisy,fmnist:target-mid,textures:target-far,fmnist:target-shift,fmnist:target-source-shift,shapes:target-far --threads 1 --json > docs/results/hparams/similarity.json
for s in 0 1 2; do
  $A --data shapes:target-far --seed $s --epochs 15 --elr 0.03,0.1,0.3,1 --momentum 0.9 --regularizer l2 --out $R/shapes-far-s$s/grid
done
# (iii) L2-SP alpha 0.1 and 1 on the middle targets at each one's best elr on validation (T_mid 1, T_noisy 0.03,
# T_far 0.3, T_shift 0.3), T_mid first; their plain L2 1e-4 baselines are the elr line's cells
for s in 0 1 2; do
  $A --data fmnist:target-mid --seed $s --epochs 15 --elr 1 --momentum 0.9 --regularizer l2-sp --alpha 0.1,1 --out $R/target-mid-s$s/grid
done
for t in "fmnist:target-noisy 0.03" "textures:target-far 0.3" "fmnist:target-shift 0.3"; do set -- $t; for s in 0 1 2; do
  $A --data $1 --seed $s --epochs 15 --elr $2 --momentum 0.9 --regularizer l2-sp --alpha 0.1,1 --out $R/${1#*:}-s$s/grid
done; done
# (iii) on T_shapes: L2-SP at its best elr (0.3); the first pass's sweep at elr 0.1 (L2-SP 0.1 and 1, plain L2 0.1);
# L2-SP 0.01 and plain L2 0.1 at elr 0.3
for s in 0 1 2; do
  $A --data shapes:target-far --seed $s --epochs 15 --elr 0.3 --momentum 0.9 --regularizer l2-sp --alpha 0.1,1 --out $R/shapes-far-s$s/grid
done
for s in 0 1 2; do
  $A --data shapes:target-far --seed $s --epochs 15 --elr 0.1 --momentum 0.9 --regularizer both --alpha 0.1,1 --weight-decay 0.1 --out $R/shapes-far-s$s/grid
done
for s in 0 1 2; do
  $A --data shapes:target-far --seed $s --epochs 15 --elr 0.3 --momentum 0.9 --regularizer both --alpha 0.01 --weight-decay 0.1 --out $R/shapes-far-s$s/grid
done
# (iii) the elr confound: L2-SP alpha 1 at the common elr 0.1 on the middle targets (then alpha 0.1 as time allowed)
for t in fmnist:target-mid fmnist:target-noisy textures:target-far fmnist:target-shift; do for s in 0 1 2; do
  $A --data $t --seed $s --epochs 15 --elr 0.1 --momentum 0.9 --regularizer l2-sp --alpha 1 --out $R/${t#*:}-s$s/grid
done; done
# (ii) the elr grid: elr 0.03 on T_mid, T_far and T_shift (the other targets have it)
for t in fmnist:target-mid textures:target-far fmnist:target-shift; do for s in 0 1 2; do
  $A --data $t --seed $s --epochs 15 --elr 0.03 --momentum 0.9 --regularizer l2 --out $R/${t#*:}-s$s/grid
done; done
for t in fmnist:target-mid fmnist:target-noisy textures:target-far fmnist:target-shift; do for s in 0 1 2; do
  $A --data $t --seed $s --epochs 15 --elr 0.1 --momentum 0.9 --regularizer l2-sp --alpha 0.1 --out $R/${t#*:}-s$s/grid
done; done
# records and the study (the shapes cells beside the target-* ones), and the page's per-seed figures
for d in $R/shapes-far-s*/grid/*/; do
  g=$(basename $(dirname $(dirname $d))); c=$(basename $d)
  mkdir -p docs/results/hparams/records/$g/$c && for f in config summary; do python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(',', ':')))" $d/$f.json > docs/results/hparams/records/$g/$c/$f.json; done
done
adaptune hparams --collect $(ls -d docs/results/hparams/records/target-*-s[0-9] docs/results/hparams/records/shapes-far-s[0-9] | paste -sd,) --study docs/results/hparams/study.json --threads 1
node docs/results/hparams/per-seed.mjs docs/results/hparams/study.json

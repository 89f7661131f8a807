#!/bin/bash
# The schedule / gate-lr / warm-up grid of docs/results/adafilter.md ("Diagnostics, warm-up, longer schedule,
# gate lr"): fmnist:target-mid, 10 labels/class, 120 epochs (240 steps, 4x the page's schedule), seeds 0-2.
# usage: bash docs/results/adafilter/grid2.sh RUNS [WORKERS] [PID...]   (skips runs already started: RUNS/<run>.err
# exists; the PIDs, if given, hold worker slots until they exit). Rows in priority order (the CPU budget decides how many finish).
# Each run: RUNS/<name>-s<seed>.json (the --json report) and the run directory RUNS/<name>-s<seed>/ (metrics.jsonl).
# DATA (default fmnist:target-mid) and ONLY (an extended regex of row names, default all) come from the environment.
RUNS=${1:?RUNS dir}; W=${2:-2}; shift 2; HOLD=("$@")
DATA=${DATA:-fmnist:target-mid}; ONLY=${ONLY:-.}
mkdir -p "$RUNS"
EP=120; WARM=80
rows() {
  echo "af-g10-w0    --method adafilter --gate-lr-scale 10 --epochs $EP"
  echo "af-g10-w$WARM  --method adafilter --gate-lr-scale 10 --gate-warmup-steps $WARM --epochs $EP"
  echo "af-g0-w0     --method adafilter --gate-lr-scale 0 --epochs $EP"
  echo "ft10         --head-lr-scale 10 --epochs $EP"
  echo "af-g100-w$WARM --method adafilter --gate-lr-scale 100 --gate-warmup-steps $WARM --epochs $EP"
  echo "af-g100-w0   --method adafilter --gate-lr-scale 100 --epochs $EP"
  echo "af-e30       --method adafilter --epochs 30"
  echo "ft10-e30     --head-lr-scale 10 --epochs 30"
  echo "af-g1-w$WARM   --method adafilter --gate-lr-scale 1 --gate-warmup-steps $WARM --epochs $EP"
  echo "af-g1-w0     --method adafilter --gate-lr-scale 1 --epochs $EP"
  echo "af-g0-w$WARM   --method adafilter --gate-lr-scale 0 --gate-warmup-steps $WARM --epochs $EP"
}
jobs() {
  for p in "${HOLD[@]}"; do echo "while kill -0 $p 2>/dev/null; do sleep 5; done"; done
  rows | grep -E "^($ONLY) " | while read -r name flags; do
    for s in 0 1 2; do
      n="$RUNS/$name-s$s"
      [ -e "$n.err" ] && continue
      # checked again at launch: another runner may have started it meanwhile
      echo "[ -e $n.err ] || { rm -rf $n; node dist/src/cli/main.js finetune $flags --data $DATA --labels-per-class 10 --seed $s --threads 1 --out $n --json > $n.json 2> $n.err || rm -f $n.json; }"
    done
  done
}
# each run in its own session at autogroup nice 10 (plain nice does not work across sessions on the shared machine)
jobs | xargs -P "$W" -d '\n' -I{} setsid bash -c 'echo 10 > /proc/self/autogroup; {}'

#!/bin/bash
# one round (ONLY=setup for one run; EXTRA adds setups), appending a JSON line per run to $OUT: 1x2 threads, 2x1 overlap on, 2x1 overlap off (ResNet-18 w64, global batch 32)
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../.."
CPU=$(mktemp)
OUT=${OUT:-$HERE/bench-step-overlap.jsonl}
for setup in ${ONLY:-1x2 2x1-on 2x1-off $EXTRA}; do
  case $setup in
    1x2) args="--threads 2" ;;
    2x1-on) args="--nproc 2 --threads 1 --overlap on" ;;
    2x1-off) args="--nproc 2 --threads 1 --overlap off" ;;
    2x1-on-b5) args="--nproc 2 --threads 1 --overlap on --bucket-mb 5" ;;
    2x1-off-b5) args="--nproc 2 --threads 1 --overlap off --bucket-mb 5" ;;
    2x1-on-syncbn) args="--nproc 2 --threads 1 --overlap on --sync-bn on" ;;
  esac
  idle=$("$HERE/idle.sh" 10)
  read -r _ u n s i w q sq st _ < /proc/stat; b1=$((u+n+s+q+sq+st)); a1=$((b1+i+w))
  line=$(/usr/bin/time -f "%U %S" -o $CPU node dist/test/distributed/bench-step.js $args --steps 12 2>/dev/null | tail -1)
  read -r _ u n s i w q sq st _ < /proc/stat; b2=$((u+n+s+q+sq+st)); a2=$((b2+i+w))
  # CPU share (of both cores) used by processes other than the benchmark during its run
  others=$(awk -v c="$(cat $CPU)" "BEGIN{split(c,x,\" \"); o=($b2-$b1)/100-(x[1]+x[2]); if(o<0)o=0; printf \"%.2f\", o*100/($a2-$a1)}")
  echo "{\"setup\":\"$setup\",\"time\":\"$(date -u +%H:%M:%S)\",\"idleBefore\":$idle,\"othersCpu\":$others,\"load1\":$(cut -d' ' -f1 /proc/loadavg),\"result\":$line}" | tee -a $OUT
done

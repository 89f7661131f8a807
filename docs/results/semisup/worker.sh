#!/usr/bin/env bash
# One of (at most) two workers: pops the first line "NAME ARGS..." of QUEUE (under flock) and runs
#   adaptune semisup ARGS --out /work/exp/semisup/NAME --json
# at low priority (ADAPTUNE_NUM_THREADS=1, autogroup nice 10), until the queue is empty or the
# launch deadline (UTC HH:MM, default 11:00) has passed. Usage: worker.sh QUEUE [DEADLINE]
set -u
Q=$1; DL=${2:-11:00}; EXP=/work/exp/semisup; CLI=${CLI:-dist/src/cli/main.js}
while :; do
  [[ $(date -u +%H:%M) < $DL ]] || { echo "$(date -u +%T) deadline $DL: stop"; exit 0; }
  line=$(flock "$Q.lock" bash -c 'l=$(head -n1 "$0"); [ -n "$l" ] && sed -i 1d "$0"; echo "$l"' "$Q")
  [ -n "$line" ] || { echo "$(date -u +%T) queue empty"; exit 0; }
  name=${line%% *}; args=${line#* }
  [ -e "$EXP/$name/summary.json" ] && { echo "skip $name (done)"; continue; }
  echo "$(date -u +%T) start $name: $args"
  ADAPTUNE_NUM_THREADS=1 node "$CLI" semisup $args --out "$EXP/$name" --json >"$EXP/$name.json" 2>"$EXP/$name.err" &
  pid=$!; echo 10 > /proc/$pid/autogroup
  wait $pid; echo "$(date -u +%T) end $name rc=$?"
done

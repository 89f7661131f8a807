#!/bin/bash
# Runs the jobs of a queue file (one `NAME<TAB>FLAGS` line each) with W workers; each worker takes the first
# line left. Every job: ADAPTUNE_NUM_THREADS=1, nice -n 5, `adaptune anomaly FLAGS --threads 1 --json --out runs/anomaly19/NAME`,
# wall and user seconds appended to runs/anomaly19/times.tsv. Usage: queue.sh QUEUE_FILE [W=2]
set -u
Q=$1; W=${2:-2}; R=runs/anomaly19; mkdir -p $R
worker() {
  while true; do
    line=$(flock "$Q.lock" bash -c "head -n1 '$Q'; sed -i 1d '$Q'")
    [ -z "$line" ] && break
    name=${line%%$'\t'*}; flags=${line#*$'\t'}
    eval "args=($flags)"   # FLAGS are shell words (e.g. --set 'method.augmentations=["mixup","cutmix"]')
    /usr/bin/time -f "%e %U" -o $R/$name.time env ADAPTUNE_NUM_THREADS=1 nice -n 5 node dist/src/cli/main.js anomaly "${args[@]}" --threads 1 --json --out $R/$name > $R/$name.json 2> $R/$name.err
    printf '%s\t%s\t%s\n' "$name" "$(tr '\n' ' ' < $R/$name.time)" "$flags" >> $R/times.tsv
  done
}
for i in $(seq 1 $W); do worker & done
wait

#!/bin/bash
# prints the idle fraction of the machine over 1 s; waits (up to $1 s) until it is >= 0.9
deadline=$(( $(date +%s) + ${1:-30} ))
while :; do
  read -r _ u n s i w q sq st _ < /proc/stat; t1=$((u+n+s+i+w+q+sq+st)); i1=$((i+w))
  sleep 1
  read -r _ u n s i w q sq st _ < /proc/stat; t2=$((u+n+s+i+w+q+sq+st)); i2=$((i+w))
  idle=$(awk "BEGIN{printf \"%.2f\", ($i2-$i1)/($t2-$t1)}")
  if awk "BEGIN{exit !($idle >= 0.9)}" || [ "$(date +%s)" -ge "$deadline" ]; then echo "$idle"; exit 0; fi
done

#!/bin/bash
# alternates the setups, each run in its own /work/quiet.sh call, until $1 seconds have passed
end=$(( $(date +%s) + $1 ))
while [ "$(date +%s)" -lt "$end" ]; do
  for s in ${SETUPS:-1x2 2x1-on 2x1-off}; do
    [ "$(date +%s)" -lt "$end" ] || break
    EXTRA= ONLY=$s /work/quiet.sh "$(dirname "$0")/round.sh" >/dev/null
  done
done

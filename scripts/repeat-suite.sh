#!/usr/bin/env bash
# Runs the full suite (what .ci/run runs, without the bootstrap) N times in a row, optionally under an artificial
# load of L busy-looping processes, and appends one line per run to a summary file:
#   scripts/repeat-suite.sh [-n RUNS] [-l LOAD_PROCS] [-o OUTDIR]
# Stops at nothing: a failed run is recorded and the next one starts (the point is to count failures).
set -uo pipefail
cd "$(dirname "$0")/.."
runs=10; load=1; out=/tmp/adaptune-repeat
while getopts n:l:o: opt; do case $opt in n) runs=$OPTARG;; l) load=$OPTARG;; o) out=$OPTARG;; *) exit 2;; esac; done
mkdir -p "$out"
hogs=()
for ((i = 0; i < load; i++)); do (while :; do :; done) & hogs+=($!); done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
commit=$(git rev-parse --short HEAD)
echo "# commit $commit, $runs runs, $load busy-loop processes, $(nproc) cores, started $(date -u +%FT%TZ)" >> "$out/summary.txt"
for ((r = 1; r <= runs; r++)); do
  t0=$(date +%s)
  ADAPTUNE_REQUIRE_ALL=1 node scripts/run-tests.mjs > "$out/run-$r.log" 2>&1
  rc=$?
  t1=$(date +%s)
  counts=$(grep -E '^ℹ (tests|pass|fail|skipped) ' "$out/run-$r.log" | awk '{printf "%s=%s ", $2, $3}')
  echo "run $r: rc=$rc ${counts}wall=$((t1 - t0))s load1=$(cut -d' ' -f1 /proc/loadavg)" >> "$out/summary.txt"
done

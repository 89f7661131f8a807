#!/usr/bin/env bash
# Builds the libtorch addon (build/Release/adaptune.node). Serialised with a
# lock so that parallel callers (tests, helpers) never build over each other.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/find-libtorch.mjs check >/dev/null
exec 9>"${TMPDIR:-/tmp}/adaptune-build.lock"
flock 9
node native/gen/generate.mjs >/dev/null
JOBS="${JOBS:-$(nproc)}"
# Build against the installed Node headers (nothing is downloaded).
NODEDIR="${npm_config_nodedir:-}"
if [ -z "$NODEDIR" ]; then
  for d in /usr /usr/local "$(dirname "$(dirname "$(command -v node)")")"; do
    if [ -f "$d/include/node/node_api.h" ]; then NODEDIR="$d"; break; fi
  done
fi
GYP=(node_modules/.bin/node-gyp --jobs "$JOBS")
[ -n "$NODEDIR" ] && GYP+=(--nodedir "$NODEDIR")
# Distributed support (native/src/dist.cc) compiles in where libgloo-dev's headers are
# (binding.gyp adds -DUSE_C10D_GLOO); their appearance or removal forces a reconfigure.
GLOO=absent
[ -z "${ADAPTUNE_NO_GLOO:-}" ] && { [ -f /usr/include/gloo/algorithm.h ] || [ -f /usr/local/include/gloo/algorithm.h ]; } && GLOO=present
if [ -f build/Makefile ] && [ build/config.gypi -nt binding.gyp ] && [ "$(ls native/src/*.cc native/src/generated/*.cc | wc -l)" = "$(cat build/.ncc 2>/dev/null)" ] && [ "$GLOO" = "$(cat build/.gloo 2>/dev/null)" ]; then
  "${GYP[@]}" build >build.log 2>&1 || { tail -40 build.log; exit 1; }
else
  "${GYP[@]}" rebuild >build.log 2>&1 || { tail -40 build.log; exit 1; }
  ls native/src/*.cc native/src/generated/*.cc | wc -l > build/.ncc
  echo "$GLOO" > build/.gloo
fi

#!/usr/bin/env bash
# Builds build/Release/adaptune.node with g++ directly (no node-gyp, no Python),
# for machines that have libtorch and Node-API headers but no npm toolchain, e.g.
# the GPU machine used for device checks. Usage:
#   LIBTORCH=/path/to/torch NODE_API_INCLUDE=/path/to/node/headers bash scripts/build-native-direct.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${NODE_API_INCLUDE:=/usr/include/node}"
node_bin="${NODE:-node}"
"$node_bin" native/gen/generate.mjs >/dev/null
INC=$("$node_bin" scripts/find-libtorch.mjs include)
LIBS=$("$node_bin" scripts/find-libtorch.mjs libs)
FLAGS=(-std=c++17 -O2 -fPIC -fexceptions -frtti -w -DNAPI_VERSION=8 -DNODE_ADDON_API_CPP_EXCEPTIONS
  -D_GLIBCXX_USE_CXX11_ABI=1 -I"$NODE_API_INCLUDE" -Inode_modules/node-addon-api)
for d in $INC; do FLAGS+=(-I"$d"); done
# Distributed support where libgloo-dev's headers are (GLOO_INCLUDE=/path adds another place).
for d in ${GLOO_INCLUDE:-} /usr/include /usr/local/include; do
  if [ -z "${ADAPTUNE_NO_GLOO:-}" ] && [ -f "$d/gloo/algorithm.h" ]; then FLAGS+=(-DUSE_C10D_GLOO -idirafter "$d"); break; fi
done
mkdir -p build/direct build/Release
SRCS=(native/src/*.cc native/src/generated/*.cc)
printf '%s\n' "${SRCS[@]}" | xargs -P "${JOBS:-$(nproc)}" -I{} sh -c 'g++ "$@" -c {} -o build/direct/$(echo {} | tr / _).o' _ "${FLAGS[@]}"
# shellcheck disable=SC2086
g++ -shared -o build/Release/adaptune.node build/direct/*.o $LIBS
echo "built build/Release/adaptune.node against $("$node_bin" scripts/find-libtorch.mjs libdir)"

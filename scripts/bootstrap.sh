#!/usr/bin/env bash
# Installs what adaptune needs and builds it; idempotent and silent when all is
# there (with --quiet). Steps: Debian packages (libtorch, OpenBLAS, Fashion-MNIST),
# npm ci, the native addon, the TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
QUIET=0
TESTS=0
for a in "$@"; do
  case "$a" in
    --quiet) QUIET=1 ;;
    --tests) TESTS=1 ;;  # also what the test suite uses: Chromium for the HTML-report and web-page tests
  esac
done
say() { [ "$QUIET" = 1 ] || echo "bootstrap: $*"; }
note() { echo "bootstrap: $*" >&2; }

# 1. System packages. LIBTORCH=/path replaces libtorch-dev (an official libtorch).
# libgloo-dev: headers for data-parallel training (c10d Gloo; docs/distributed.md).
PKGS=(libopenblas0-pthread dataset-fashion-mnist libgloo-dev)
[ -z "${LIBTORCH:-}" ] && PKGS=(libtorch-dev "${PKGS[@]}")
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    note "missing ${missing[*]} and no apt-get here: install libtorch yourself and set LIBTORCH=/path/to/libtorch"
    exit 1
  fi
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo); else
      note "please run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
      exit 1
    fi
  fi
  note "installing ${missing[*]} (apt-get)"
  "${SUDO[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 1b. Test-only: headless Chromium renders the HTML report and the exported web page in their tests. Best effort: the
# tests skip with a message where Chromium cannot be installed.
if [ "$TESTS" = 1 ] && [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  SUDO=()
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo); fi
  if [ "$(id -u)" = 0 ] || [ "${#SUDO[@]}" -gt 0 ]; then
    note "installing chromium (for the report and web-page tests)"
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
      || { "${SUDO[@]}" apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; } \
      || note "chromium could not be installed: the HTML-report and web-page browser tests will be skipped"
  fi
fi

# 2. npm dependencies.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  note "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# 3. The native addon, when missing or older than its sources.
addon=build/Release/adaptune.node
if [ ! -f "$addon" ] || [ -n "$(find native binding.gyp scripts/find-libtorch.mjs -newer "$addon" -type f ! -path 'native/src/generated/*' 2>/dev/null | head -1)" ]; then
  note "building the native addon (libtorch; takes a few minutes the first time)"
  bash scripts/build-native.sh
fi

# 4. TypeScript, when dist is missing or older than any source.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src test bench tsconfig.json native/gen -newer "$stamp" -type f 2>/dev/null | head -1)" ]; then
  say "compiling TypeScript"
  node native/gen/generate.mjs >/dev/null
  node_modules/.bin/tsc -p tsconfig.json
  touch "$stamp"
fi
say "ready"

#!/usr/bin/env bash
# Device checks on a lent GPU machine, as one prepared run (not part of CI):
#  1. build the addon with g++ against the CUDA libtorch of the machine's PyTorch (2.x),
#  2. run the CUDA test tier (test/device),
#  3. check safetensors interop with the reference implementation (Python `safetensors`),
#  4. time the training/inference step on cuda, alternating with PyTorch on the same GPU,
#  5. run the whole test suite on that libtorch (the 2.x compatibility leg; SKIP_SUITE=1 skips it).
# Expects, carried from the developer machine: dist/ (compiled TS), .device/node.xz (a node
# binary), .device/include (Node-API headers) and .device/nm.tgz (production node_modules).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/device-out}; mkdir -p "$OUT"
log() { echo; echo "== $*"; }
PY=""
for p in python3 /opt/torch/.venv/bin/python3; do "$p" -c "import torch" 2>/dev/null && { PY=$p; break; }; done
[ -n "$PY" ] || { echo "no python with torch found"; exit 1; }
TORCH_DIR=$("$PY" -c "import torch, os; print(os.path.dirname(torch.__file__))")
"$PY" -c "import torch; print('pytorch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"
mkdir -p /tmp/nodebin
"$PY" -c "import lzma, shutil; shutil.copyfileobj(lzma.open('.device/node.xz'), open('/tmp/nodebin/node', 'wb'))"
chmod +x /tmp/nodebin/node; export PATH=/tmp/nodebin:$PATH
tar xzf .device/nm.tgz
echo "node $(node --version)"

log "build against $TORCH_DIR"
start=$(date +%s)
LIBTORCH=$TORCH_DIR NODE_API_INCLUDE=.device/include JOBS=$(nproc) bash scripts/build-native-direct.sh > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
echo "built in $(( $(date +%s) - start )) s"
node -e "import('./dist/src/index.js').then(({torch}) => console.log('libtorch', torch.version().libtorch, 'cuda', torch.cuda.isAvailable(), torch.cuda.deviceCount()))"

log "CUDA test tier"
node --test dist/test/device/ 2>&1 | grep -E "^(not )?ok|^# (pass|fail|skipped)"

log "safetensors interop with the reference implementation"
node -e "
import('./dist/src/index.js').then(({io}) => {
  const { tensors, metadata } = io.loadSafetensors('test/fixtures/io_dtypes.safetensors');
  io.saveSafetensors('/tmp/ours.safetensors', tensors, metadata);
})" && "$PY" - <<'PY'
import json, torch
from safetensors.torch import load_file, save_file
exp = json.load(open('test/fixtures/io_dtypes.json'))
got = load_file('/tmp/ours.safetensors')
bad = [k for k, e in exp.items() if list(got[k].shape) != e['shape'] or
       (got[k].float() if got[k].dtype in (torch.float16, torch.bfloat16) else got[k]).flatten().tolist() != e['values']]
print('reference reader loads our file:', len(got), 'tensors,', 'mismatches:', bad)
torch.manual_seed(3)
ref = {'w': torch.randn(4, 5), 'i': torch.arange(7), 'h': torch.randn(3).half(), 'b': torch.tensor([True, False])}
save_file(ref, '/tmp/theirs.safetensors', metadata={'by': 'safetensors'})
json.dump({k: v.float().flatten().tolist() for k, v in ref.items()}, open('/tmp/theirs.json', 'w'))
PY
node -e "
import('./dist/src/index.js').then(({io}) => {
  const exp = JSON.parse(require('fs').readFileSync('/tmp/theirs.json', 'utf8'));
  const { tensors, metadata } = io.loadSafetensors('/tmp/theirs.safetensors');
  const bad = Object.keys(exp).filter((k) => JSON.stringify(Array.from(tensors.get(k).float().data())) !== JSON.stringify(exp[k].map((v) => Math.fround(v))));
  console.log('our reader loads the reference file:', tensors.size, 'tensors, metadata', JSON.stringify(metadata), 'mismatches:', bad);
})"

log "CUDA step benchmark (median ms, batch 128, 1x28x28; alternating frameworks)"
for m in small resnet18-w16 resnet18-w64; do
  for r in 1 2; do node dist/bench/cuda.js "$m" 10 40; "$PY" bench/torch_cuda.py "$m" 10 40; done
done | tee "$OUT/cuda-bench.jsonl"

[ "${SKIP_SUITE:-0}" = 1 ] && exit 0
log "whole test suite on this libtorch"
start=$(date +%s)
timeout 240 node scripts/run-tests.mjs > "$OUT/suite.log" 2>&1
echo "suite exit $? in $(( $(date +%s) - start )) s"
grep -E "^ℹ (tests|pass|fail|skipped)" "$OUT/suite.log"
grep -E "^✖" "$OUT/suite.log" | head -40

// The weights-only PyTorch checkpoint reader (src/core/io/pth.ts, pickle.ts, zip.ts) against fixtures written by
// torch.save in test/fixtures/gen_pth.py: zip and legacy formats give the state dict bit-exactly (compared with a
// safetensors copy written from the same tensors), a wrapped DataParallel checkpoint, float16/bfloat16 kept or
// converted, views of a shared storage, byteorder 'big'; malicious pickles are refused naming the global and the
// file, and nothing they ask for happens (the marker file they would create stays absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { torch, io, CheckpointError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { FIXTURES, assertClose } from '../helpers.js';

const MARKER = '/tmp/adaptune-pickle-pwned';
const fx = (n: string): string => join(FIXTURES, n);
const ref = io.loadSafetensors(fx('pth_resnet18w4.safetensors')).tensors;

function assertSameDict(got: Map<string, Tensor>, want: Map<string, Tensor>, prefix = ''): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].map((k) => prefix + k).sort());
  for (const [k, t] of want) {
    const g = got.get(prefix + k)!;
    assert.equal(g.dtype, t.dtype, k);
    assert.deepEqual(g.shape, t.shape, k);
    assert.deepEqual(Buffer.from(g.bytes()), Buffer.from(t.bytes()), `${k}: bytes differ`);
  }
}
const free = (m: Map<string, Tensor>): void => { for (const t of m.values()) t.dispose(); };

test('zip format: every tensor of a torchvision resnet18 state dict, bit-exact, in file order', () => {
  const c = io.loadTorchCheckpoint(fx('pth_resnet18w4.pth'));
  assert.equal(c.format, 'zip');
  assert.equal(c.wrapper, null);
  assert.equal(c.byteorder, 'little');
  assert.equal(c.tensors.size, 122);
  assert.deepEqual([...c.tensors.keys()].slice(0, 3), ['conv1.weight', 'bn1.weight', 'bn1.bias']);
  assertSameDict(c.tensors, ref);
  assert.equal(c.tensors.get('layer1.0.bn1.num_batches_tracked')!.dtype, 'int64');
  assert.equal(Number(c.tensors.get('layer1.0.bn1.num_batches_tracked')!.item()), 7);
  free(c.tensors);
});

test('legacy (non-zip) format gives the same tensors', () => {
  const c = io.loadTorchCheckpoint(fx('pth_resnet18w4_legacy.pth'));
  assert.equal(c.format, 'legacy');
  assertSameDict(c.tensors, ref);
  free(c.tensors);
});

test("a checkpoint wrapping its state dict ({'state_dict': {'module.*': ...}, 'epoch': 3}) is unwrapped", () => {
  const c = io.loadTorchCheckpoint(fx('pth_resnet18w4_ddp.pth'));
  assert.equal(c.wrapper, 'state_dict');
  assertSameDict(c.tensors, ref, 'module.');
  free(c.tensors);
});

test('float16 and bfloat16 are kept by default and converted with dtype: float32', () => {
  const c = io.loadTorchCheckpoint(fx('pth_resnet18w4_fp16.pth'));
  assert.equal(c.tensors.get('conv1.weight')!.dtype, 'float16');
  assert.equal(c.tensors.get('fc.bias')!.dtype, 'bfloat16');
  assert.equal(c.tensors.get('bn1.num_batches_tracked')!.dtype, 'int64');
  const f = io.loadTorchCheckpoint(fx('pth_resnet18w4_fp16.pth'), { dtype: 'float32' });
  assert.equal(f.tensors.get('conv1.weight')!.dtype, 'float32');
  assert.equal(f.tensors.get('fc.bias')!.dtype, 'float32');
  assert.equal(f.tensors.get('bn1.num_batches_tracked')!.dtype, 'int64');
  assertClose(f.tensors.get('conv1.weight')!, ref.get('conv1.weight')!, { atol: 1e-3, rtol: 1e-3, what: 'fp16 conv1' });
  assertClose(f.tensors.get('fc.bias')!, ref.get('fc.bias')!, { atol: 1e-2, rtol: 1e-2, what: 'bf16 fc.bias' });
  torch.tidy(() => assertClose(c.tensors.get('conv1.weight')!.to('float32'), f.tensors.get('conv1.weight')!, { atol: 0, rtol: 0 }));
  free(c.tensors); free(f.tensors);
});

test('views of one storage (transpose, row, column) are copied out with their offsets and strides', () => {
  const c = io.loadTorchCheckpoint(fx('pth_views.pth'));
  const v = (k: string): number[] => Array.from(c.tensors.get(k)!.data() as Float32Array);
  const base = Array.from({ length: 24 }, (_, i) => i);
  assert.deepEqual(v('base'), base);
  assert.deepEqual(c.tensors.get('t')!.shape, [6, 4]);
  assert.deepEqual(v('t'), Array.from({ length: 24 }, (_, k) => (k % 4) * 6 + Math.floor(k / 4)));
  assert.deepEqual(v('row'), [12, 13, 14, 15, 16, 17]);
  assert.deepEqual(v('col'), [3, 9, 15, 21]);
  free(c.tensors);
});

test('pickle protocol 4 (frames, memoize, sets, big ints, bytes): tensors read, non-tensor entries listed as ignored', () => {
  const c = io.loadTorchCheckpoint(fx('pth_protocol4.pth'));
  assert.deepEqual([...c.tensors.keys()], ['a', 'b']);
  assert.deepEqual(c.ignored, ['meta']);
  assert.deepEqual(Array.from(c.tensors.get('a')!.data() as Float32Array), Array.from({ length: 24 }, (_, i) => i));
  assert.deepEqual(torch.tidy(() => Array.from(c.tensors.get('b')!.to('float32').data() as Float32Array)), [6, 7, 8, 9, 10, 11]);
  free(c.tensors);
});

test("byteorder 'big' storages are byte-swapped (float32, int64, float16)", () => {
  const c = io.loadTorchCheckpoint(fx('pth_bigendian.pth'));
  assert.equal(c.byteorder, 'big');
  assert.deepEqual(Array.from(c.tensors.get('a')!.data() as Float32Array), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(Array.from(c.tensors.get('b')!.data() as BigInt64Array, Number), [1, -2, 2 ** 40]);
  assert.deepEqual(torch.tidy(() => Array.from(c.tensors.get('h')!.to('float32').data() as Float32Array)), [0.5, -3]);
  free(c.tensors);
});

const EVIL: [string, RegExp][] = [
  ['evil_os_system.pth', /forbidden global 'posix\.system'/],
  ['evil_eval.pth', /forbidden global 'builtins\.eval'/],
  ['evil_nested_zip.pth', /forbidden global 'commands\.call'/], // subprocess.call, as protocol 2 names it
  ['evil_build.pth', /forbidden global '__main__\.Evil'/],
];
for (const [name, re] of EVIL) {
  test(`${name} is refused, naming the global and the file, and nothing runs`, () => {
    rmSync(MARKER, { force: true });
    assert.throws(() => io.loadTorchCheckpoint(fx(name)), (e: unknown) =>
      e instanceof io.PickleError && e instanceof CheckpointError && re.test(String(e)) && String(e).includes(fx(name)));
    assert.equal(existsSync(MARKER), false, 'the payload must not have run');
  });
}

test('hand-made pickles: INST/OBJ/EXT opcodes, a non-storage persistent id, truncation and junk are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pth-'));
  const cases: [string, number[], RegExp][] = [
    ['inst', [0x28, ...Buffer.from('ios\nsystem\n'), 0x2e], /INST/],
    ['obj', [0x80, 2, 0x28, 0x63, ...Buffer.from('collections\nOrderedDict\n'), 0x6f, 0x2e], /OBJ/],
    ['ext', [0x80, 2, 0x82, 1, 0x2e], /extension-registry/],
    ['persid', [0x80, 2, 0x8c, 3, ...Buffer.from('abc'), 0x51, 0x2e], /persistent id/],
    ['stack-global', [0x80, 4, 0x8c, 2, ...Buffer.from('os'), 0x8c, 6, ...Buffer.from('system'), 0x93, 0x2e], /forbidden global 'os\.system'/],
    ['truncated', [0x80, 2, 0x58, 10, 0, 0, 0, 0x41], /truncated/],
    ['junk', [0xff, 0xfe], /unknown opcode/],
    ['not-a-checkpoint', [0x80, 2, 0x4b, 5, 0x2e], /not a PyTorch checkpoint/],
  ];
  for (const [n, bytes, re] of cases) {
    const f = join(dir, `${n}.pth`);
    writeFileSync(f, Buffer.from(bytes));
    assert.throws(() => io.loadTorchCheckpoint(f), (e: unknown) => e instanceof CheckpointError && re.test(String(e)) && String(e).includes(f), n);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('ALLOWED_GLOBALS is the weights-only allow-list: rebuild functions, storages, OrderedDict; no builtins.eval', () => {
  for (const g of ['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'torch.FloatStorage',
    'torch.HalfStorage', 'torch.BFloat16Storage', 'torch.LongStorage', 'torch.device']) assert.ok(io.ALLOWED_GLOBALS.includes(g), g);
  for (const g of ['builtins.eval', 'builtins.exec', 'os.system', 'builtins.getattr', 'torch.load']) assert.ok(!io.ALLOWED_GLOBALS.includes(g), g);
});

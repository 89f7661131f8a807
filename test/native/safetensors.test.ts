/** safetensors: PyTorch-written files load bit-exactly, ours are byte-identical to the reference layout, malformed files give SafetensorsError naming the file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, io, SafetensorsError } from '../../src/index.js';
import { FIXTURES } from '../helpers.js';

const SRC = join(FIXTURES, 'io_dtypes.safetensors');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'io_dtypes.json'), 'utf8')) as Record<string, { dtype: string; shape: number[]; values: (number | boolean)[] }>;
const tmp = mkdtempSync(join(tmpdir(), 'adaptune-st-'));

test('a file written with PyTorch loads with the same dtypes, shapes and values', () => {
  const before = torch.liveTensors();
  const { tensors, metadata } = io.loadSafetensors(SRC);
  assert.deepEqual(metadata, { format: 'pt', source: 'gen_io.py' });
  const names: Record<string, string> = {
    'torch.float32': 'float32', 'torch.float64': 'float64', 'torch.float16': 'float16', 'torch.bfloat16': 'bfloat16',
    'torch.int64': 'int64', 'torch.int32': 'int32', 'torch.uint8': 'uint8', 'torch.bool': 'bool',
  };
  assert.equal(tensors.size, Object.keys(expected).length);
  for (const [name, e] of Object.entries(expected)) {
    const t = tensors.get(name)!;
    assert.equal(t.dtype, names[e.dtype], name);
    assert.deepEqual(t.shape, e.shape, name);
    let got: (number | boolean)[];
    if (t.dtype === 'int64') got = Array.from(t.data() as BigInt64Array, Number);
    else if (t.dtype === 'bool') got = Array.from(t.data() as Uint8Array, (v) => v !== 0);
    else if (t.dtype === 'float16' || t.dtype === 'bfloat16') got = torch.tidy(() => Array.from(t.float().data() as Float32Array));
    else got = Array.from(t.data() as ArrayLike<number>);
    const want = e.dtype === 'torch.float32' ? Array.from(Float32Array.from(e.values as number[])) : e.values;
    assert.deepEqual(got, want, `${name}: values differ`);
  }
  torch.dispose([...tensors.values()]);
  assert.equal(torch.liveTensors(), before);
});

test('saving what was loaded reproduces the PyTorch-written file byte for byte', () => {
  const { tensors, metadata } = io.loadSafetensors(SRC);
  const out = join(tmp, 'roundtrip.safetensors');
  io.saveSafetensors(out, tensors, metadata);
  assert.deepEqual(readFileSync(out), readFileSync(SRC));
  torch.dispose([...tensors.values()]);
});

test('readSafetensorsHeader lists tensors without reading data', () => {
  const h = io.readSafetensorsHeader(SRC);
  assert.deepEqual(h.tensors.get('layer1.0.conv1.weight')!.shape, [2, 1, 3, 3]);
  assert.equal(h.tensors.get('scalar')!.shape.length, 0);
});

/** Builds a file from a header object and a data length. */
function craft(name: string, header: unknown, dataBytes: number, headerLenOverride?: bigint): string {
  const hb = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLenOverride ?? BigInt(hb.length));
  const p = join(tmp, name);
  writeFileSync(p, Buffer.concat([len, hb, Buffer.alloc(dataBytes)]));
  return p;
}

const f32 = (begin: number, end: number, shape = [2]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
const cases: [string, () => string, RegExp][] = [
  ['too short', () => { const p = join(tmp, 'short'); writeFileSync(p, Buffer.alloc(3)); return p; }, /too short/],
  ['header past end', () => craft('past', { a: f32(0, 8) }, 8, 10_000n), /past the end/],
  ['header over limit', () => craft('huge', { a: f32(0, 8) }, 8, 200_000_000n), /exceeds/],
  ['not JSON', () => craft('nojson', '{"a": ', 0), /not valid UTF-8 JSON/],
  ['not an object', () => craft('arr', '[1,2]', 0), /not a JSON object/],
  ['unknown dtype', () => craft('dt', { a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), /unsupported dtype/],
  ['bad shape', () => craft('shape', { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /non-negative integers/],
  ['size mismatch', () => craft('size', { a: f32(0, 12) }, 12), /needs 8 bytes but data_offsets span 12/],
  ['truncated data', () => craft('trunc', { a: f32(0, 8) }, 4), /past the data/],
  ['overlap', () => craft('overlap', { a: f32(0, 8), b: f32(4, 12) }, 12), /overlaps/],
  ['gap', () => craft('gap', { a: f32(4, 12) }, 12), /gap/],
  ['trailing bytes', () => craft('trail', { a: f32(0, 8) }, 16), /cover 8 bytes but the data section has 16/],
  ['duplicate name', () => craft('dup', '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 8), /appears twice/],
  ['bad metadata', () => craft('meta', { __metadata__: { k: 1 } }, 0), /__metadata__.k is not a string/],
  ['missing file', () => join(tmp, 'does-not-exist'), /cannot open \(ENOENT\)/],
];
for (const [what, make, msg] of cases) {
  test(`malformed file: ${what} -> SafetensorsError naming the file`, () => {
    const p = make();
    const before = torch.liveTensors();
    assert.throws(() => io.loadSafetensors(p), (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${String(e)}`);
      assert.ok(e.message.startsWith(p), `message should start with the file name: ${e.message}`);
      assert.match(e.message, msg);
      return true;
    });
    assert.equal(torch.liveTensors(), before, 'no tensor leaked on failure');
  });
}

test('save refuses a complex128 tensor and writes nothing partial: no new file, no temp file, an existing file keeps its bytes', () => {
  const t = torch.zeros([2], { dtype: 'complex128' });
  const ok = torch.ones([3]);
  const dir = mkdtempSync(join(tmpdir(), 'adaptune-st-c128-'));
  assert.throws(() => io.saveSafetensors(join(dir, 'c128.safetensors'), { t }), SafetensorsError);
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
  const old = join(dir, 'old.safetensors');
  io.saveSafetensors(old, { ok });
  const before = readFileSync(old);
  assert.throws(() => io.saveSafetensors(old, { ok, t }), SafetensorsError);
  assert.deepEqual(readFileSync(old), before, 'the previous file is untouched');
  assert.deepEqual(readdirSync(dir), ['old.safetensors'], 'no temp file');
  torch.dispose([t, ok]);
});

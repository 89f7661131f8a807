/**
 * Mutation-guided tests of the ZIP reader and the weights-only PyTorch loader (issue 23, area core-io-pth): ZIP
 * archives built here byte by byte (stored and deflated entries, ZIP64 fields, every damaged field) and torch.save
 * checkpoints assembled from pickle opcodes (offsets, strides, parameters, tensor subclasses, BUILD states,
 * big-endian complex), each refusal named. No fixture files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import { loadTorchCheckpoint, PickleError } from '../../src/core/io/index.js';
import { isZip, zipEntries, zipRead } from '../../src/core/io/zip.js';

/** Bytes from numbers (one byte each), number arrays and latin1 strings. */
const b = (...parts: (number | number[] | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'number' ? [p] : typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));
const u32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const u64 = (v: number): number[] => [...u32(v), 0, 0, 0, 0];
const K = (v: number): number[] => [0x4b, v]; // BININT1

/** A ZIP archive built byte by byte: local headers, data, central directory, end record. */
function zip(entries: { name: string; data: Uint8Array; method?: number; size?: number; zip64?: number; zip64SizeOnly?: number }[], o: { dupe?: boolean } = {}): Uint8Array {
  const parts: number[] = [];
  const central: number[] = [];
  const list = o.dupe ? [...entries, entries[0]!] : entries;
  for (const e of list) {
    const method = e.method ?? 0;
    const body = method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const name = [...Buffer.from(e.name)];
    const off = parts.length;
    const u16 = (v: number): number[] => [v & 255, v >> 8];
    parts.push(...u32(0x04034b50), ...u16(20), ...u16(0), ...u16(method), 0, 0, 0, 0, ...u32(0), ...u32(body.length), ...u32(e.size ?? e.data.length), ...u16(name.length), ...u16(0), ...name, ...body);
    // zip64: sizes and offset given as 0xffffffff in the directory and as 64-bit values in an extra field of that many bytes (24: all three)
    // zip64SizeOnly: only the uncompressed size so given, in a field of that many bytes (8: exact)
    const z64 = e.zip64 !== undefined;
    const only = e.zip64SizeOnly !== undefined;
    const extra = z64 ? [0x99, 0x99, ...u16(2), 7, 7, ...u16(0x0001), ...u16(e.zip64!), ...u64(e.size ?? e.data.length), ...u64(body.length), ...u64(off)]
      : only ? [...u16(0x0001), ...u16(e.zip64SizeOnly!), ...u64(e.size ?? e.data.length)] : [];
    const big = (v: number): number[] => u32(z64 ? 0xffffffff : v);
    central.push(...u32(0x02014b50), ...u16(20), ...u16(20), ...u16(0), ...u16(method), 0, 0, 0, 0, ...u32(0), ...big(body.length), ...(only ? u32(0xffffffff) : big(e.size ?? e.data.length)),
      ...u16(name.length), ...u16(extra.length), ...u16(0), ...u16(0), ...u16(0), ...u32(0), ...big(off), ...name, ...extra);
  }
  const cdOff = parts.length;
  const n = list.length;
  return new Uint8Array([...parts, ...central, ...u32(0x06054b50), 0, 0, 0, 0, n & 255, n >> 8, n & 255, n >> 8, ...u32(central.length), ...u32(cdOff), 0, 0]);
}

test('zip: stored and deflated entries read back exactly; isZip; every damaged field is refused naming the file and entry', () => {
  const text = new TextEncoder().encode('hello hello hello hello');
  const z = zip([{ name: 'a/data.pkl', data: new Uint8Array([1, 2, 3]) }, { name: 'a/data/0', data: text, method: 8 }, { name: 'empty', data: new Uint8Array(0) }]);
  assert.equal(isZip(z), true);
  assert.equal(isZip(z.subarray(0, 3)), false);
  assert.equal(isZip(new Uint8Array([0x50, 0x4b, 0x05, 0x06])), false);
  const es = zipEntries(z, 'f.pth');
  assert.deepEqual([...es.keys()], ['a/data.pkl', 'a/data/0', 'empty']);
  assert.deepEqual([...zipRead(z, es.get('a/data.pkl')!, 'f.pth')], [1, 2, 3]);
  assert.deepEqual([...zipRead(z, es.get('a/data/0')!, 'f.pth')], [...text]);
  assert.equal(es.get('a/data/0')!.method, 8);
  assert.equal(zipRead(z, es.get('empty')!, 'f.pth').length, 0);
  assert.throws(() => zipEntries(new Uint8Array(100), 'f.pth'), /f\.pth: not a readable ZIP archive \(no end-of-central-directory record\)/);
  const past = z.slice();
  new DataView(past.buffer).setUint32(past.length - 6, past.length, true); // central directory offset past the end
  assert.throws(() => zipEntries(past, 'f.pth'), /central directory \[\d+, \d+\) is past the end of the \d+-byte file/);
  const bad = z.slice();
  const cd = new DataView(bad.buffer).getUint32(bad.length - 6, true);
  bad[cd] = 0; // central directory signature broken
  assert.throws(() => zipEntries(bad, 'f.pth'), /central directory entry 0 is malformed/);
  assert.throws(() => zipEntries(zip([{ name: 'x', data: new Uint8Array(1) }], { dupe: true }), 'f.pth'), /entry x appears twice/);
  const long = z.slice();
  new DataView(long.buffer).setUint16(cd + 28, 5000, true); // entry 0's name length runs past the file
  assert.throws(() => zipEntries(long, 'f.pth'), /central directory entry 0 runs past the end/);
  // ZIP64 extra field (after an unrelated one): sizes and offset read from it
  const z64 = zip([{ name: 'p', data: new Uint8Array([1, 2]) }, { name: 'q', data: text, method: 8, zip64: 24 }]);
  const e64 = zipEntries(z64, 'f.pth').get('q')!;
  assert.deepEqual([e64.size, e64.method], [23, 8]);
  assert.deepEqual([...zipRead(z64, e64, 'f.pth')], [...text]);
  assert.throws(() => zipEntries(zip([{ name: 'q', data: text, zip64: 7 }]), 'f.pth'), /ZIP64 field of q too short/);
  assert.throws(() => zipEntries(zip([{ name: 'q', data: text, zip64: 16 }]), 'f.pth'), /ZIP64 field of q too short/, 'three values needed, two given');
  assert.equal(zipEntries(zip([{ name: 'q', data: text, zip64SizeOnly: 8 }]), 'f.pth').get('q')!.size, 23, 'one value in an 8-byte field');
  assert.throws(() => zipEntries(zip([{ name: 'q', data: text, zip64SizeOnly: 7 }]), 'f.pth'), /ZIP64 field of q too short/, 'one value, 7 bytes');
  const e = es.get('a/data.pkl')!;
  assert.throws(() => zipRead(z, { ...e, localOffset: 5 }, 'f.pth'), /f\.pth: entry a\/data\.pkl: local header missing/);
  assert.throws(() => zipRead(z, { ...e, compressedSize: z.length }, 'f.pth'), /data \[\d+, \d+\) is past the end of the \d+-byte file \(truncated\?\)/);
  assert.throws(() => zipRead(z, { ...e, size: 4 }, 'f.pth'), /stored entry with different sizes/);
  assert.throws(() => zipRead(z, { ...e, method: 12 }, 'f.pth'), /compression method 12 is not supported/);
  const d = es.get('a/data/0')!;
  assert.throws(() => zipRead(z, { ...d, size: d.size + 5 }, 'f.pth'), /inflated to 23 bytes, the directory says 28/);
  assert.throws(() => zipRead(z, { ...d, size: 3 }, 'f.pth'), /cannot inflate|inflated to/);
  assert.throws(() => zipRead(z, { ...e, method: 8 }, 'f.pth'), /cannot inflate/);
});

/** Opcodes of one tensor: _rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict()), or a raw argument list. */
const i32 = (v: number): number[] => [0x4a, ...u32(v >>> 0)];
const str = (t: string): (number | string)[] => [0x8c, t.length, t];
const tup = (...items: (number | number[] | string)[][]): (number | number[] | string)[] => [0x28, ...items.flat(), 0x74];
const od = ['ccollections\nOrderedDict\n', 0x29, 0x52];
function tensorOps(o: { type?: string; key?: string; numel: number; off: number; size: number[]; stride: number[]; fn?: string }): (number | number[] | string)[] {
  return [`ctorch._utils\n${o.fn ?? '_rebuild_tensor_v2'}\n`, ...tensorArgs(o), 0x52];
}
/** The argument tuple of _rebuild_tensor_v2. */
function tensorArgs(o: { type?: string; key?: string; numel: number; off: number; size: number[]; stride: number[] }): (number | number[] | string)[] {
  const pid = [...tup(str('storage'), [`ctorch\n${o.type ?? 'FloatStorage'}\n`], str(o.key ?? '0'), str('cpu'), i32(o.numel)), 0x51];
  return tup(pid, i32(o.off), tup(...o.size.map(i32)), tup(...o.stride.map(i32)), [0x89], od);
}
const pthRoot = mkdtempSync(join(tmpdir(), 'adaptune-mpth-'));
test.after(() => rmSync(pthRoot, { recursive: true, force: true }));
let nf = 0;
/** A torch.save zip checkpoint: OrderedDict of the given entries (key -> opcodes), storages by key, optional byteorder. */
function pth(entries: [string, (number | number[] | string)[]][], storages: Record<string, Uint8Array>, byteorder?: string): string {
  const pkl = b(0x80, 2, ...od, 0x28, ...entries.flatMap(([k, ops]) => [...str(k), ...ops]), 0x75, 0x2e);
  const files = [{ name: 'archive/data.pkl', data: pkl }, ...Object.entries(storages).map(([k, d]) => ({ name: `archive/data/${k}`, data: d }))];
  if (byteorder) files.push({ name: 'archive/byteorder', data: new TextEncoder().encode(byteorder) });
  const f = join(pthRoot, `c${nf++}.pth`);
  writeFileSync(f, zip(files));
  return f;
}
const f32le = (...v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);
const values = (t: torch.Tensor): number[] => [...(t.contiguous().data() as Float32Array)];

test('weights-only load of hand-built checkpoints: offsets and strides, parameters, tensor BUILD states; bad offsets, shapes and states refused', () => {
  const st = { 0: f32le(1, 2, 3, 4, 5, 6) };
  const ok = loadTorchCheckpoint(pth([['w', tensorOps({ numel: 6, off: 1, size: [2], stride: [1] })], ['t', tensorOps({ numel: 6, off: 0, size: [2, 2], stride: [1, 2] })]], st));
  assert.deepEqual([...ok.tensors.keys()], ['w', 't']);
  assert.deepEqual(values(ok.tensors.get('w')!), [2, 3]);
  assert.deepEqual(values(ok.tensors.get('t')!), [1, 3, 2, 4]);
  for (const t of ok.tensors.values()) t.dispose();
  const param = ['ctorch._utils\n_rebuild_parameter\n', ...tup(tensorOps({ numel: 6, off: 4, size: [2], stride: [1] }), [0x89], od), 0x52];
  const p = loadTorchCheckpoint(pth([['p', param]], st));
  assert.deepEqual(values(p.tensors.get('p')!), [5, 6]);
  p.tensors.get('p')!.dispose();
  const bad = (ops: (number | number[] | string)[], re: RegExp): void => {
    const f = pth([['x', ops]], st);
    assert.throws(() => loadTorchCheckpoint(f), (e: Error) => e instanceof PickleError && re.test(e.message) && e.message.startsWith(f), String(re));
  };
  // torch.Tensor subclasses: _rebuild_from_type_v2(func, type, args, state) calls func(*args)
  const fromType = (args: (number | number[] | string)[]): (number | number[] | string)[] => ['ctorch._tensor\n_rebuild_from_type_v2\n', ...tup(['ctorch._utils\n_rebuild_tensor_v2\n'], ['ctorch\nTensor\n'], args, od), 0x52];
  const ft = loadTorchCheckpoint(pth([['s', fromType(tensorArgs({ numel: 6, off: 2, size: [3], stride: [1] }))]], st));
  assert.deepEqual(values(ft.tensors.get('s')!), [3, 4, 5]);
  ft.tensors.get('s')!.dispose();
  bad(fromType(K(1)), /_rebuild_from_type_v2 without an argument tuple/);
  bad(tensorOps({ numel: 6, off: -1, size: [2], stride: [1] }), /a tensor storage offset -1; refused/);
  bad(tensorOps({ numel: 6, off: 0, size: [2], stride: [1, 1] }), /a tensor with size \[2\] but stride \[1,1\]/);
  bad(tensorOps({ numel: 6, off: 0, size: [-2], stride: [1] }), /a tensor size holds a value that is not a non-negative integer/);
  bad(['ctorch._utils\n_rebuild_parameter\n', ...tup(K(1), [0x89], od), 0x52], /_rebuild_parameter of something that is not a tensor/);
  const withState = (state: (number | number[] | string)[]): (number | number[] | string)[] => [...tensorOps({ numel: 6, off: 0, size: [1], stride: [1] }), ...state, 0x62];
  for (const empty of [[0x4e], [0x7d], tup([0x4e], [0x7d])]) {
    const r = loadTorchCheckpoint(pth([['b', withState(empty)]], st));
    assert.deepEqual(values(r.tensors.get('b')!), [1]);
    r.tensors.get('b')!.dispose();
  }
  bad(withState([0x7d, ...K(1), ...K(2), 0x73]), /setting the state of a tensor \(non-empty state\)/);
  bad(withState(tup([0x4e], [0x7d, ...K(1), ...K(2), 0x73])), /non-empty state/);
  bad([...K(1), 0x7d, 0x62], /setting the state of an object that is not a dict/);
});

test('big-endian checkpoints: each float of a complex64 value is byte-swapped on its own; float32 swapped whole', () => {
  const be = new Uint8Array([0x3f, 0xc0, 0, 0, 0x40, 0x20, 0, 0]); // 1.5, 2.5 as big-endian float32
  const c = loadTorchCheckpoint(pth([['z', tensorOps({ type: 'ComplexFloatStorage', numel: 1, off: 0, size: [1], stride: [1] })]], { 0: be }, 'big'));
  const z = c.tensors.get('z')!;
  assert.equal(c.byteorder, 'big');
  assert.equal(z.dtype, 'complex64');
  torch.tidy(() => { assert.deepEqual([values(torch.real(z)), values(torch.imag(z))], [[1.5], [2.5]]); });
  z.dispose();
  const f = loadTorchCheckpoint(pth([['f', tensorOps({ numel: 2, off: 0, size: [2], stride: [1] })]], { 0: be }, 'big\n'));
  assert.deepEqual(values(f.tensors.get('f')!), [1.5, 2.5]);
  f.tensors.get('f')!.dispose();
  assert.throws(() => loadTorchCheckpoint(pth([['f', tensorOps({ numel: 2, off: 0, size: [2], stride: [1] })]], { 0: be }, 'middle')), /byteorder entry says "middle" \(expected little or big\)/);
});

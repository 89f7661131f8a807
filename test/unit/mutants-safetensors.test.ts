/**
 * safetensors invariants: the header-length bound is exact (a header that ends 1..8 bytes past the file is
 * refused as such), round trips of random tensor maps (fast-check) keep names, dtypes, shapes, bytes and
 * metadata with an 8-aligned header, and every truncation of a valid file is a SafetensorsError naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as torch from '../../src/core/torch.js';
import { SafetensorsError } from '../../src/core/errors.js';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../../src/core/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'adaptune-stprop-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('header length bound: a header ending 1..8 bytes past the end of the file is refused as past the end; one that fits exactly is read', () => {
  const header = Buffer.from('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}');
  const p = join(dir, 'bound');
  for (const over of [1, 2, 7, 8]) {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length + over)); // claims `over` bytes more than the file holds
    writeFileSync(p, Buffer.concat([len, header]));
    assert.throws(() => readSafetensorsHeader(p), (e: unknown) => e instanceof SafetensorsError && e.message.startsWith(p) && /header length \d+ is past the end of the \d+-byte file/.test(e.message), `over by ${over}`);
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(p, Buffer.concat([len, header]));
  assert.deepEqual(readSafetensorsHeader(p).tensors.get('a')!.shape, [0]);
});

const DTYPES = ['float32', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'float16'] as const;
const entry = fc.record({
  dtype: fc.constantFrom(...DTYPES),
  shape: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});
const tensorMap = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'), entry, { minKeys: 0, maxKeys: 5 });
const meta = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 3 });

function make(e: { dtype: (typeof DTYPES)[number]; shape: number[]; seed: number }): torch.Tensor {
  return torch.tidy(() => {
    const g = new torch.Generator(e.seed);
    const r = torch.randn(e.shape, { generator: g }).mul(50);
    return e.dtype === 'bool' ? r.gt(0) : r.to(e.dtype);
  });
}

test('round trip (fast-check): names, dtypes, shapes, bytes and metadata survive; the header is 8-aligned; truncations are SafetensorsErrors', () => {
  let n = 0;
  fc.assert(fc.property(tensorMap, meta, (spec, rawMeta) => {
    const metadata: Record<string, string> = { ...rawMeta }; // fast-check's dictionaries have a null prototype
    const p = join(dir, `rt-${n++}.safetensors`);
    const tensors = new Map(Object.entries(spec).map(([k, e]) => [k, make(e)]));
    try {
      saveSafetensors(p, tensors, metadata);
      const bytes = readFileSync(p);
      const hlen = Number(bytes.readBigUInt64LE(0));
      assert.equal(hlen % 8, 0, 'header padded to 8 bytes');
      const hdr = readSafetensorsHeader(p);
      const byOffset = [...hdr.tensors.entries()].sort((x, y) => x[1].begin - y[1].begin || x[1].end - y[1].end).map(([k]) => k);
      const nonEmpty = (k: string): boolean => hdr.tensors.get(k)!.end > hdr.tensors.get(k)!.begin;
      assert.deepEqual(byOffset.filter(nonEmpty), [...tensors.keys()].sort().filter(nonEmpty), 'data laid out in name order');
      const back = loadSafetensors(p);
      try {
        assert.deepEqual([...back.tensors.keys()].sort(), [...tensors.keys()].sort());
        assert.deepEqual({ ...back.metadata }, metadata);
        for (const [k, t] of tensors) {
          const u = back.tensors.get(k)!;
          assert.equal(u.dtype, t.dtype, k);
          assert.deepEqual(u.shape, t.shape, k);
          assert.deepEqual(Buffer.from(u.bytes()), Buffer.from(t.bytes()), `${k}: bytes`);
        }
      } finally { torch.dispose([...back.tensors.values()]); }
      // any strict prefix of the file is refused with a SafetensorsError naming it
      for (const cut of new Set([0, 7, 8, 8 + Math.floor(hlen / 2), 8 + hlen - 1, bytes.length - 1].filter((c) => c >= 0 && c < bytes.length))) {
        if (cut === 8 + hlen && bytes.length === 8 + hlen) continue;
        writeFileSync(p, bytes.subarray(0, cut));
        assert.throws(() => torch.dispose([...loadSafetensors(p).tensors.values()]), (e: unknown) => e instanceof SafetensorsError && e.message.startsWith(p), `prefix of ${cut} of ${bytes.length} bytes`);
      }
    } finally {
      torch.dispose([...tensors.values()]);
      rmSync(p, { force: true });
    }
  }), { numRuns: 60, seed: 23 });
});

test('every malformed header entry is refused with its own message', () => {
  const craft = (header: string, dataBytes: number): string => {
    const hb = Buffer.from(header);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(hb.length));
    const p = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    writeFileSync(p, Buffer.concat([len, hb, Buffer.alloc(dataBytes)]));
    return p;
  };
  const ok = '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
  const cases: [string, number, RegExp][] = [
    ['{"__metadata__":"x"}', 0, /__metadata__ must be an object of strings/],
    ['{"__metadata__":null}', 0, /__metadata__ must be an object of strings/],
    ['{"__metadata__":["a"]}', 0, /__metadata__ must be an object of strings/],
    ['{"a":null}', 0, /tensor 'a': entry is not an object/],
    ['{"a":7}', 0, /tensor 'a': entry is not an object/],
    ['{"a":{"shape":[1],"data_offsets":[0,4]}}', 4, /tensor 'a': unsupported dtype undefined/],
    ['{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}', 8, /shape must be an array of non-negative integers/],
    ['{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}', 8, /shape must be an array of non-negative integers/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":"0,8"}}', 8, /data_offsets must be \[begin, end\]/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}', 8, /data_offsets must be \[begin, end\]/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0.5,8]}}', 8, /data_offsets must be \[begin, end\]/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[-1,7]}}', 8, /data_offsets must be \[begin, end\]/],
    ['{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', 8, /data_offsets must be \[begin, end\]/],
    ['{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}', 0, /overflows/],
    [`{${ok},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 8, /tensor 'b': data_offsets end 12 is past the data \(8 bytes/],
    ['{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 12, /tensor 'b': data overlaps the previous tensor \(begins at 4 < 12\)/],
  ];
  for (const [header, n, re] of cases) {
    const p = craft(header, n);
    assert.throws(() => readSafetensorsHeader(p), (e: unknown) => e instanceof SafetensorsError && e.message.startsWith(p) && re.test(e.message), `${header} -> ${re}`);
  }
  const good = craft(`{${ok}}`, 8);
  assert.equal(readSafetensorsHeader(good).tensors.get('a')!.end, 8, 'the well-formed control case loads');
  assert.throws(() => loadSafetensors(good, { names: ['a', 'nope'] }), (e: unknown) => e instanceof SafetensorsError && /no tensor named 'nope'/.test(e.message));
  const one = loadSafetensors(good, { names: ['a'] });
  assert.deepEqual([...one.tensors.keys()], ['a']);
  torch.dispose([...one.tensors.values()]);
});

test('header entries in any order tile the data by offset; an empty tensor may share its offset with the next one', () => {
  const craft = (header: string, values: number[]): string => {
    const hb = Buffer.from(header);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(hb.length));
    const p = join(dir, `order-${Math.random().toString(36).slice(2)}`);
    writeFileSync(p, Buffer.concat([len, hb, Buffer.from(new Float32Array(values).buffer)]));
    return p;
  };
  const headers = [
    '{"z":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
    '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"z":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
    '{"z":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}',
  ];
  for (const h of headers) {
    const { tensors } = loadSafetensors(craft(h, [1, 2, 3]));
    assert.deepEqual(Array.from(tensors.get('a')!.data() as Float32Array), [1, 2], h);
    assert.deepEqual(Array.from(tensors.get('z')!.data() as Float32Array), [3], h);
    if (tensors.has('e')) assert.deepEqual(tensors.get('e')!.shape, [0]);
    torch.dispose([...tensors.values()]);
  }
});

test('save writes tensors in name order whatever the insertion order, closes its descriptors; an 8-byte file is a header of length 0', () => {
  const p = join(dir, 'order.safetensors');
  const m = new Map([['z', torch.ones([1])], ['a', torch.ones([2])], ['m', torch.ones([3])]]);
  const fds = (): number => readdirSync('/proc/self/fd').length;
  saveSafetensors(p, m);
  const before = fds();
  for (let i = 0; i < 10; i++) saveSafetensors(p, m);
  assert.equal(fds(), before, 'no descriptor leaked');
  const h = readSafetensorsHeader(p);
  assert.deepEqual([...h.tensors.entries()].sort((x, y) => x[1].begin - y[1].begin).map(([k]) => k), ['a', 'm', 'z']);
  assert.deepEqual([h.tensors.get('a')!.begin, h.tensors.get('m')!.begin, h.tensors.get('z')!.begin], [0, 8, 20]);
  torch.dispose([...m.values()]);
  const eight = join(dir, 'eight');
  writeFileSync(eight, Buffer.alloc(8));
  assert.throws(() => readSafetensorsHeader(eight), /eight: header is not a JSON object/); // a zero-length header
  writeFileSync(eight, Buffer.alloc(7));
  assert.throws(() => readSafetensorsHeader(eight), /file is 7 bytes, too short for a safetensors header/);
});

/**
 * safetensors reliability (issue 21): F1 linear-time headers and the tensor-count cap; F2 files and tensors of
 * 2 GiB and more (chunked reads, typed errors naming the file, a streamed sha256); F3 a directory and a
 * byte-order mark; F13 the path named once. (The CLI's sha256 now uses the streamed reader of src/train/atomic.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync, writeSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, io, SafetensorsError } from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'adaptune-st-rel-'));

function headerFile(name: string, header: string | Buffer, dataBytes = 0): string {
  const h = typeof header === 'string' ? Buffer.from(header) : header;
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  const f = join(tmp, name);
  const fd = openSync(f, 'w');
  writeSync(fd, len);
  writeSync(fd, h);
  closeSync(fd);
  if (dataBytes) { const fd2 = openSync(f, 'r+'); ftruncateSync(fd2, 8 + h.length + dataBytes); closeSync(fd2); }
  return f;
}

function manyTensors(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
  return `{${parts.join(',')}}`;
}

test('F1 a header of 1,000,000 tensors is refused under the documented cap quickly; 200,000 are read in linear time', () => {
  const big = headerFile('million.safetensors', manyTensors(1_000_000));
  let t0 = process.cpuUsage();
  assert.throws(() => io.readSafetensorsHeader(big), (e: Error) => e instanceof SafetensorsError && e.message.startsWith(big) &&
    /more than 200000 tensors \(the reader's limit, MAX_TENSORS\)/.test(e.message));
  let cpu = process.cpuUsage(t0);
  const refuseMs = (cpu.user + cpu.system) / 1000;
  const ok = headerFile('200k.safetensors', manyTensors(200_000));
  t0 = process.cpuUsage();
  assert.equal(io.readSafetensorsHeader(ok).tensors.size, 200_000);
  cpu = process.cpuUsage(t0);
  const readMs = (cpu.user + cpu.system) / 1000;
  console.log(`F1 refuse_1M_cpu_ms=${refuseMs.toFixed(0)} read_200k_cpu_ms=${readMs.toFixed(0)} cap=${io.MAX_TENSORS}`);
  // generous bounds (CPU time, a loaded CI machine): the quadratic check took > 60 s for 1M, 6.9 s for 80,000
  assert.ok(refuseMs < 10_000, `refusing took ${refuseMs} ms of CPU`);
  assert.ok(readMs < 10_000, `reading took ${readMs} ms of CPU`);
});

test('F1 duplicates are found by the linear scan, at the top level and inside an entry', () => {
  const dup = headerFile('dup.safetensors', '{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}');
  assert.throws(() => io.readSafetensorsHeader(dup), /tensor name 'a' appears twice in the header/);
  const esc = headerFile('dup-escaped.safetensors', '{"\\u0061":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}');
  assert.throws(() => io.readSafetensorsHeader(esc), /tensor name 'a' appears twice/);
  const inner = headerFile('dup-inner.safetensors', '{"a":{"dtype":"F32","dtype":"F64","shape":[0],"data_offsets":[0,0]}}');
  assert.throws(() => io.readSafetensorsHeader(inner), /key 'dtype' appears twice/);
  const proto = headerFile('proto.safetensors', '{"__proto__":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}');
  assert.equal(io.readSafetensorsHeader(proto).tensors.get('__proto__')?.dtype, 'float32', '__proto__ is a plain tensor name');
  assert.equal(({} as Record<string, unknown>)['dtype'], undefined);
  for (const bad of ['{,}', '{"a" 1}', "{'a':1}", '{} x', '[1]', '{"a":{"dtype":"F32",}}', '{"a":{"shape":[1,2}}', '{"a":{"dtype":NaN}}', '{"a":{"x":01}}', '{"a":{"x":"\u0001"}}']) {
    assert.throws(() => io.parseHeader('h.safetensors', new TextEncoder().encode(bad), 8 + bad.length), /h\.safetensors: header is not valid UTF-8 JSON|h\.safetensors: header is not a JSON object/, bad);
  }
});

test('F3 a directory and a header with a byte-order mark are refused, naming the file once', () => {
  const dir = join(tmp, 'weights-dir.safetensors');
  mkdirSync(dir);
  assert.throws(() => io.loadSafetensors(dir), (e: Error) => e instanceof SafetensorsError && e.message === `${dir}: is a directory, not a safetensors file`);
  const bom = headerFile('bom.safetensors', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}     ')]));
  assert.throws(() => io.readSafetensorsHeader(bom), (e: Error) => e instanceof SafetensorsError && /byte-order mark/.test(e.message) &&
    e.message.split(bom).length === 2);
});

test('F2 files of 2 GiB and more: reads in chunks, a tensor past 2 GiB loads, one too large for a buffer is a typed error', () => {
  // sparse files: no disk space is used for the holes
  const header = `{"big":{"dtype":"U8","shape":[${2 ** 31 + 8}],"data_offsets":[0,${2 ** 31 + 8}]},"small":{"dtype":"F32","shape":[2],"data_offsets":[${2 ** 31 + 8},${2 ** 31 + 16}]}}`;
  const f = headerFile('big.safetensors', header, 2 ** 31 + 16);
  const h = io.readSafetensorsHeader(f);
  assert.equal(h.tensors.get('big')!.end, 2 ** 31 + 8);
  const { tensors } = io.loadSafetensors(f, { names: ['small'] });
  assert.deepEqual(tensors.get('small')!.toArray(), [0, 0]);
  torch.dispose([...tensors.values()]);
  // the chunked reader: a buffer read in pieces smaller than itself
  const fd = openSync(f, 'r');
  const buf = new Uint8Array(100);
  io.readExactly(fd, buf, 0, f, 7);
  closeSync(fd);
  assert.equal(Buffer.from(buf.subarray(8, 15)).toString(), '{"big":');
  const n = io.MAX_TENSOR_BYTES + 8;
  const huge = headerFile('huge.safetensors', `{"x":{"dtype":"U8","shape":[${n}],"data_offsets":[0,${n}]}}`, n);
  assert.throws(() => io.loadSafetensors(huge), (e: Error) => e instanceof SafetensorsError && e.message.startsWith(`${huge}: tensor 'x' is ${n} bytes`));
});

/**
 * Mutation-guided tests of the rest of src/core/io (issue 23, area core-io-pth): the restricted pickle machine
 * opcode by opcode on hand-assembled byte strings (values, containers, memo, globals and hooks, every refusal),
 * the ZIP reader on archives built here byte by byte (stored and deflated entries, every damaged field), and the
 * strict JSON header reader (order, duplicates, depth, escapes, every syntax error). No fixture files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import { loadTorchCheckpoint } from '../../src/core/io/index.js';
import { PickleError, PyDict, PyGlobal, PySet, PyTuple, unpickle, type PickleHooks } from '../../src/core/io/index.js';
import { isZip, zipEntries, zipRead } from '../../src/core/io/zip.js';
import { HeaderSyntaxError, parseTopLevelObject, type JsonValue } from '../../src/core/io/json-header.js';

/** Bytes from numbers (one byte each), number arrays and latin1 strings. */
const b = (...parts: (number | number[] | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'number' ? [p] : typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));
const u32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const u64 = (v: number): number[] => [...u32(v), 0, 0, 0, 0];

const calls: unknown[][] = [];
const hooks: PickleHooks = {
  global: (m, n) => { calls.push(['global', m, n]); return new PyGlobal(m, n); },
  reduce: (f, a) => ({ reduce: [(f as PyGlobal).qualname, a] }),
  newobj: (c, a) => ({ newobj: [(c as PyGlobal).qualname, a] }),
  build: (o, s) => ({ build: [o, s] }),
  persistentLoad: (p) => ({ pid: p }),
};
/** Unpickles PROTO 2, the parts, STOP. */
const run = (...parts: (number | number[] | string)[]): unknown => unpickle(b(0x80, 2, ...parts, 0x2e), hooks, 'x.pkl').value;
const refused = (re: RegExp, ...parts: (number | number[] | string)[]): void => {
  assert.throws(() => run(...parts), (e: unknown) => e instanceof PickleError && re.test((e as Error).message) && (e as Error).message.startsWith('x.pkl: '), String(re));
};
const K = (v: number): number[] => [0x4b, v]; // BININT1

test('pickle integers: BININT1/2/4, INT and LONG text (00/01 booleans), LONG1/LONG4 little-endian two\'s complement, big values as bigint', () => {
  assert.equal(run(0x4b, 200), 200);
  assert.equal(run(0x4d, 0x34, 0x12), 0x1234);
  assert.equal(run(0x4a, 0xfe, 0xff, 0xff, 0xff), -2);
  assert.equal(run(0x4a, 0x01, 0x02, 0x03, 0x04), 0x04030201);
  assert.equal(run('I42\n'), 42);
  assert.equal(run('I-7\n'), -7);
  assert.equal(run('I01\n'), true);
  assert.equal(run('I00\n'), false);
  assert.equal(run('I9007199254740993\n'), 9007199254740993n);
  assert.equal(run('L123L\n'), 123);
  assert.equal(run('L01\n'), 1, 'LONG has no boolean form');
  assert.equal(run(0x8a, 2, 0xff, 0x7f), 32767);
  assert.equal(run(0x8a, 1, 0xff), -1);
  assert.equal(run(0x8a, 2, 0x00, 0x80), -32768);
  assert.equal(run(0x8a, 0), 0);
  assert.equal(run(0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x40), 2n ** 62n);
  assert.equal(run(0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0xc0), -(2n ** 62n));
  assert.equal(run(0x8b, ...u32(2), 0x00, 0x80), -32768);
  assert.equal(run('I-9007199254740991\n'), -9007199254740991, 'the safe range ends inclusive: a number');
  assert.equal(run('I-9007199254740992\n'), -9007199254740992n);
  assert.equal(run('L9007199254740991\n'), 9007199254740991);
  assert.equal(run(0x8a, 7, 0x01, 0, 0, 0, 0, 0, 0xe0), -9007199254740991);
  assert.equal(run(0x8a, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f), 9007199254740991);
  assert.equal(run(0x8a, 7, 0, 0, 0, 0, 0, 0, 0xe0), -9007199254740992n);
  refused(/bad integer literal "x1"/, 'Ix1\n');
  refused(/LONG4 with a negative length/, 0x8b, 0xff, 0xff, 0xff, 0xff);
});

test('pickle floats and strings: BINFLOAT big-endian, FLOAT text (nan kept), every string opcode and its encoding, refusals', () => {
  assert.equal(run(0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0), 1.5);
  assert.equal(run('F2.5\n'), 2.5);
  assert.ok(Number.isNaN(run('Fnan\n') as number));
  refused(/bad float ""/, 'F\n');
  refused(/bad float "abc"/, 'Fabc\n');
  assert.equal(run(0x8c, 3, 'abc'), 'abc');
  assert.equal(run(0x58, ...u32(2), 'hi'), 'hi');
  assert.equal(run(0x8d, ...u64(1), 'z'), 'z');
  assert.equal(run(0x8c, 2, 0xc3, 0xa9), 'é', 'UTF-8');
  assert.equal(run("S'ab'\n"), 'ab');
  assert.equal(run('S"a b"\n'), 'a b');
  refused(/STRING must be quoted/, 'Sab\n');
  refused(/STRING must be quoted/, "S'ab\"\n");
  assert.equal(run(0x54, ...u32(2), 0xe9, 0x41), 'éA', 'latin1');
  assert.equal(run(0x55, 1, 0xe9), 'é');
  assert.equal(run('V\\u00e9x\n'), 'éx');
  refused(/string is not valid UTF-8/, 0x8c, 1, 0xff);
  refused(/BINSTRING with a negative length/, 0x54, 0xff, 0xff, 0xff, 0xff);
});

test('pickle bytes: BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8 give copies, not views of the file', () => {
  for (const [parts, want] of [[[0x42, ...u32(2), 1, 2], [1, 2]], [[0x43, 1, 9], [9]], [[0x8e, ...u64(1), 7], [7]], [[0x96, ...u64(2), 8, 6], [8, 6]]] as const) {
    const buf = b(0x80, 2, ...parts, 0x2e);
    const v = unpickle(buf, hooks, 'x.pkl').value as Uint8Array;
    assert.deepEqual([...v], want);
    buf.fill(0);
    assert.deepEqual([...v], want, 'unchanged when the file buffer is reused');
  }
});

test('pickle containers: tuples of 0-3 and MARK, lists, dicts, sets, APPEND(S)/SETITEM(S)/ADDITEMS, in order; each on the wrong type refused', () => {
  assert.deepEqual(run(0x29), new PyTuple([]));
  assert.deepEqual(run(0x28, ...K(1), ...K(2), ...K(3), ...K(4), 0x74), new PyTuple([1, 2, 3, 4]));
  assert.deepEqual(run(...K(1), 0x85), new PyTuple([1]));
  assert.deepEqual(run(...K(1), ...K(2), 0x86), new PyTuple([1, 2]));
  assert.deepEqual(run(...K(1), ...K(2), ...K(3), 0x87), new PyTuple([1, 2, 3]));
  assert.deepEqual(run(0x5d, ...K(1), 0x61, ...K(2), 0x61), [1, 2]);
  assert.deepEqual(run(0x5d, 0x28, ...K(1), ...K(2), 0x65), [1, 2]);
  assert.deepEqual(run(0x28, ...K(3), ...K(4), 0x6c), [3, 4]);
  const d = run(0x7d, ...K(1), ...K(2), 0x73, 0x28, ...K(3), ...K(4), ...K(5), ...K(6), 0x75) as PyDict;
  assert.deepEqual([...d.map], [[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual([...(run(0x28, ...K(7), ...K(8), 0x64) as PyDict).map], [[7, 8]]);
  assert.deepEqual(run(0x8f, 0x28, ...K(1), ...K(2), 0x90), new PySet([1, 2]));
  assert.deepEqual(run(0x28, ...K(5), 0x91), new PySet([5]));
  refused(/SETITEMS with an odd number of items/, 0x7d, 0x28, ...K(1), 0x75);
  refused(/SETITEM\(S\) on something that is not a dict/, ...K(0), ...K(1), ...K(2), 0x73);
  refused(/APPEND\(S\) on something that is not a list/, ...K(0), ...K(1), 0x61);
  refused(/APPEND\(S\) on something that is not a list/, ...K(0), 0x28, ...K(1), 0x65);
  refused(/ADDITEMS on something that is not a set/, 0x5d, 0x28, ...K(1), 0x90);
});

test('pickle stack and memo: POP, POP_MARK, DUP, STOP with one value only, underflow past a MARK, PUT/GET in text, 1- and 4-byte forms, MEMOIZE numbering', () => {
  assert.equal(run(...K(1), ...K(2), 0x30), 1);
  assert.equal(run(...K(1), 0x28, ...K(2), ...K(3), 0x31), 1);
  assert.deepEqual(run(...K(4), 0x32, 0x86), new PyTuple([4, 4]));
  refused(/STOP with 2 values on the stack/, ...K(1), ...K(2));
  refused(/STOP with 2 values on the stack/, 0x28, ...K(1)); // the MARK counts
  refused(/stack underflow/, 0x30);
  refused(/stack underflow/, 0x28, 0x30);
  refused(/stack underflow/, 0x32);
  refused(/no MARK on the stack/, ...K(1), 0x74);
  assert.equal(run(...K(7), 'p0\n', 0x30, 'g0\n'), 7);
  assert.equal(run(...K(7), 0x71, 3, 0x30, 0x68, 3), 7);
  assert.equal(run(...K(7), 0x72, ...u32(70000), 0x30, 0x6a, ...u32(70000)), 7);
  assert.equal(run(...K(7), 0x94, ...K(8), 0x94, 0x30, 0x30, 0x68, 1), 8);
  assert.equal(run(...K(7), 0x94, ...K(8), 0x94, 0x30, 0x30, 0x68, 0), 7);
  refused(/memo key 9 is not set/, 0x68, 9);
});

test('pickle globals and hooks: GLOBAL and STACK_GLOBAL names, REDUCE/NEWOBJ/NEWOBJ_EX/BUILD/PERSID/BINPERSID reach the hooks; malformed ones refused', () => {
  calls.length = 0;
  assert.deepEqual(run('cmod.sub\nName_1\n'), new PyGlobal('mod.sub', 'Name_1'));
  assert.deepEqual(run(0x8c, 1, 'm', 0x8c, 1, 'n', 0x93), new PyGlobal('m', 'n'));
  assert.deepEqual(calls, [['global', 'mod.sub', 'Name_1'], ['global', 'm', 'n']]);
  refused(/malformed global name "os system x"/, 'cos system\nx\n');
  refused(/malformed global name/, 'cos\n1x\n');
  refused(/STACK_GLOBAL needs two strings/, ...K(1), ...K(2), 0x93);
  assert.deepEqual(run('cm\nf\n', ...K(1), 0x85, 0x52), { reduce: ['m.f', [1]] });
  refused(/REDUCE arguments are not a tuple/, 'cm\nf\n', ...K(1), 0x52);
  assert.deepEqual(run('cm\nC\n', 0x29, 0x81), { newobj: ['m.C', []] });
  refused(/NEWOBJ arguments are not a tuple/, 'cm\nC\n', 0x5d, 0x81);
  assert.deepEqual(run('cm\nC\n', ...K(2), 0x85, 0x7d, 0x92), { newobj: ['m.C', [2]] });
  refused(/NEWOBJ_EX with keyword arguments is not allowed/, 'cm\nC\n', 0x29, 0x7d, ...K(1), ...K(2), 0x73, 0x92);
  refused(/NEWOBJ_EX/, 'cm\nC\n', 0x29, 0x5d, 0x92);
  assert.deepEqual(run(...K(1), ...K(2), 0x62), { build: [1, 2] });
  assert.deepEqual(run('Pabc\n'), { pid: 'abc' });
  assert.deepEqual(run(0x8c, 1, 'x', 0x51), { pid: 'x' });
});

test('pickle framing: PROTO and FRAME are skipped, a FRAME past the end refused, unpickling starts at an offset and reports its end; truncation and refused opcodes named', () => {
  assert.equal(run(0x95, ...u64(3), ...K(5)), 5);
  refused(/length 99 is past the end of the data/, 0x95, ...u64(99));
  const buf = b(0xff, 0xff, 0x80, 2, ...K(6), 0x2e, 0xaa);
  assert.deepEqual(unpickle(buf, hooks, 'x.pkl', 2), { value: 6, end: 7 });
  refused(/truncated: needs 5 more bytes, 3 left/, 0x58, ...u32(5), 'ab'); // 'ab' and STOP
  assert.throws(() => unpickle(b(0x80, 2, 'I1'), hooks, 'x.pkl'), /truncated: no end of line/);
  assert.throws(() => unpickle(b(0x80), hooks, 'x.pkl'), /truncated/);
  refused(/INST/, 0x28, 'ios\nsystem\n');
  refused(/out-of-band buffers/, 0x97);
  refused(/out-of-band buffers/, 0x98);
  refused(/extension-registry/, 0x83, 1, 0);
  refused(/unknown opcode 0x01/, 0x01);
  assert.throws(() => unpickle(b(0x80, 2, 0x30), hooks, 'x.pkl'), (e: Error) => /\(pickle byte 3\)$/.test(e.message), 'the offset is named');
});

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

/** Members of a header, in order. */
const members = (text: string): [string, JsonValue][] => { const out: [string, JsonValue][] = []; parseTopLevelObject(text, (k, v) => out.push([k, v])); return out; };
const syntax = (text: string, re: RegExp): void => { assert.throws(() => members(text), (e: unknown) => e instanceof HeaderSyntaxError && re.test((e as Error).message), `${JSON.stringify(text)}: ${re}`); };

test('JSON header: members in file order, every value kind, escapes decoded, __proto__ kept as data, whitespace of all four kinds', () => {
  assert.deepEqual(members('{}'), []);
  assert.deepEqual(members(' \t\r\n{ "b" : 1 , "a":[ ], "c":{"x":[1,[2]],"y":{}} }\n'), [['b', 1], ['a', []], ['c', { x: [1, [2]], y: {} }]]);
  assert.deepEqual(members('{"n":[-0.5e3,0,12,1.25E-2,true,false,null,"s"]}'), [['n', [-500, 0, 12, 0.0125, true, false, null, 's']]]);
  assert.deepEqual(members('{"a\\nb\\u00e9\\"":"\\\\"}'), [['a\nbé"', '\\']]);
  const [[, v]] = members('{"m":{"__proto__":{"x":1}}}') as [[string, Record<string, unknown>]];
  assert.equal(Object.getPrototypeOf(v), Object.prototype, 'the prototype is not replaced');
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.deepEqual(members('{"__proto__":1}'), [['__proto__', 1]]);
  let deep = '1';
  for (let k = 0; k < 63; k++) deep = `[${deep}]`;
  assert.equal(members(`{"d":${deep}}`).length, 1, 'depth 64 is allowed');
  syntax(`{"d":[${deep}]}`, /nesting deeper than 64/);
});

test('JSON header: every syntax error is refused with its character offset; duplicate keys at any level', () => {
  syntax('[1]', /^expected a JSON object at character 0$/);
  syntax('', /expected a JSON object/);
  syntax('{"a":1} x', /unexpected data after the header object at character 8/);
  syntax('{"a":1', /expected ',' or '}' at character 6/);
  syntax('{a:1}', /expected a string key at character 1/);
  syntax('{"a",1}', /expected ':' at character 4/);
  syntax('{"a":[1 2]}', /expected ',' or '\]' at character 8/);
  syntax('{"a":x}', /unexpected character at character 5/);
  syntax('{"a":"b', /unterminated string/);
  syntax('{"a":"\u0001"}', /control character in a string/);
  syntax('{"a":"\\x"}', /bad escape in a string/);
  syntax('{"a":{"b":1,"b":1}}', /key 'b' appears twice in an object/);
  syntax('{"a":01}', /expected ',' or '}'/);
  syntax('{"a":tru}', /unexpected character/);
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

/**
 * Mutation-guided tests of the restricted pickle machine and the strict JSON header reader (issue 23, area
 * core-io-pth): every opcode on hand-assembled byte strings (values, containers, memo, globals and hooks, every
 * refusal), and the JSON header's order, duplicates, depth, escapes and syntax errors. No fixture files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PickleError, PyDict, PyGlobal, PySet, PyTuple, unpickle, type PickleHooks } from '../../src/core/io/index.js';
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

/**
 * @module A restricted pickle machine (protocols 0-5) that never runs code: it builds plain values (null,
 * boolean, number/bigint, string, Uint8Array, arrays, PyTuple, PyDict, PySet) and hands every GLOBAL,
 * REDUCE, NEWOBJ, BUILD and persistent id to the caller's `Hooks`, which decide what is allowed. Refused
 * outright: INST, OBJ, EXT1/2/4 (extension registry), NEXT_BUFFER/READONLY_BUFFER (out-of-band buffers).
 * Limits: memo entries and stack depth are bounded by the opcodes read (no recursion); every length is
 * checked against the bytes left. Errors are PickleErrors naming the `where` string (the file) and the offset.
 */
import { CheckpointError } from '../errors.js';

/** A pickle that is malformed, or asks for something a weights-only load does not allow; the message names the file. */
export class PickleError extends CheckpointError { override name = 'PickleError'; }

/** A Python tuple (kept apart from lists so rebuild arguments can be told from data). */
export class PyTuple { constructor(readonly items: unknown[]) {} }
/** A Python dict / OrderedDict: insertion-ordered; string and number keys compare by value. */
export class PyDict { readonly map = new Map<unknown, unknown>(); constructor(readonly kind = 'dict') {} }
/** A Python set or frozenset (items in order of insertion). */
export class PySet { constructor(readonly items: unknown[]) {} }
/** A global the hooks accepted, e.g. { module: 'collections', name: 'OrderedDict' }. */
export class PyGlobal { constructor(readonly module: string, readonly name: string) {} get qualname(): string { return `${this.module}.${this.name}`; } }

/** What the caller allows; each hook throws a PickleError to refuse. */
export interface Hooks {
  /** GLOBAL / STACK_GLOBAL: return the value the name stands for (usually a PyGlobal), or throw. */
  global(module: string, name: string): unknown;
  /** REDUCE: `callable(*args)`. */
  reduce(callable: unknown, args: unknown[]): unknown;
  /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args)`. */
  newobj(cls: unknown, args: unknown[]): unknown;
  /** BUILD: `obj.__setstate__(state)`; returns the object that stays on the stack. */
  build(obj: unknown, state: unknown): unknown;
  /** PERSID / BINPERSID. */
  persistentLoad(pid: unknown): unknown;
}

const MARK = Symbol('mark');

/** Unpickles one pickle starting at `start` of `buf`; returns the value and the offset after STOP. */
export function unpickle(buf: Uint8Array, hooks: Hooks, where: string, start = 0): { value: unknown; end: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = start;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const fail = (msg: string): never => { throw new PickleError(`${where}: ${msg} (pickle byte ${pos})`); };
  const need = (n: number): void => { if (n < 0 || pos + n > buf.length) fail(`truncated: needs ${n} more bytes, ${buf.length - pos} left`); };
  const u8 = (): number => { need(1); return buf[pos++]!; };
  const u16 = (): number => { need(2); const v = dv.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = dv.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = dv.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => { need(8); const v = dv.getBigUint64(pos, true); pos += 8; if (v > BigInt(buf.length)) fail(`length ${v} is past the end of the data`); return Number(v); };
  const bytes = (n: number): Uint8Array => { need(n); const b = buf.subarray(pos, pos + n); pos += n; return b; };
  const line = (): string => {
    const e = buf.indexOf(0x0a, pos);
    if (e < 0) fail('truncated: no end of line');
    const s = new TextDecoder('latin1').decode(buf.subarray(pos, e));
    pos = e + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => {
    try { return new TextDecoder('utf-8', { fatal: true }).decode(b); } catch { return fail('string is not valid UTF-8'); }
  };
  const pop = (): unknown => { if (stack.length === 0 || stack[stack.length - 1] === MARK) fail('stack underflow'); return stack.pop(); };
  const top = (): unknown => { if (stack.length === 0) fail('stack underflow'); return stack[stack.length - 1]; };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK on the stack');
    const items = stack.splice(m! + 1);
    stack.pop();
    return items;
  };
  const memoGet = (i: number): unknown => { if (!memo.has(i)) fail(`memo key ${i} is not set`); return memo.get(i); };
  const le = (b: Uint8Array): bigint | number => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const intText = (s: string): number | bigint | boolean => {
    const t = s.replace(/L$/, '').trim();
    if (t === '00') return false;
    if (t === '01') return true;
    if (!/^[-+]?\d+$/.test(t)) fail(`bad integer literal ${JSON.stringify(s)}`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (d: unknown, items: unknown[]): void => {
    if (!(d instanceof PyDict)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (d as PyDict).map.set(items[i], items[i + 1]);
  };
  const append = (l: unknown, items: unknown[]): void => {
    if (!Array.isArray(l)) fail('APPEND(S) on something that is not a list');
    (l as unknown[]).push(...items);
  };
  const globalOf = (module: string, name: string): unknown => {
    if (!/^[A-Za-z_][\w.]*$/.test(module) || !/^[A-Za-z_][\w.]*$/.test(name)) fail(`malformed global name ${JSON.stringify(`${module} ${name}`)}`);
    return hooks.global(module, name);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME (length only; frames are not needed to parse)
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail(`STOP with ${stack.length} values on the stack`);
        return { value: stack[0], end: pos };
      }
      case 0x28: marks.push(stack.length); stack.push(MARK); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x49: stack.push(intText(line())); break; // INT
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4c: { const v = intText(line()); stack.push(typeof v === 'boolean' ? Number(v) : v); break; } // LONG
      case 0x8a: stack.push(le(bytes(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('LONG4 with a negative length'); stack.push(le(bytes(n))); break; }
      case 0x46: { const s = line(); const v = Number(s); if (s.trim() === '' || Number.isNaN(v) && !/nan/i.test(s)) fail(`bad float ${JSON.stringify(s)}`); stack.push(v); break; } // FLOAT
      case 0x47: { need(8); stack.push(dv.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x53: { const s = line().trim(); if (!/^(['"]).*\1$/s.test(s)) fail('STRING must be quoted'); stack.push(s.slice(1, -1)); break; }
      case 0x54: { const n = i32(); if (n < 0) fail('BINSTRING with a negative length'); stack.push(new TextDecoder('latin1').decode(bytes(n))); break; }
      case 0x55: stack.push(new TextDecoder('latin1').decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x58: stack.push(utf8(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(bytes(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))); break; // UNICODE
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(bytes(u64()).slice()); break; // BYTEARRAY8
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b])); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c])); break; }
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { const d = new PyDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: stack.push(new PySet([])); break; // EMPTY_SET
      case 0x90: { const items = popMark(); const s = top(); if (!(s instanceof PySet)) fail('ADDITEMS on something that is not a set'); (s as PySet).items.push(...items); break; }
      case 0x91: stack.push(new PySet(popMark())); break; // FROZENSET
      case 0x67: stack.push(memoGet(Number(line()))); break; // GET
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x63: { const module = line(); const name = line(); stack.push(globalOf(module, name)); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings'); stack.push(globalOf(module as string, name as string)); break; }
      case 0x52: { const args = pop(); const fn = pop(); if (!(args instanceof PyTuple)) fail('REDUCE arguments are not a tuple'); stack.push(hooks.reduce(fn, (args as PyTuple).items)); break; }
      case 0x81: { const args = pop(); const cls = pop(); if (!(args instanceof PyTuple)) fail('NEWOBJ arguments are not a tuple'); stack.push(hooks.newobj(cls, (args as PyTuple).items)); break; }
      case 0x92: { const kw = pop(); const args = pop(); const cls = pop(); if (!(args instanceof PyTuple) || !(kw instanceof PyDict) || kw.map.size) fail('NEWOBJ_EX with keyword arguments is not allowed'); stack.push(hooks.newobj(cls, (args as PyTuple).items)); break; }
      case 0x62: { const state = pop(); const obj = pop(); stack.push(hooks.build(obj, state)); break; } // BUILD
      case 0x50: stack.push(hooks.persistentLoad(line())); break; // PERSID
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x69: fail('opcode INST (instantiates an arbitrary class) is not allowed'); break;
      case 0x6f: fail('opcode OBJ (instantiates an arbitrary class) is not allowed'); break;
      case 0x82: case 0x83: case 0x84: fail('extension-registry opcodes (EXT1/2/4) are not allowed'); break;
      case 0x97: case 0x98: fail('out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER) are not allowed'); break;
      default: fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

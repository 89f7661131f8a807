/**
 * @module The Tensor class: one JS object owns one native handle.
 * Ownership: dispose() (idempotent) or `using`, or tidy() scopes that dispose
 * what was created inside; a native finalizer frees what is forgotten, but only
 * when the event loop turns (docs/architecture.md, "Memory model").
 */
import { native as N } from './native.js';
import { dtypeName, isComplex, typedArrayFor, type DType, type TypedArrayOf } from './dtype.js';
import { DisposedError } from '../errors.js';
import { currentScope, freedEarlyNote, track } from './scope.js';

type Handle = unknown;

// ADAPTUNE_DEBUG_LEAKS=1: report tensors that no scope owned and that were
// garbage-collected without dispose(), with the stack that created them.
const leakRegistry = process.env.ADAPTUNE_DEBUG_LEAKS === '1'
  ? new FinalizationRegistry<string>((stack) => {
    process.stderr.write(`adaptune: a tensor was garbage-collected without dispose(); created${stack.replace(/^Error/, '')}\n`);
  })
  : null;
export type NestedArray = number | boolean | NestedArray[];

export class Tensor {
  #h: Handle | null;
  /** The tidy() scope that owns this tensor, if any (managed by scope.ts). */
  scope: Set<Tensor> | null = null;

  constructor(handle: Handle) {
    this.#h = handle;
    const s = currentScope();
    // A tensor no scope owns is reported to V8 as external memory, so that GC
    // pressure frees it if it is forgotten (scope.ts, account()).
    if (s) track(s, this);
    else {
      N.account!(handle);
      leakRegistry?.register(this, new Error().stack ?? '', this);
    }
  }

  /** The native handle; throws DisposedError after dispose(). */
  get handle(): Handle {
    if (this.#h === null) throw new DisposedError('tensor used after dispose()' + freedEarlyNote(this));
    return this.#h;
  }
  get isDisposed(): boolean { return this.#h === null; }

  /** Frees the native tensor now. Safe to call twice. */
  dispose(): void {
    if (this.#h === null) return;
    N.dispose!(this.#h);
    this.#h = null;
    leakRegistry?.unregister(this);
    this.scope?.delete(this);
    this.scope = null;
  }
  [Symbol.dispose](): void { this.dispose(); }

  get shape(): number[] { return N.shape!(this.handle); }
  get dtype(): DType { return dtypeName(N.dtype!(this.handle)); }
  get device(): string { return N.device!(this.handle); }
  get ndim(): number { return N.dim!(this.handle); }
  dim(): number { return this.ndim; }
  numel(): number { return N.numel!(this.handle); }
  /** size() is the shape; size(d) one dimension (negative d counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    const s = this.shape;
    if (dim === undefined) return s;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): tensor has ${s.length} dims`);
    return s[d]!;
  }
  /** PyTorch's is_contiguous(memory_format): 'contiguousFormat' (default) or 'channelsLast' (NHWC strides, 4-D). */
  isContiguous(memoryFormat?: 'contiguousFormat' | 'channelsLast'): boolean { return N.isContiguous!(this.handle, memoryFormat); }

  // --- autograd ------------------------------------------------------------
  get requiresGrad(): boolean { return N.requiresGrad!(this.handle); }
  set requiresGrad(flag: boolean) { N.setRequiresGrad!(this.handle, flag); }
  requiresGrad_(flag = true): this { N.setRequiresGrad!(this.handle, flag); return this; }
  get isLeaf(): boolean { return N.isLeaf!(this.handle); }
  /** The accumulated gradient as a new Tensor (sharing storage), or null. */
  get grad(): Tensor | null { return wrapOrNull(N.grad!(this.handle)); }
  set grad(g: Tensor | null) { N.setGrad!(this.handle, g === null ? null : g.handle); }
  /** Replaces the data under this tensor, keeping its identity (param.data = x). */
  setData(data: Tensor): this { N.setData!(this.handle, data.handle); return this; }
  backward(gradient?: Tensor | null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    N.backward!(this.handle, gradient ? gradient.handle : null, opts.retainGraph ?? null, opts.createGraph ?? false);
  }

  // --- read-back -----------------------------------------------------------
  /** A copy of the elements in row-major order (int64 as BigInt64Array, complex interleaved). */
  data(): TypedArrayOf { return typedArrayFor(this.dtype, N.toBuffer!(this.handle)); }
  /** The raw bytes (little-endian, row-major). */
  bytes(): Uint8Array { return new Uint8Array(N.toBuffer!(this.handle)); }
  /** The single value of a one-element tensor ([re, im] for complex). */
  item(): number | boolean | [number, number] { return N.item!(this.handle); }
  /** Nested JS arrays (numbers; booleans for bool; [re, im] pairs for complex). */
  toArray(): NestedArray {
    const shape = this.shape;
    const dt = this.dtype;
    const raw = this.data();
    const flat: (number | boolean | number[])[] = [];
    if (isComplex(dt)) {
      for (let i = 0; i < raw.length; i += 2) flat.push([Number(raw[i]), Number(raw[i + 1])]);
    } else if (dt === 'bool') {
      for (const v of raw as Uint8Array) flat.push(v !== 0);
    } else if (dt === 'float16' || dt === 'bfloat16') {
      const f32 = N.toOpts!(this.handle, 6, null, false);
      const f = N.toBuffer!(f32);
      N.dispose!(f32);
      for (const v of new Float32Array(f)) flat.push(v);
    } else {
      for (let i = 0; i < raw.length; i++) flat.push(Number(raw[i]));
    }
    if (shape.length === 0) return flat[0] as NestedArray;
    let k = 0;
    const build = (d: number): NestedArray => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? (flat[k++] as NestedArray) : build(d + 1));
      return out;
    };
    return build(0);
  }
  toString(): string {
    if (this.isDisposed) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}` +
      `${this.requiresGrad ? ', requiresGrad=true' : ''})`;
  }
}

// Helpers used by the generated ops (src/core/tensor/generated/ops.ts); `op` and
// `arg` name the op and argument in the TypeError (both optional).
const where = (op?: string, arg?: string) => (op ? `${op}: argument '${arg}': ` : '');
export function h(t: Tensor, op?: string, arg?: string): Handle {
  if (!(t instanceof Tensor)) throw new TypeError(`${where(op, arg)}expected a Tensor, got ${describe(t)}`);
  if (t.isDisposed) throw new DisposedError(`${where(op, arg)}tensor used after dispose()${freedEarlyNote(t)}`);
  return t.handle;
}
export function hn(t: Tensor | null | undefined, op?: string, arg?: string): Handle | null {
  return t === null || t === undefined ? null : h(t, op, arg);
}
export function hs(ts: Tensor[], op?: string, arg?: string): Handle[] {
  if (!Array.isArray(ts)) throw new TypeError(`${where(op, arg)}expected an array of Tensors, got ${describe(ts)}`);
  return ts.map((t) => h(t, op, arg));
}
export function hts(t: Tensor | number | boolean, op?: string, arg?: string): Handle | number | boolean {
  return typeof t === 'number' || typeof t === 'boolean' ? t : h(t, op, arg);
}
export function wrap(handle: Handle): Tensor { return new Tensor(handle); }
export function wrapOrNull(handle: Handle | null): Tensor | null { return handle === null ? null : new Tensor(handle); }
export function wrapAll(handles: Handle[]): Tensor[] { return handles.map((x) => new Tensor(x)); }

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `${typeof v} ${String(v)}`;
}

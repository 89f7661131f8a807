/** @module Tensor creation with PyTorch's option names: torch.zeros([2, 3], { dtype: 'float64' }). */
import { native as N } from './native.js';
import { Tensor, wrap, h } from './tensor.js';
import { dtypeCode, dtypeCodeOrNull, type DType, type Device } from './dtype.js';
import { DTypeError, ShapeError } from '../errors.js';
import { gh, type Generator } from './generator.js';
import type { NestedArray } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device | string;
  requiresGrad?: boolean;
}

/** Options of the random creation helpers: a torch.Generator in place of the default one. */
export interface RandomOptions extends TensorOptions {
  generator?: Generator | null;
}

type Size = number[] | number;

function finish(t: Tensor, o: TensorOptions | undefined): Tensor {
  if (o?.requiresGrad) t.requiresGrad = true;
  return t;
}
const dt = (o?: TensorOptions) => dtypeCodeOrNull(o?.dtype);
const dev = (o?: TensorOptions) => o?.device ?? null;

export const zeros = (size: Size, o?: TensorOptions): Tensor => finish(wrap(N.zeros!(size, dt(o), dev(o))), o);
export const ones = (size: Size, o?: TensorOptions): Tensor => finish(wrap(N.ones!(size, dt(o), dev(o))), o);
export const empty = (size: Size, o?: TensorOptions): Tensor => finish(wrap(N.empty!(size, dt(o), dev(o))), o);
export const full = (size: Size, value: number | boolean, o?: TensorOptions): Tensor =>
  finish(wrap(N.full!(size, value, dt(o), dev(o))), o);
const gen = (o?: RandomOptions) => gh(o?.generator);
export const rand = (size: Size, o?: RandomOptions): Tensor => finish(wrap(N.rand!(size, dt(o), dev(o), gen(o))), o);
export const randn = (size: Size, o?: RandomOptions): Tensor => finish(wrap(N.randn!(size, dt(o), dev(o), gen(o))), o);
export const randint = (low: number, high: number, size: Size, o?: RandomOptions): Tensor =>
  finish(wrap(N.randint!(low, high, size, dt(o), dev(o), gen(o))), o);
export const randperm = (n: number, o?: RandomOptions): Tensor =>
  finish(wrap(N.randperm!(n, dt(o), dev(o), gen(o))), o);
export const eye = (n: number, m?: number | null, o?: TensorOptions): Tensor =>
  finish(wrap(N.eye!(n, m ?? null, dt(o), dev(o))), o);
export const linspace = (start: number, end: number, steps: number, o?: TensorOptions): Tensor =>
  finish(wrap(N.linspace!(start, end, steps, dt(o), dev(o))), o);

/** arange(end), arange(start, end) or arange(start, end, step); integers give int64 as in PyTorch. */
export function arange(start: number, end?: number, step = 1, o?: TensorOptions): Tensor {
  const [a, b] = end === undefined ? [0, start] : [start, end];
  return finish(wrap(N.arange!(a, b, step, dt(o), dev(o))), o);
}

const TYPED: [new (...a: never[]) => ArrayBufferView, DType][] = [
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int32Array, 'int32'], [BigInt64Array, 'int64'],
  [Int16Array, 'int16'], [Int8Array, 'int8'], [Uint8Array, 'uint8'],
];

/** A tensor over a copy of `data` (TypedArray or Buffer) with the given shape and dtype. */
export function fromBuffer(data: ArrayBufferView | ArrayBuffer, shape: number[], dtype: DType, o?: TensorOptions): Tensor {
  return finish(wrap(N.fromBuffer!(data, shape, dtypeCode(dtype), dev(o))), o);
}

function inferShape(data: NestedArray, path = 'data'): number[] {
  if (!Array.isArray(data)) return [];
  if (data.length === 0) return [0];
  const inner = inferShape(data[0]!, `${path}[0]`);
  for (let i = 1; i < data.length; i++) {
    const s = inferShape(data[i]!, `${path}[${i}]`);
    if (s.length !== inner.length || s.some((v, k) => v !== inner[k])) {
      throw new ShapeError(`tensor(): ragged nested array: ${path}[${i}] has shape [${s}] but ${path}[0] has [${inner}]`);
    }
  }
  return [data.length, ...inner];
}

/**
 * A tensor from nested arrays, a number/boolean, or a TypedArray (1-D unless
 * shape given). Like torch.tensor: integers give int64, any fraction float32,
 * booleans bool, unless dtype says otherwise.
 */
export function tensor(data: NestedArray | ArrayBufferView, o?: TensorOptions & { shape?: number[] }): Tensor {
  if (ArrayBuffer.isView(data)) {
    const hit = TYPED.find(([C]) => data instanceof C);
    if (!hit) throw new DTypeError(`tensor(): unsupported TypedArray ${data.constructor.name}`);
    const n = (data as unknown as { length: number }).length;
    const t = fromBuffer(data, o?.shape ?? [n], hit[1], o);
    return o?.dtype && o.dtype !== hit[1] ? castKeep(t, o.dtype) : t;
  }
  const shape = inferShape(data);
  const flat = (Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data]) as (number | boolean)[];
  let dtype = o?.dtype;
  if (!dtype) {
    if (flat.length && flat.every((v) => typeof v === 'boolean')) dtype = 'bool';
    else if (flat.length && flat.every((v) => typeof v === 'number' && Number.isInteger(v))) dtype = 'int64';
    else dtype = 'float32';
  }
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number' && typeof v !== 'boolean') throw new DTypeError(`tensor(): element ${i} is ${typeof v}, not a number`);
  }
  const nums = flat.map(Number);
  let buf: ArrayBufferView;
  switch (dtype) {
    case 'float64': buf = Float64Array.from(nums); break;
    case 'int64': buf = BigInt64Array.from(nums.map((v) => BigInt(Math.trunc(v)))); break;
    case 'int32': buf = Int32Array.from(nums); break;
    case 'int16': buf = Int16Array.from(nums); break;
    case 'int8': buf = Int8Array.from(nums); break;
    case 'uint8': case 'bool': buf = Uint8Array.from(nums.map((v) => (dtype === 'bool' ? (v ? 1 : 0) : v))); break;
    case 'float32': buf = Float32Array.from(nums); break;
    default: return castKeep(tensor(data, { ...o, dtype: 'float64' }), dtype);
  }
  return finish(wrap(N.fromBuffer!(buf, shape, dtypeCode(dtype), dev(o))), o);
}

function castKeep(t: Tensor, dtype: DType): Tensor {
  const out = wrap(N.toOpts!(h(t), dtypeCode(dtype), null, false));
  const rg = t.requiresGrad;
  t.dispose();
  if (rg) out.requiresGrad = true;
  return out;
}

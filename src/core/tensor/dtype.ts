/** @module dtypes and devices: names as in PyTorch, codes as c10::ScalarType. */
import { DTypeError } from '../errors.js';

export type DType =
  | 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64'
  | 'complex64' | 'complex128' | 'bool' | 'bfloat16';
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type Reduction = 'none' | 'mean' | 'sum';

// c10::ScalarType enumerators (stable from 1.13 to 2.x for these entries).
const CODES: Record<DType, number> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7,
  complex64: 9, complex128: 10, bool: 11, bfloat16: 15,
};
const NAMES: Record<number, DType> = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k as DType]));

/** Bytes per element. */
export const DTYPE_SIZE: Record<DType, number> = {
  uint8: 1, int8: 1, int16: 2, int32: 4, int64: 8, float16: 2, float32: 4, float64: 8,
  complex64: 8, complex128: 16, bool: 1, bfloat16: 2,
};

export function dtypeCode(d: DType): number {
  const c = CODES[d];
  if (c === undefined) throw new DTypeError(`unknown dtype '${String(d)}'; expected one of ${Object.keys(CODES).join(', ')}`);
  return c;
}

export function dtypeCodeOrNull(d: DType | null | undefined): number | null {
  return d === null || d === undefined ? null : dtypeCode(d);
}

export function dtypeName(code: number): DType {
  const n = NAMES[code];
  if (n === undefined) throw new DTypeError(`dtype code ${code} has no adaptune name`);
  return n;
}

export const isFloating = (d: DType): boolean => d === 'float16' || d === 'float32' || d === 'float64' || d === 'bfloat16';
export const isComplex = (d: DType): boolean => d === 'complex64' || d === 'complex128';

/** The TypedArray each dtype reads into (complex: interleaved re, im; float16/bfloat16: raw Uint16). */
export type TypedArrayOf =
  Float32Array | Float64Array | Int32Array | BigInt64Array | Int16Array | Int8Array | Uint8Array | Uint16Array;

export function typedArrayFor(d: DType, buf: ArrayBuffer): TypedArrayOf {
  switch (d) {
    case 'float32': case 'complex64': return new Float32Array(buf);
    case 'float64': case 'complex128': return new Float64Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'uint8': case 'bool': return new Uint8Array(buf);
    case 'float16': case 'bfloat16': return new Uint16Array(buf);
  }
}

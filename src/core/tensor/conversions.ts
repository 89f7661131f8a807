/** @module Hand-written Tensor methods: dtype/device conversion (t.to(), t.float(), t.cuda(), ...). */
import { native as N } from './native.js';
import { Tensor, wrap } from './tensor.js';
import { dtypeCode, type DType, type Device } from './dtype.js';

export type ToTarget = DType | Device | string | { dtype?: DType; device?: Device | string; copy?: boolean };

const DTYPES = new Set(['uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64',
  'complex64', 'complex128', 'bool', 'bfloat16']);

declare module './tensor.js' {
  interface Tensor {
    /** t.to('float64'), t.to('cuda'), t.to({ dtype, device, copy }). Returns a new tensor (PyTorch may return self). */
    to(target: ToTarget): Tensor;
    float(): Tensor;
    double(): Tensor;
    half(): Tensor;
    long(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    byte(): Tensor;
    cpu(): Tensor;
    cuda(index?: number): Tensor;
  }
}

const P = Tensor.prototype;
P.to = function (this: Tensor, target: ToTarget): Tensor {
  let dtype: DType | null = null;
  let device: string | null = null;
  let copy = false;
  if (typeof target === 'string') {
    if (DTYPES.has(target)) dtype = target as DType;
    else device = target;
  } else {
    dtype = target.dtype ?? null;
    device = target.device ?? null;
    copy = target.copy ?? false;
  }
  return wrap(N.toOpts!(this.handle, dtype === null ? null : dtypeCode(dtype), device, copy));
};
P.float = function (this: Tensor) { return this.to('float32'); };
P.double = function (this: Tensor) { return this.to('float64'); };
P.half = function (this: Tensor) { return this.to('float16'); };
P.long = function (this: Tensor) { return this.to('int64'); };
P.int = function (this: Tensor) { return this.to('int32'); };
P.bool = function (this: Tensor) { return this.to('bool'); };
P.byte = function (this: Tensor) { return this.to('uint8'); };
P.cpu = function (this: Tensor) { return this.to('cpu'); };
P.cuda = function (this: Tensor, index?: number) { return this.to(index === undefined ? 'cuda' : `cuda:${index}`); };

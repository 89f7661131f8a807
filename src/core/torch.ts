/**
 * @module The `torch` namespace: every generated op as a function
 * (torch.matmul(a, b)), creation with option objects, autograd, RNG, threads,
 * devices and memory. Tensor methods (a.matmul(b)) are installed on import.
 */
import './tensor/generated/methods.js';
import './tensor/conversions.js';
import { native as N } from './tensor/native.js';
import { Tensor, wrap } from './tensor/tensor.js';

export * from './tensor/generated/ops.js';
export {
  zeros, ones, empty, full, rand, randn, randint, randperm, eye, linspace, arange, tensor, fromBuffer,
  type TensorOptions, type RandomOptions,
} from './tensor/creation.js';
export { Generator } from './tensor/generator.js';
export { Tensor, type NestedArray } from './tensor/tensor.js';
export { tidy, keep, scopeDepth } from './tensor/scope.js';
export { type DType, type Device, type Reduction, DTYPE_SIZE, isFloating, isComplex } from './tensor/dtype.js';
export * as jit from './jit.js';
export * as amp from './amp.js';
export { autocast } from './amp.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, inferenceMode, isInferenceModeEnabled, autograd } from './autograd.js';

/** Seeds the default generator (CPU and CUDA); the same seed gives the same numbers as PyTorch's torch.manual_seed on the same libtorch. */
export function manualSeed(seed: number): void { N.manualSeed!(seed); }
/** The default CPU generator's state as a uint8 tensor (for checkpoints). */
export function getRngState(): Tensor { return wrap(N.getRngState!()); }
export function setRngState(state: Tensor): void { N.setRngState!(state.handle); }

/** libtorch's intra-op thread count (process-wide). Default: the machine's cores. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: n must be a positive integer, got ${n}`);
  N.setNumThreads!(n);
}
export function getNumThreads(): number { return N.getNumThreads!(); }

export const cuda = {
  isAvailable: (): boolean => N.cudaIsAvailable!(),
  deviceCount: (): number => N.cudaDeviceCount!(),
  synchronize: (): void => { N.cudaSynchronize!(); },
};

/** Versions of libtorch and of this package's addon. */
export function version(): { libtorch: string } { return { libtorch: N.libtorchVersion!() }; }
/** libtorch's build configuration (BLAS, oneDNN, OpenMP, ...). */
export function configShow(): string { return N.configShow!(); }

/** Live native tensors (created and not yet disposed or collected): for leak tests. */
export function liveTensors(): number { return N.liveTensors!(); }
/** Live tensors and the bytes they hold. */
export function memory(): { liveTensors: number; liveBytes: number } {
  return { liveTensors: N.liveTensors!(), liveBytes: N.liveBytes!() };
}
/** Statistics of the caching CPU allocator (blocks of 64 KiB and more are reused by exact size). */
export interface CpuCacheStats { installed: boolean; cachedBytes: number; liveBytes: number; hits: number; misses: number; limitBytes: number }

/** The caching CPU allocator: stats, emptyCache() (return cached blocks to the system), setLimit(bytes). */
export const cpuCache = {
  stats: (): CpuCacheStats => N.cpuCacheStats!(),
  emptyCache: (): void => { N.cpuCacheEmpty!(); },
  setLimit: (bytes: number): void => {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`cpuCache.setLimit: bytes must be >= 0, got ${bytes}`);
    N.cpuCacheSetLimit!(Math.round(bytes));
  },
};

/** Disposes every tensor found in the arguments (tensors, arrays, plain objects). */
export function dispose(...xs: unknown[]): void {
  const visit = (v: unknown): void => {
    if (v instanceof Tensor) v.dispose();
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(visit);
  };
  xs.forEach(visit);
}

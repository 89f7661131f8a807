/**
 * @module torch.amp: mixed precision over libtorch's autocast (the state is thread-local; JS runs on one thread).
 *
 * autocast(device, fn, { dtype }) runs fn with autocast on, as PyTorch's `with torch.autocast(...)`: ops on
 * libtorch's lower-precision list (convolutions, matmul, linear, ...) run in `dtype` (CPU: bfloat16; CUDA: float16
 * or bfloat16), numerically sensitive ops in float32, parameters stay float32 (their casts are cached for the
 * region). GradScaler is PyTorch's dynamic loss scaling for float16 gradients: scale the loss, unscale the
 * gradients before clipping or stepping, skip the step when any gradient is inf/NaN and halve the scale, double it
 * after `growthInterval` finite steps.
 */
import { native as N } from './tensor/native.js';
import { dtypeCode, dtypeName, type DType } from './tensor/dtype.js';
import { Tensor } from './tensor/tensor.js';
import { tidy } from './tensor/scope.js';
import { noGrad } from './autograd.js';
import type { Optimizer } from './optim/optimizer.js';

/** Devices autocast knows. */
export type AutocastDevice = 'cpu' | 'cuda';

/** Options of autocast. */
export interface AutocastOptions {
  /** The lower precision (default: bfloat16 on cpu, float16 on cuda). */
  dtype?: 'bfloat16' | 'float16';
  /** false runs fn with autocast off (default true), as `torch.autocast(..., enabled=False)`. */
  enabled?: boolean;
}

/** Whether autocast is on for a device, and its dtype. */
export function autocastState(device: AutocastDevice): { enabled: boolean; dtype: DType } {
  const [enabled, code] = N.autocastState!(device) as [boolean, number];
  return { enabled, dtype: dtypeName(code) };
}

/** Runs fn (synchronous) with autocast set for `device`; the previous state is restored afterwards. */
export function autocast<R>(device: AutocastDevice, fn: () => R, o: AutocastOptions = {}): R {
  if (device !== 'cpu' && device !== 'cuda') throw new TypeError(`autocast: device must be 'cpu' or 'cuda', got ${JSON.stringify(device)}`);
  const dtype = o.dtype ?? (device === 'cpu' ? 'bfloat16' : 'float16');
  if (device === 'cpu' && dtype !== 'bfloat16') throw new TypeError(`autocast: on cpu the dtype must be bfloat16 (libtorch 1.13's CPU autocast has no float16), got ${JSON.stringify(dtype)}`);
  if (dtype !== 'bfloat16' && dtype !== 'float16') throw new TypeError(`autocast: dtype must be 'bfloat16' or 'float16', got ${JSON.stringify(dtype)}`);
  const prev = autocastState(device);
  N.setAutocast!(device, o.enabled ?? true, dtypeCode(dtype));
  N.autocastNesting!(1);
  try {
    const r = fn();
    if (r && typeof (r as { then?: unknown }).then === 'function') {
      throw new TypeError('autocast(fn): fn must be synchronous; the mode would leak into other async work');
    }
    return r;
  } finally {
    N.autocastNesting!(-1);
    N.setAutocast!(device, prev.enabled, dtypeCode(prev.dtype));
  }
}

/** Options of GradScaler (PyTorch's defaults). */
export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  /** false: every method is a pass-through (scale 1, no checks), as `GradScaler(enabled=False)`. */
  enabled?: boolean;
}

/** Dynamic loss scaling (torch.cuda.amp.GradScaler): scale(loss).backward(); unscale_(opt); step(opt); update(). */
export class GradScaler {
  scale: number;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  readonly enabled: boolean;
  #growth = 0;
  #unscaled = false;
  #foundInf = false;

  constructor(o: GradScalerOptions = {}) {
    this.scale = o.initScale ?? 2 ** 16;
    this.growthFactor = o.growthFactor ?? 2;
    this.backoffFactor = o.backoffFactor ?? 0.5;
    this.growthInterval = o.growthInterval ?? 2000;
    this.enabled = o.enabled ?? true;
    const pos = (n: string, v: number): void => { if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`GradScaler: ${n} must be a finite number > 0, got ${v}`); };
    pos('initScale', this.scale);
    if (!(this.growthFactor > 1)) throw new RangeError(`GradScaler: growthFactor must be > 1, got ${this.growthFactor}`);
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1)) throw new RangeError(`GradScaler: backoffFactor must be in (0, 1), got ${this.backoffFactor}`);
    if (!(Number.isInteger(this.growthInterval) && this.growthInterval >= 1)) throw new RangeError(`GradScaler: growthInterval must be an integer >= 1, got ${this.growthInterval}`);
  }

  /** The loss times the current scale (a new tensor; the loss itself when disabled). */
  scaleLoss(loss: Tensor): Tensor { return this.enabled ? loss.mul(this.scale) : loss; }

  /** Divides every gradient of the optimizer's parameters by the scale (once per step) and records whether any is inf/NaN. */
  unscale_(opt: Optimizer): void {
    if (!this.enabled || this.#unscaled) return;
    const inv = 1 / this.scale;
    let bad = false;
    noGrad(() => tidy(() => {
      for (const g of opt.paramGroups.flatMap((pg) => pg.params).map((p) => p.grad)) {
        if (!g) continue;
        g.mul_(inv);
        if (!bad && !g.isfinite().all().item()) bad = true;
        g.dispose();
      }
    }));
    this.#unscaled = true;
    this.#foundInf = bad;
  }

  /** Unscales if not done yet, then steps unless a gradient was inf/NaN; returns whether it stepped. */
  step(opt: Optimizer): boolean {
    if (!this.enabled) { opt.step(); return true; }
    this.unscale_(opt);
    if (this.#foundInf) return false;
    opt.step();
    return true;
  }

  /** After step: halve the scale on an inf/NaN step, grow it after growthInterval finite steps in a row. */
  update(): void {
    if (!this.enabled) return;
    if (this.#foundInf) { this.scale *= this.backoffFactor; this.#growth = 0; }
    else if (++this.#growth >= this.growthInterval) { this.scale *= this.growthFactor; this.#growth = 0; }
    this.#unscaled = false;
    this.#foundInf = false;
  }

  /** Whether the last unscale_ found an inf/NaN gradient. */
  get foundInf(): boolean { return this.#foundInf; }

  stateDict(): { scale: number; growthTracker: number } { return { scale: this.scale, growthTracker: this.#growth }; }
  loadStateDict(s: { scale: number; growthTracker: number }): void {
    if (!(Number.isFinite(s.scale) && s.scale > 0) || !Number.isInteger(s.growthTracker) || s.growthTracker < 0) {
      throw new RangeError(`GradScaler.loadStateDict: bad state ${JSON.stringify(s)}`);
    }
    this.scale = s.scale;
    this.#growth = s.growthTracker;
  }
}

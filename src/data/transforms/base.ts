/**
 * @module Batched transforms: the Transform interface, Compose, and helpers.
 *
 * Inputs are float [B, C, H, W] in [0, 1] (C = 1 or 3); outputs are new
 * tensors of the same shape (the input is never disposed: the caller owns both).
 * All work is libtorch ops on the whole batch; JS only draws the per-example
 * parameters (B numbers). Randomness: every random transform draws only from
 * the `rng` passed to apply() (a seeded xoshiro128** Rng, src/data/rng.ts),
 * never from libtorch's global generator, so the same rng state gives the same
 * output. The DataLoader passes Rng.derive(seed, 'augment', epoch, batch).
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError, ShapeError, DTypeError } from '../../core/errors.js';
import type { Rng } from '../rng.js';

/** A batched image transform. */
export interface Transform {
  /** The class name, for descriptions. */
  readonly name: string;
  /** Returns the transformed batch (new tensor); `x` stays owned by the caller. */
  apply(x: Tensor, rng: Rng): Tensor;
  /** The validated config, JSON-serialisable. */
  config(): Record<string, unknown>;
}

/** Throws ConfigError(`<where>.<field> must be <allowed>, got <value>`) unless ok. */
export function need(ok: boolean, where: string, field: string, allowed: string, value: unknown): void {
  if (!ok) throw new ConfigError(`${where}.${field} must be ${allowed}, got ${JSON.stringify(value)}`);
}

/** Checks a number in [lo, hi] (or an integer when `int`) and returns it. */
export function num(v: unknown, where: string, field: string, lo: number, hi: number, int = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi && (!int || Number.isInteger(v));
  need(ok, where, field, `${int ? 'an integer' : 'a number'} in [${lo}, ${hi}]`, v);
  return v as number;
}

/** Checks that x is a float [B, C, H, W] batch with C in {1, 3}. */
export function checkBatch(x: Tensor, where: string): [number, number, number, number] {
  if (x.ndim !== 4) throw new ShapeError(`${where}: expected a [B, C, H, W] batch, got shape [${x.shape.join(', ')}]`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`${where}: expected a float batch in [0, 1] (use toFloat), got ${x.dtype}`);
  return x.shape as [number, number, number, number];
}

/** A float32 [B, 1, 1, 1] tensor of per-example values. */
export function perExample(values: readonly number[], dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const shape = [values.length, 1, 1, 1];
  return dtype === 'float32' ? torch.tensor(Float32Array.from(values), { shape }) : torch.tensor(Float64Array.from(values), { shape });
}

/** uint8 [B, C, H, W] -> float32 in [0, 1]. */
export function toFloat(x: Tensor): Tensor {
  return torch.tidy(() => x.to('float32').div(255));
}

/** ITU-R 601 luma [B, 1, H, W] of an RGB batch (the batch itself when C = 1). */
export function grayscale(x: Tensor): Tensor {
  if (x.shape[1] === 1) return x.clone();
  return torch.tidy(() => {
    const w = torch.tensor(Float32Array.from([0.299, 0.587, 0.114]), { shape: [1, 3, 1, 1] }).to(x.dtype);
    return x.mul(w).sum(1, true);
  });
}

/** Per-example blend: f * x + (1 - f) * other (f [B,1,1,1]), clamped to [0, 1] (PIL's ImageEnhance). */
export function blend(x: Tensor, other: Tensor, f: Tensor): Tensor {
  return torch.tidy(() => torch.clamp(other.add(x.sub(other).mul(f)), 0, 1));
}

/**
 * Per-example affine warp. mats[b] = [a, b, c, d, tx, ty] maps an output pixel
 * (x, y) (centred, pixel units) to the input pixel (a x + b y + tx, c x + d y + ty);
 * bilinear sampling, zeros outside. Uses torch.affineGrid + torch.gridSample.
 */
export function warpAffine(x: Tensor, mats: readonly number[][]): Tensor {
  const [B, , H, W] = x.shape as [number, number, number, number];
  return torch.tidy(() => {
    const th = new Float64Array(B * 6);
    mats.forEach(([a, b, c, d, tx, ty], i) => {
      th.set([a!, b! * H / W, tx! / (W / 2), c! * W / H, d!, ty! / (H / 2)], i * 6);
    });
    const theta = torch.tensor(th, { shape: [B, 2, 3] }).to(x.dtype);
    const grid = torch.affineGrid(theta, [B, x.shape[1]!, H, W], false);
    return torch.gridSample(x, grid, 0, 0, false);
  });
}

/** A per-example box mask [B, 1, H, W] (bool): rows [y0, y1) x cols [x0, x1) of each example. */
export function boxMask(H: number, W: number, boxes: readonly [number, number, number, number][]): Tensor {
  return torch.tidy(() => {
    const B = boxes.length;
    const col = (k: number): Tensor => perExample(boxes.map((b) => b[k]!));
    const ys = torch.arange(0, H).to('float32').reshape([1, 1, H, 1]);
    const xs = torch.arange(0, W).to('float32').reshape([1, 1, 1, W]);
    const inY = ys.ge(col(0)).logicalAnd(ys.lt(col(1)));
    const inX = xs.ge(col(2)).logicalAnd(xs.lt(col(3)));
    return inY.logicalAnd(inX).expand([B, 1, H, W]).contiguous();
  });
}

/** Applies transforms in order, freeing intermediates. */
export class Compose implements Transform {
  readonly name = 'Compose';
  readonly transforms: readonly Transform[];
  /** Composes the given transforms (applied left to right). */
  constructor(transforms: readonly Transform[]) {
    need(Array.isArray(transforms) && transforms.every((t) => t && typeof t.apply === 'function'), 'Compose', 'transforms', 'an array of Transforms', typeof transforms);
    this.transforms = [...transforms];
  }
  apply(x: Tensor, rng: Rng): Tensor {
    return torch.tidy(() => {
      let y = x;
      for (const t of this.transforms) y = t.apply(y, rng);
      return y === x ? x.clone() : y;
    });
  }
  config(): Record<string, unknown> { return { transforms: this.transforms.map((t) => ({ name: t.name, ...t.config() })) }; }
}

/**
 * @module Batch mixing: MixUp (Zhang et al. 2018) and CutMix (Yun et al. 2019).
 * One lambda per batch (as in both papers), partners from a random permutation
 * of the batch. They return the mixed inputs, both label vectors and lambda:
 * train with lambda * loss(yA) + (1 - lambda) * loss(yB), or softTargets().
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ShapeError } from '../../core/errors.js';
import type { Rng } from '../rng.js';
import { num, checkBatch, boxMask } from './base.js';

/** A mixed batch; x, yA and yB are new tensors owned by the caller. */
export interface MixedBatch {
  /** Mixed inputs, float [B, C, H, W]. */
  x: Tensor;
  /** The labels of the examples (int64 [B]). */
  yA: Tensor;
  /** The labels of their partners (int64 [B]). */
  yB: Tensor;
  /** Weight of yA (for CutMix: the fraction of pixels kept). */
  lambda: number;
  /** The partner of each example. */
  perm: number[];
}

/** A batch-level mixing augmentation. */
export interface BatchMix {
  readonly name: string;
  /** Mixes a float batch x with labels y (int64 [B]). */
  mix(x: Tensor, y: Tensor, rng: Rng): MixedBatch;
  config(): Record<string, unknown>;
}

function checkLabels(x: Tensor, y: Tensor, where: string): number {
  const [B] = checkBatch(x, where);
  if (y.ndim !== 1 || y.shape[0] !== B) throw new ShapeError(`${where}: labels must be [${B}], got [${y.shape.join(', ')}]`);
  return B;
}

/** lambda * onehot(yA) + (1 - lambda) * onehot(yB): float32 [B, numClasses] soft targets. */
export function softTargets(m: MixedBatch, numClasses: number): Tensor {
  return torch.tidy(() => torch.oneHot(m.yA, numClasses).to('float32').mul(m.lambda)
    .add(torch.oneHot(m.yB, numClasses).to('float32').mul(1 - m.lambda)));
}

/** MixUp: x = lambda x + (1 - lambda) x[perm], lambda ~ Beta(alpha, alpha) unless fixed. */
export class MixUp implements BatchMix {
  readonly name = 'MixUp';
  readonly c: { alpha: number; lambda: number | null };
  /** alpha in (0, 100] (default 1); lambda in [0, 1] fixes lambda (tests, ablations). */
  constructor(c: { alpha?: number; lambda?: number } = {}) {
    this.c = { alpha: num(c.alpha ?? 1, 'MixUp', 'alpha', 1e-3, 100), lambda: c.lambda === undefined ? null : num(c.lambda, 'MixUp', 'lambda', 0, 1) };
  }
  mix(x: Tensor, y: Tensor, rng: Rng): MixedBatch {
    const B = checkLabels(x, y, 'MixUp');
    const lambda = this.c.lambda ?? rng.beta(this.c.alpha, this.c.alpha);
    const perm = rng.permutation(B);
    return torch.tidy(() => {
      const idx = torch.tensor(Int32Array.from(perm)).to('int64');
      const xm = x.mul(lambda).add(x.indexSelect(0, idx).mul(1 - lambda));
      return { x: xm, yA: y.clone(), yB: y.indexSelect(0, idx), lambda, perm };
    });
  }
  config(): Record<string, unknown> { return { ...this.c }; }
}

/** CutMix: pastes a box of area about (1 - lambda) from the partner; lambda is then corrected to the kept fraction. */
export class CutMix implements BatchMix {
  readonly name = 'CutMix';
  readonly c: { alpha: number; lambda: number | null };
  /** alpha in (0, 100] (default 1); lambda in [0, 1] fixes the target ratio. */
  constructor(c: { alpha?: number; lambda?: number } = {}) {
    this.c = { alpha: num(c.alpha ?? 1, 'CutMix', 'alpha', 1e-3, 100), lambda: c.lambda === undefined ? null : num(c.lambda, 'CutMix', 'lambda', 0, 1) };
  }
  mix(x: Tensor, y: Tensor, rng: Rng): MixedBatch {
    const B = checkLabels(x, y, 'CutMix');
    const [, , H, W] = x.shape as [number, number, number, number];
    const lam0 = this.c.lambda ?? rng.beta(this.c.alpha, this.c.alpha);
    const perm = rng.permutation(B);
    const r = Math.sqrt(1 - lam0);
    const ch = Math.floor(H * r);
    const cw = Math.floor(W * r);
    const cy = rng.int(H);
    const cx = rng.int(W);
    const y0 = Math.max(cy - Math.floor(ch / 2), 0);
    const y1 = Math.min(cy + Math.ceil(ch / 2), H);
    const x0 = Math.max(cx - Math.floor(cw / 2), 0);
    const x1 = Math.min(cx + Math.ceil(cw / 2), W);
    const lambda = 1 - ((y1 - y0) * (x1 - x0)) / (H * W);
    return torch.tidy(() => {
      const idx = torch.tensor(Int32Array.from(perm)).to('int64');
      const mask = boxMask(H, W, Array.from({ length: B }, (): [number, number, number, number] => [y0, y1, x0, x1]));
      const xm = torch.where(mask, x.indexSelect(0, idx), x);
      return { x: xm, yA: y.clone(), yB: y.indexSelect(0, idx), lambda, perm };
    });
  }
  config(): Record<string, unknown> { return { ...this.c }; }
}

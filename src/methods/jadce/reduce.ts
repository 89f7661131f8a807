/**
 * @module The dimension-reduction module [R]: SVD Y = U S V^H, rank r = #singular values above
 * margin * sigma_w (sqrt(L) + sqrt(M)) (the noise floor), Y_r = Y V_r. X_r = X V_r keeps the row support of X.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { herm } from './complex.js';

/** A reduced batch: Y_r [B, L, r], V_r [B, M, r] (null when not reduced) and the ranks. */
export interface Reduced {
  yr: Tensor;
  v: Tensor | null;
  /** The batch's working rank r (the largest per-slot estimate, so the batch stays one tensor). */
  rank: number;
  /** Per-slot rank estimates. */
  ranks: number[];
}

/** Per-slot noise-floor rank estimates of Y [B, L, M]: #{s_i > margin sigma_w (sqrt(L) + sqrt(M))}, at least 1. */
export function estimateRanks(y: Tensor, noiseVar: number, margin: number): number[] {
  return torch.tidy(() => {
    const [, l, m] = y.shape as [number, number, number];
    const floor = margin * Math.sqrt(noiseVar) * (Math.sqrt(l) + Math.sqrt(m));
    const counts = torch.svdvals(y).gt(floor).float().sum([-1]).data();
    return Array.from(counts as Float32Array, (c) => Math.max(1, c));
  });
}

/** Reduces Y [B, L, M] to Y V_r with V_r the top-r right singular vectors (mode 'none': Y itself). */
export function reduce(y: Tensor, noiseVar: number, margin: number, mode: 'noise-floor' | 'none'): Reduced {
  const m = y.shape[2]!;
  if (mode === 'none') return { yr: y.clone(), v: null, rank: m, ranks: new Array<number>(y.shape[0]!).fill(m) };
  return torch.tidy(() => {
    const ranks = estimateRanks(y, noiseVar, margin);
    const rank = Math.max(...ranks);
    const [, , vh] = torch.svd(y, false);
    const v = herm(vh).narrow(-1, 0, rank).resolveConj().contiguous();
    return { yr: y.matmul(v), v, rank, ranks };
  });
}

/** X V_r (or X when not reduced). */
export function project(x: Tensor, v: Tensor | null): Tensor { return v ? x.matmul(v) : x.clone(); }

/** X_r V_r^H back in the antenna domain (or X_r when not reduced). */
export function lift(xr: Tensor, v: Tensor | null): Tensor { return v ? xr.matmul(herm(v)) : xr.clone(); }

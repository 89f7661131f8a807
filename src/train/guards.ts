/**
 * @module Guards: finiteness checks (R8), gradient-norm clipping exactly as
 * PyTorch 1.13's torch.nn.utils.clip_grad_norm_, and the metric monitor used
 * for early stopping and the best checkpoint.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';

/** A NaN/Inf loss, gradient or weight stopped the run; `exitCode` is the CLI's status for it. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
  /** Distinct exit status for the CLI (1 is a generic failure, 2 a usage error). */
  readonly exitCode = 3;
  constructor(message: string, readonly step: number, readonly what: string) { super(message); }
}

/** The name of the first floating tensor holding a NaN or Inf, or null when all are finite. */
export function firstNonFinite(named: Iterable<[string, Tensor]>): string | null {
  for (const [name, t] of named) {
    if (!torch.isFloating(t.dtype) || t.numel() === 0) continue;
    const ok = torch.tidy(() => torch.isfinite(t).all().item() as boolean);
    if (!ok) return name;
  }
  return null;
}

/** The gradients of params that have one (new handles; dispose them or call inside tidy). */
function grads(params: Tensor[]): Tensor[] {
  const out: Tensor[] = [];
  for (const p of params) { const g = p.grad; if (g) out.push(g); }
  return out;
}

/**
 * The total norm of the gradients as PyTorch computes it: the vector norm of
 * the per-gradient norms (max of |g| for normType Infinity). 0 without gradients.
 */
export function gradNorm(params: Tensor[], normType = 2): number {
  return torch.tidy(() => {
    const gs = grads(params);
    if (!gs.length) return 0;
    return totalNorm(gs, normType).item() as number;
  });
}

function totalNorm(gs: Tensor[], normType: number): Tensor {
  if (normType === Infinity) {
    const norms = gs.map((g) => g.detach().abs().max());
    return norms.length === 1 ? norms[0]! : torch.stack(norms).max();
  }
  return torch.vectorNorm(torch.stack(gs.map((g) => torch.vectorNorm(g.detach(), normType))), normType);
}

/**
 * torch.nn.utils.clip_grad_norm_ (PyTorch 1.13): total = norm of all gradients;
 * coef = clamp(max_norm / (total + 1e-6), max=1) computed in the gradients'
 * dtype (max_norm / t is t.reciprocal() * max_norm there); every gradient is
 * multiplied by coef in place. Returns the total norm before clipping.
 */
export function clipGradNorm_(params: Tensor[], maxNorm: number, normType = 2): number {
  return torch.noGrad(() => torch.tidy(() => {
    const gs = grads(params);
    if (!gs.length) return 0;
    const total = totalNorm(gs, normType);
    const coef = torch.clamp(total.add(1e-6).reciprocal().mul(maxNorm), null, 1.0);
    for (const g of gs) g.mul_(coef);
    return total.item() as number;
  }));
}

/** Tracks the best value of a metric and the evaluations since it improved. */
export class MetricMonitor {
  best: number | null = null;
  bestStep: number | null = null;
  /** Evaluations since the last improvement. */
  bad = 0;
  constructor(readonly metric: string, readonly mode: 'min' | 'max', readonly minDelta = 0) {}

  /** Records a value; returns true when it improves on the best by more than minDelta. */
  update(value: number, step: number): boolean {
    const better = Number.isFinite(value) && (this.best === null ||
      (this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta));
    if (better) { this.best = value; this.bestStep = step; this.bad = 0; } else this.bad++;
    return better;
  }

  /** JSON state for checkpoints. */
  state(): { best: number | null; bestStep: number | null; bad: number } { return { best: this.best, bestStep: this.bestStep, bad: this.bad }; }
  load(s: { best: number | null; bestStep: number | null; bad: number } | undefined): void {
    if (!s) return;
    this.best = s.best; this.bestStep = s.bestStep; this.bad = s.bad;
  }
}

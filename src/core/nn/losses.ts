/**
 * @module Loss functions (nn.functional.*) with option objects for PyTorch's
 * keyword arguments, and their module forms (nn.CrossEntropyLoss, ...).
 * Deviation: options objects instead of keyword arguments; the deprecated
 * size_average/reduce arguments do not exist.
 */
import * as torch from '../torch.js';
import type { Tensor, Reduction } from '../torch.js';
import { ShapeError } from '../errors.js';
import { Module } from './module.js';

/** Options of crossEntropy. */
export interface CrossEntropyOptions { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number }
/**
 * Cross entropy of logits (N, C) or (N, C, d1, ...) against class indices (int64, (N) or (N, d1, ...))
 * or soft targets (probabilities, same shape as input).
 */
export function crossEntropy(input: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  const ls = o.labelSmoothing ?? 0;
  if (ls < 0 || ls > 1) throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${ls}`);
  const soft = torch.isFloating(target.dtype);
  const is = input.shape;
  const ts = target.shape;
  const ok = soft ? is.length === ts.length && is.every((v, i) => v === ts[i])
    : (is.length === 1 ? ts.length === 0 : ts.length === is.length - 1 && ts[0] === is[0] && ts.slice(1).every((v, i) => v === is[i + 2]));
  if (!ok) {
    throw new ShapeError(`crossEntropy: input shape [${is}] does not match target shape [${ts}] ` +
      `(expected ${soft ? 'soft targets of the same shape' : 'class indices of shape (N) or (N, d1, ...)'})`);
  }
  return torch.crossEntropy(input, target, o.weight ?? null, o.reduction ?? 'mean', o.ignoreIndex ?? -100, ls);
}
/** Options of nllLoss. */
export interface NllLossOptions { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction }
/** Negative log-likelihood of log-probabilities against class indices. */
export function nllLoss(input: Tensor, target: Tensor, o: NllLossOptions = {}): Tensor {
  return torch.nllLoss(input, target, o.weight ?? null, o.reduction ?? 'mean', o.ignoreIndex ?? -100);
}
/** Mean squared error. */
export function mseLoss(input: Tensor, target: Tensor, o: { reduction?: Reduction } = {}): Tensor {
  return torch.mseLoss(input, target, o.reduction ?? 'mean');
}
/** Mean absolute error. */
export function l1Loss(input: Tensor, target: Tensor, o: { reduction?: Reduction } = {}): Tensor {
  return torch.l1Loss(input, target, o.reduction ?? 'mean');
}
/** Smooth L1 (quadratic below beta, linear above). */
export function smoothL1Loss(input: Tensor, target: Tensor, o: { reduction?: Reduction; beta?: number } = {}): Tensor {
  return torch.smoothL1Loss(input, target, o.reduction ?? 'mean', o.beta ?? 1);
}
/** Huber loss (delta-scaled smooth L1). */
export function huberLoss(input: Tensor, target: Tensor, o: { reduction?: Reduction; delta?: number } = {}): Tensor {
  return torch.huberLoss(input, target, o.reduction ?? 'mean', o.delta ?? 1);
}
/** Binary cross entropy of probabilities. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, o: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  return torch.binaryCrossEntropy(input, target, o.weight ?? null, o.reduction ?? 'mean');
}
/** Options of bceWithLogits. */
export interface BceWithLogitsOptions { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction }
/** Binary cross entropy of logits (F.binary_cross_entropy_with_logits), posWeight weighs positives. */
export function bceWithLogits(input: Tensor, target: Tensor, o: BceWithLogitsOptions = {}): Tensor {
  const a = input.shape;
  const b = target.shape;
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
    throw new ShapeError(`bceWithLogits: target size [${b}] must be the same as input size [${a}]`);
  }
  return torch.binaryCrossEntropyWithLogits(input, target, o.weight ?? null, o.posWeight ?? null, o.reduction ?? 'mean');
}
/** PyTorch's name for bceWithLogits. */
export const binaryCrossEntropyWithLogits = bceWithLogits;
/** Reductions of klDiv: 'batchmean' (sum / batch size) is the mathematically correct mean. */
export type KlReduction = Reduction | 'batchmean';
/** KL divergence with input as log-probabilities; target as probabilities or (logTarget) log-probabilities. */
export function klDiv(input: Tensor, target: Tensor, o: { reduction?: KlReduction; logTarget?: boolean } = {}): Tensor {
  const r = o.reduction ?? 'mean';
  const lt = o.logTarget ?? false;
  if (r === 'batchmean') {
    return torch.tidy(() => {
      const s = torch.klDiv(input, target, 'sum', lt);
      return input.ndim === 0 ? s : s.div(input.size(0));
    });
  }
  return torch.klDiv(input, target, r, lt);
}

// --- module forms --------------------------------------------------------------
type LossIn = [Tensor, Tensor];
/** Base of the loss modules: forward(input, target). */
abstract class Loss extends Module<LossIn, Tensor> {
  constructor(readonly reduction: Reduction = 'mean') { super(); }
  override extraRepr(): string { return `reduction=${this.reduction}`; }
}
/** nn.CrossEntropyLoss; weight is registered as a buffer (as in PyTorch). */
export class CrossEntropyLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(o: CrossEntropyOptions = {}) {
    super(o.reduction);
    this.weight = this.registerBuffer('weight', o.weight ?? null);
    this.ignoreIndex = o.ignoreIndex ?? -100;
    this.labelSmoothing = o.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}
/** nn.NLLLoss. */
export class NLLLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(o: NllLossOptions = {}) {
    super(o.reduction);
    this.weight = this.registerBuffer('weight', o.weight ?? null);
    this.ignoreIndex = o.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}
/** nn.MSELoss. */
export class MSELoss extends Loss {
  constructor(o: { reduction?: Reduction } = {}) { super(o.reduction); }
  forward(input: Tensor, target: Tensor): Tensor { return mseLoss(input, target, { reduction: this.reduction }); }
}
/** nn.L1Loss. */
export class L1Loss extends Loss {
  constructor(o: { reduction?: Reduction } = {}) { super(o.reduction); }
  forward(input: Tensor, target: Tensor): Tensor { return l1Loss(input, target, { reduction: this.reduction }); }
}
/** nn.SmoothL1Loss. */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(o: { reduction?: Reduction; beta?: number } = {}) { super(o.reduction); this.beta = o.beta ?? 1; }
  forward(input: Tensor, target: Tensor): Tensor { return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta }); }
}
/** nn.HuberLoss. */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(o: { reduction?: Reduction; delta?: number } = {}) { super(o.reduction); this.delta = o.delta ?? 1; }
  forward(input: Tensor, target: Tensor): Tensor { return huberLoss(input, target, { reduction: this.reduction, delta: this.delta }); }
}
/** nn.BCELoss. */
export class BCELoss extends Loss {
  readonly weight: Tensor | null;
  constructor(o: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(o.reduction);
    this.weight = this.registerBuffer('weight', o.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor { return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction }); }
}
/** nn.BCEWithLogitsLoss; weight and pos_weight are buffers. */
export class BCEWithLogitsLoss extends Loss {
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;
  constructor(o: BceWithLogitsOptions = {}) {
    super(o.reduction);
    this.weight = this.registerBuffer('weight', o.weight ?? null);
    this.posWeight = this.registerBuffer('pos_weight', o.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return bceWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}
/** nn.KLDivLoss (input: log-probabilities). */
export class KLDivLoss extends Module<LossIn, Tensor> {
  readonly reduction: KlReduction;
  readonly logTarget: boolean;
  constructor(o: { reduction?: KlReduction; logTarget?: boolean } = {}) {
    super();
    this.reduction = o.reduction ?? 'mean';
    this.logTarget = o.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor { return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget }); }
  override extraRepr(): string { return `reduction=${this.reduction}, log_target=${this.logTarget}`; }
}

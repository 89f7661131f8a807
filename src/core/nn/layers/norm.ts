/** @module Normalisation layers: BatchNorm1d/2d, LayerNorm, GroupNorm (PyTorch's buffers, names and update rules). */
import * as torch from '../../torch.js';
import type { Tensor } from '../../torch.js';
import { Module } from '../module.js';
import * as init from '../init.js';
import * as F from '../functional.js';
import { emptyParam, type FactoryOptions } from './linear.js';

/** Options of BatchNorm*; momentum null means a cumulative moving average. */
export interface BatchNormLayerOptions extends FactoryOptions {
  eps?: number; momentum?: number | null; affine?: boolean; trackRunningStats?: boolean;
}

/**
 * Shared batch norm (PyTorch's _BatchNorm): buffers running_mean, running_var, num_batches_tracked (int64).
 * Training: normalise with batch stats, running = (1 - m) running + m batch (unbiased var), m = momentum or
 * 1 / num_batches_tracked when momentum is null. Eval: normalise with the running stats.
 */
abstract class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  constructor(readonly numFeatures: number, o: BatchNormLayerOptions = {}) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
    this.weight = this.registerParameter('weight', this.affine ? emptyParam([numFeatures], o) : null);
    this.bias = this.registerParameter('bias', this.affine ? emptyParam([numFeatures], o) : null);
    const t = this.trackRunningStats;
    const fo = { dtype: o.dtype ?? 'float32' as const, device: o.device as never };
    this.runningMean = this.registerBuffer('running_mean', t ? torch.zeros([numFeatures], fo) : null);
    this.runningVar = this.registerBuffer('running_var', t ? torch.ones([numFeatures], fo) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked',
      t ? torch.zeros([], { dtype: 'int64', device: o.device as never }) : null);
    this.resetParameters();
  }
  /** Zeroes the running stats (var to 1) and the batch counter. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    init.zeros_(this.runningMean!);
    init.ones_(this.runningVar!);
    init.zeros_(this.numBatchesTracked!);
  }
  /** Running stats reset; weight 1, bias 0. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.affine) { init.ones_(this.weight!); init.zeros_(this.bias!); }
  }
  /** Throws unless x has the layer's layout. */
  protected abstract checkInput(x: Tensor): void;
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.size(1) !== this.numFeatures) this.shapeError(x, `${this.numFeatures} channels in dim 1`);
    let factor = this.momentum ?? 0.0;
    if (this.training && this.trackRunningStats && this.numBatchesTracked) {
      torch.noGrad(() => this.numBatchesTracked!.add_(1));
      factor = this.momentum === null ? 1.0 / Number(this.numBatchesTracked.item()) : this.momentum;
    }
    const bnTraining = this.training ? true : this.runningMean === null && this.runningVar === null;
    const useRunning = !this.training || this.trackRunningStats;
    return F.batchNorm(x, useRunning ? this.runningMean : null, useRunning ? this.runningVar : null,
      { weight: this.weight, bias: this.bias, training: bnTraining, momentum: factor, eps: this.eps });
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, track_running_stats=${this.trackRunningStats}`;
  }
}

/** Batch norm over (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void { if (x.ndim !== 2 && x.ndim !== 3) this.shapeError(x, '2D or 3D (N, C) / (N, C, L)'); }
}
/** Batch norm over (N, C, H, W). */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void { if (x.ndim !== 4) this.shapeError(x, '4D (N, C, H, W)'); }
}

/** Layer norm over the trailing normalizedShape dims; elementwise affine weight 1, bias 0. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;
  constructor(normalizedShape: number | number[], o: FactoryOptions & { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = Array.isArray(normalizedShape) ? [...normalizedShape] : [normalizedShape];
    this.eps = o.eps ?? 1e-5;
    const affine = o.elementwiseAffine ?? true;
    this.weight = this.registerParameter('weight', affine ? emptyParam(this.normalizedShape, o) : null);
    this.bias = this.registerParameter('bias', affine ? emptyParam(this.normalizedShape, o) : null);
    if (affine) { init.ones_(this.weight!); init.zeros_(this.bias!); }
  }
  forward(x: Tensor): Tensor {
    const n = this.normalizedShape;
    const s = x.shape;
    if (s.length < n.length || n.some((v, i) => s[s.length - n.length + i] !== v)) this.shapeError(x, `[*, ${n.join(', ')}]`);
    return F.layerNorm(x, n, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  override extraRepr(): string { return `(${this.normalizedShape.join(', ')}), eps=${this.eps}, elementwise_affine=${this.weight !== null}`; }
}

/** Group norm: channels split into numGroups groups, each normalised; affine weight 1, bias 0. */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;
  constructor(readonly numGroups: number, readonly numChannels: number, o: FactoryOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: num_channels ${numChannels} must be divisible by num_groups ${numGroups}`);
    this.eps = o.eps ?? 1e-5;
    const affine = o.affine ?? true;
    this.weight = this.registerParameter('weight', affine ? emptyParam([numChannels], o) : null);
    this.bias = this.registerParameter('bias', affine ? emptyParam([numChannels], o) : null);
    if (affine) { init.ones_(this.weight!); init.zeros_(this.bias!); }
  }
  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.size(1) !== this.numChannels) this.shapeError(x, `(N, ${this.numChannels}, *)`);
    return F.groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  override extraRepr(): string { return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`; }
}

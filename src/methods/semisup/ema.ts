/**
 * @module The EMA model (official ema_update): parameters ema = d * ema + (1 - d) * p after every optimizer
 * step, with d = min(1 - 1/t, decay) at step t when warm-up is on; buffers (BatchNorm running statistics)
 * averaged the same way when the EMA model is a training teacher (Mean Teacher, ICT), else copied.
 * Integer buffers (num_batches_tracked) are always copied.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import type { FeatureModel } from '../../models/index.js';

/** d = min(1 - 1/t, decay) with warm-up (t = optimizer steps done, >= 1), else decay. */
export function emaDecayAt(decay: number, t: number, warmup: boolean): number {
  return warmup ? Math.min(1 - 1 / Math.max(1, t), decay) : decay;
}

/** A frozen copy of a model that tracks it by exponential moving average. */
export class EmaModel {
  readonly params: [string, Tensor][];
  readonly buffers: [string, Tensor][];
  /** `copy` is a model of the same architecture (its weights are overwritten with `from`'s); it becomes frozen. */
  constructor(readonly copy: FeatureModel, from: FeatureModel) {
    if (copy.numClasses !== from.numClasses) torch.noGrad(() => copy.resetClassifier(from.numClasses));
    copy.loadStateDict(from.stateDict());
    copy.requiresGrad_(false);
    this.params = copy.namedParameters();
    this.buffers = copy.namedBuffers();
  }

  /** One EMA step towards `model` with decay d; buffers averaged (emaBuffers) or copied. */
  update(model: FeatureModel, d: number, emaBuffers: boolean): void {
    const p = new Map(model.namedParameters());
    const b = new Map(model.namedBuffers());
    torch.noGrad(() => torch.tidy(() => {
      for (const [n, e] of this.params) e.mul_(d).add_(p.get(n)!.detach().mul(1 - d));
      for (const [n, e] of this.buffers) {
        const s = b.get(n)!;
        if (emaBuffers && (e.dtype === 'float32' || e.dtype === 'float64')) e.mul_(d).add_(s.mul(1 - d));
        else e.copy_(s);
      }
    }));
  }

  /** Parameters and buffers by name, for checkpoints. */
  named(): [string, Tensor][] { return [...this.params, ...this.buffers]; }
}

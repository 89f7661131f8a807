/** @module Pooled features of a labelled set (head imprinting) and accuracy / cross entropy of a model on held-out batches. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { crossEntropy } from '../../core/nn/losses.js';
import type { FeatureModel } from '../../models/index.js';

/** Synchronous labelled batches (a DataLoader without shuffling fits). */
export interface LabelledBatches {
  readonly numBatches: number;
  batchAt(epoch: number, index: number): { x: Tensor; y: Tensor };
}

/** Runs fn over every batch in eval mode without gradients, restoring each module's mode afterwards. */
function overBatches(model: FeatureModel, src: LabelledBatches, fn: (x: Tensor, y: Tensor) => void): void {
  const modes = model.modules().map((m) => m.training);
  model.eval();
  try {
    torch.noGrad(() => {
      for (let i = 0; i < src.numBatches; i++) {
        const b = src.batchAt(0, i);
        try { torch.tidy(() => fn(b.x, b.y.to('int64'))); } finally { torch.dispose(b); }
      }
    });
  } finally {
    model.modules().forEach((m, i) => { m.training = modes[i]!; });
  }
}

/** Pooled features [N, featureDim] and labels [N] of every batch (eval mode); the caller owns both. */
export function pooledFeatures(model: FeatureModel, src: LabelledBatches): { features: Tensor; labels: Tensor } {
  const fs: Tensor[] = [];
  const ys: Tensor[] = [];
  overBatches(model, src, (x, y) => { fs.push(torch.keep(model.forwardPooled(x))); ys.push(torch.keep(y.clone())); });
  try {
    return torch.tidy(() => ({ features: torch.cat(fs, 0), labels: torch.cat(ys, 0) }));
  } finally { torch.dispose(fs, ys); }
}

/** Top-1 accuracy and mean cross entropy over the batches (eval mode). */
export function evaluateAccuracy(model: FeatureModel, src: LabelledBatches): { accuracy: number; loss: number } {
  let correct = 0;
  let n = 0;
  let lossSum = 0;
  overBatches(model, src, (x, y) => {
    const out = model.call(x);
    correct += Number(out.argmax(1).eq(y).sum().item());
    lossSum += Number(crossEntropy(out, y, { reduction: 'sum' }).item());
    n += y.size(0);
  });
  return { accuracy: n ? correct / n : 0, loss: n ? lossSum / n : 0 };
}

/**
 * @module Evaluation helpers shared by the methods: run a model over held-out labelled batches in eval mode
 * without gradients (each module's mode restored afterwards), and top-1 accuracy / mean cross entropy.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { crossEntropy } from '../core/nn/losses.js';
import type { AnyModule } from '../core/nn/module.js';

/** Synchronous labelled batches (a DataLoader without shuffling fits). */
export interface LabelledBatches {
  readonly numBatches: number;
  batchAt(epoch: number, index: number): { x: Tensor; y: Tensor };
}

/** Runs fn(x, y int64) over every batch in eval mode without gradients, one tidy scope per batch; modes restored. */
export function overBatches(model: AnyModule, src: LabelledBatches, fn: (x: Tensor, y: Tensor) => void): void {
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

/** Top-1 accuracy and mean cross entropy of the model's logits over the batches; onBatch sees each batch's labels first. */
export function evaluateClassifier(model: AnyModule, src: LabelledBatches, onBatch?: (y: Tensor) => void): { accuracy: number; loss: number; n: number } {
  let correct = 0;
  let n = 0;
  let lossSum = 0;
  overBatches(model, src, (x, y) => {
    const out = model.call(x) as Tensor;
    onBatch?.(y);
    correct += Number(out.argmax(1).eq(y).sum().item());
    lossSum += Number(crossEntropy(out, y, { reduction: 'sum' }).item());
    n += y.size(0);
  });
  return { accuracy: n ? correct / n : 0, loss: n ? lossSum / n : 0, n };
}

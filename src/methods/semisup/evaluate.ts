/** @module Pooled features of a labelled set (head imprinting) and accuracy / cross entropy of a model on held-out batches. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import type { FeatureModel } from '../../models/index.js';
import { evaluateClassifier, overBatches, type LabelledBatches } from '../../train/evaluate.js';

export type { LabelledBatches };

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
  const { accuracy, loss } = evaluateClassifier(model, src);
  return { accuracy, loss };
}

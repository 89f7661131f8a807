/**
 * @module Evaluation helpers shared by the methods: run a model over held-out labelled batches in eval mode
 * without gradients (each module's mode restored afterwards), and top-1 accuracy / mean cross entropy
 * (in graph mode by default: torch.jit.compile, one traced and optimised graph per batch shape).
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

/** Options of evaluateClassifier. */
export interface EvaluateOptions {
  /**
   * Graph mode (default true): the logits come from torch.jit.compile(model) (traced, frozen, optimize_for_inference;
   * equal to the eager forward within float rounding, see test/native/jit.test.ts). A model with forward hooks runs
   * eagerly, and so does one whose forward cannot be traced. Pass false when the forward has side effects that must
   * run on every batch (callbacks fed from inside the model): a trace runs the JS forward once only.
   */
  graph?: boolean;
  /**
   * For a model whose forward returns an array [logits, ...extras] (values computed inside the forward that the
   * caller wants per batch, e.g. AdaFilter's gates): called with each batch's extras before onBatch. Such a
   * forward is traced with its extras as graph outputs, so graph mode stays correct for them.
   */
  onExtras?: (extras: Tensor[]) => void;
  /** Called with each batch's int64 labels after its forward (and its onExtras); evaluateClassifier's onBatch argument, when given, replaces it. */
  onBatch?: (y: Tensor) => void;
}

/**
 * The model's logits for evaluation: in graph mode (EvaluateOptions.graph, default true) unless the model has
 * forward hooks, eagerly after a forward that cannot be traced (GraphModeError); an array output is split into
 * logits and extras (onExtras). Call it with the model in eval mode and gradients off; dispose() frees the graphs.
 */
export function evalForward(model: AnyModule, opts: EvaluateOptions = {}): { logits: (x: Tensor) => Tensor; readonly graph: boolean; dispose: () => void } {
  const fwd = new torch.jit.GraphOrEager(model, (x) => model.call(x) as Tensor | Tensor[], { enabled: (opts.graph ?? true) && !model.hasHooks() });
  return {
    logits: (x) => {
      const { out } = fwd.run([x]);
      if (!Array.isArray(out)) return out;
      opts.onExtras?.(out.slice(1));
      return out[0]!;
    },
    /** Whether the graph is (still) in use: false when off, hooked, or after an untraceable forward. */
    get graph() { return fwd.graph; },
    dispose: () => { fwd.dispose(); },
  };
}

/**
 * Top-1 accuracy and mean cross entropy of the model's logits over the batches; onBatch sees each batch's labels
 * first. `graph`: whether graph mode computed them (false when off, hooked, or untraceable).
 */
export function evaluateClassifier(model: AnyModule, src: LabelledBatches, onBatch?: (y: Tensor) => void,
  opts: EvaluateOptions = {}): { accuracy: number; loss: number; n: number; graph: boolean } {
  let correct = 0;
  let n = 0;
  let lossSum = 0;
  const fwd = evalForward(model, opts);
  const logits = fwd.logits;
  let graph = false;
  try {
    overBatches(model, src, (x, y) => {
      const out = logits(x);
      (onBatch ?? opts.onBatch)?.(y);
      correct += Number(out.argmax(1).eq(y).sum().item());
      lossSum += Number(crossEntropy(out, y, { reduction: 'sum' }).item());
      n += y.size(0);
    });
    graph = fwd.graph;
  } finally {
    fwd.dispose();
  }
  return { accuracy: n ? correct / n : 0, loss: n ? lossSum / n : 0, n, graph };
}

/** Labelled batches whose batchAt may decode asynchronously (a StreamingLoader) or not (a DataLoader). */
export interface AnyLabelledBatches {
  readonly numBatches: number;
  batchAt(epoch: number, index: number): { x: Tensor; y: Tensor } | Promise<{ x: Tensor; y: Tensor }>;
}

/** Classification metrics of a split: top-1 accuracy, mean cross entropy, per-class accuracy (recall), macro-F1 and the confusion matrix (rows: true class, columns: predicted). */
export interface ClassificationMetrics {
  accuracy: number; loss: number; n: number; macroF1: number;
  perClassAccuracy: number[];
  confusion: number[][];
}

/** Accuracy, per-class accuracy (recall; 0 for a class without examples) and macro-F1 (mean over classes of 2PR/(P+R), 0 where P+R = 0) of a confusion matrix. */
export function metricsFromConfusion(confusion: number[][]): { accuracy: number; perClassAccuracy: number[]; macroF1: number; n: number } {
  const k = confusion.length;
  let n = 0;
  let correct = 0;
  const perClassAccuracy: number[] = [];
  let f1Sum = 0;
  for (let c = 0; c < k; c++) {
    const row = confusion[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[c]!, 0);
    const tp = row[c]!;
    n += support;
    correct += tp;
    perClassAccuracy.push(support ? tp / support : 0);
    const p = predicted ? tp / predicted : 0;
    const r = support ? tp / support : 0;
    f1Sum += p + r > 0 ? (2 * p * r) / (p + r) : 0;
  }
  return { accuracy: n ? correct / n : 0, perClassAccuracy, macroF1: k ? f1Sum / k : 0, n };
}

/**
 * The classification metrics of the model's logits over every batch of `src` (eval mode, no gradients, modes
 * restored afterwards; graph mode as evaluateClassifier's, `opts`); `numClasses` sizes the confusion matrix
 * (default: the logits' width).
 */
export async function classificationMetrics(model: AnyModule, src: AnyLabelledBatches, numClasses?: number, opts: EvaluateOptions = {}): Promise<ClassificationMetrics> {
  const modes = model.modules().map((m) => m.training);
  model.eval();
  const fwd = evalForward(model, opts);
  let lossSum = 0;
  let confusion: number[][] | null = numClasses ? Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0)) : null;
  try {
    for (let i = 0; i < src.numBatches; i++) {
      const b = await src.batchAt(0, i);
      try {
        torch.noGrad(() => torch.tidy(() => {
          const y = b.y.to('int64');
          const out = fwd.logits(b.x);
          opts.onBatch?.(y);
          const k = out.shape[1]!;
          confusion ??= Array.from({ length: k }, () => new Array<number>(k).fill(0));
          lossSum += Number(crossEntropy(out, y, { reduction: 'sum' }).item());
          const pred = out.argmax(1).to('int32').data();
          const truth = y.to('int32').data();
          for (let j = 0; j < truth.length; j++) {
            const t = Number(truth[j]);
            const p = Number(pred[j]);
            if (t >= 0 && t < confusion.length && p >= 0 && p < confusion.length) confusion[t]![p]!++;
          }
        }));
      } finally { torch.dispose(b); }
    }
  } finally {
    fwd.dispose();
    model.modules().forEach((m, i) => { m.training = modes[i]!; });
  }
  const cm = confusion ?? [];
  const m = metricsFromConfusion(cm);
  return { accuracy: m.accuracy, loss: m.n ? lossSum / m.n : 0, n: m.n, macroF1: m.macroF1, perClassAccuracy: m.perClassAccuracy, confusion: cm };
}

/** @module The options of runAdversarial and their defaults (shared with the CLI's parser; no native code). */
import type { TaskName } from '../../data/tasks/spec.js';
import type { AugmentName } from '../../data/preprocess.js';
import type { RunHooks } from '../../train/lifecycle.js';

/** Engine and method defaults (below a config file, the options and `set`), and the run's own defaults. */
export const ADVERSARIAL_DEFAULTS = {
  batchSize: 128,
  config: {
    seed: 0, epochs: 3, optim: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }, scheduler: { name: 'none', interval: 'step' },
    eval: { every: 0, atEpochEnd: true }, checkpoint: { atEpochEnd: true, keep: 1, monitor: 'robust_then_clean', mode: 'max' }, log: { every: 5 },
    method: { init: 'finetune', eps: 0.1, steps: 7, evalSteps: 10 },
  },
  args: {
    data: 'fmnist:source' as string, labelsPerClass: 'all' as number | 'all', batchSize: 128, valImages: 500, testSteps: 20, testRestarts: 1, gapImages: 0,
    trainPerClass: null as number | null, select: 'robust-then-clean' as 'robust' | 'robust-then-clean', compareTo: null as string | null,
  },
} as const;

/** Options of runAdversarial (undefined: the default, or the resumed run's value). */
export interface AdversarialOptions extends RunHooks {
  /** A data spec: a built-in task, imagefolder:DIR, csv:FILE (in memory). */
  data?: string; labelsPerClass?: number | 'all';
  /** Any weights file loadWeights reads (default: the bundled backbone); the head is kept when `data` is the weights' own task. */
  weights?: string | null;
  /** A registry model: the architecture of `weights`, or alone a freshly initialised one. */
  model?: string | null;
  /** Fraction held out for testing when the data has no test split (default 0.2). */
  testFraction?: number;
  /** The model's input size (default: from the model). */
  imageSize?: number | null;
  /** Training augmentation (default crop+flip). */
  augment?: AugmentName | null;
  out?: string | null; resume?: string | null; config?: string | null; set?: string[]; threads?: number;
  seed?: number; epochs?: number; maxSteps?: number; batchSize?: number;
  init?: 'finetune' | 'scratch'; loss?: 'pgd' | 'trades' | 'fast'; norm?: 'linf' | 'l2'; eps?: number; steps?: number; stepSize?: number;
  bnMode?: 'eval' | 'train'; tradesBeta?: number;
  schedule?: 'slow-start-fast-decay' | 'piecewise' | 'cyclic' | 'constant';
  warmupFraction?: number; warmupShape?: 'linear' | 'cosine'; startFactor?: number; decayShape?: 'exponential' | 'linear' | 'cosine'; decayRate?: number;
  lr?: number; momentum?: number; weightDecay?: number;
  /** The optimizer: sgd (default, with momentum), adam or adamw (optim.name). */
  optimizer?: 'sgd' | 'adam' | 'adamw';
  /** Held-out validation images (taken from the labelled training images, class-stratified; the data's own val/ when it has one) for the robust-overfitting monitor and the best checkpoint; 0 = no monitor. */
  valImages?: number;
  /** Train on this many images per class, drawn with the seed from what is left after the hold-out (null: all of them). */
  trainPerClass?: number | null;
  /** Monitor key of the best checkpoint: 'robust-then-clean' (ties broken by clean accuracy) or 'robust'. */
  select?: 'robust' | 'robust-then-clean';
  evalSteps?: number; evalEvery?: number;
  /** Final test: PGD steps, restarts, and at most this many test images (spread over the split). */
  testSteps?: number; testRestarts?: number; testLimit?: number;
  /** Training images (spread, no augmentation) attacked at the end for the train-test robust gap; 0 = skip. */
  gapImages?: number;
  /** A from-scratch run directory of this method to measure the cost ratio against. */
  compareTo?: string | null;
}

/** The defaults of runRobustness and `adaptune robustness`. */
export const ROBUSTNESS_DEFAULTS = {
  data: 'fmnist:source' as TaskName, split: 'test' as 'test' | 'train', eps: 0.1, norm: 'linf' as 'linf' | 'l2', steps: [7, 20], restarts: 1, stepSize: null as number | null,
  epsSweep: [0.05, 0.2], bnMode: 'eval' as 'eval' | 'train', tolerance: 0, batchSize: 250, seed: 0,
};


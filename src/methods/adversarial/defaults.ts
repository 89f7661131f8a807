/** @module The options of runAdversarial and their defaults (shared with the CLI's parser; no native code). */
import type { TaskName } from '../../data/tasks/spec.js';
import type { RunHooks } from '../../train/lifecycle.js';
import type { AdversarialOptionValues } from './options.js';

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

/** Options of runAdversarial (undefined: the default, or the resumed run's value): the table of options.ts. */
export type AdversarialOptions = AdversarialOptionValues & RunHooks;

/** The defaults of runRobustness and `adaptune robustness`. */
export const ROBUSTNESS_DEFAULTS = {
  data: 'fmnist:source' as string, split: 'test' as 'test' | 'train', eps: 0.1, norm: 'linf' as 'linf' | 'l2', steps: [7, 20], restarts: 1, stepSize: null as number | null,
  epsSweep: [0.05, 0.2], bnMode: 'eval' as 'eval' | 'train', tolerance: 0, batchSize: 250, seed: 0,
};


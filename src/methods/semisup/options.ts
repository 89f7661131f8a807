/**
 * @module The option table of runSemisup (`adaptune semisup`) and its defaults: the one definition of each option
 * (src/core/options.ts says how to add one). No native code.
 */
import { opt, type OptionValues } from '../../core/options.js';
import { dataOptions, dataSpecOption, labelsOption, resumeOption, RUN_OPTIONS, seedOption, weightsOption } from '../../train/options.js';

/** The algorithms (= ALGORITHMS of config.ts, which imports native code; a test checks they agree). */
export const SEMISUP_ALGORITHMS = ['supervised', 'pseudo-label', 'mean-teacher', 'fixmatch', 'mixmatch', 'ict'] as const;

/** The defaults of runSemisup and `adaptune semisup` (below a config file, the options and `set`). */
export const SEMISUP_DEFAULTS = {
  seed: 0, maxSteps: 1000, eval: { every: 100, atEpochEnd: false }, checkpoint: { atEpochEnd: true, keep: 1 }, log: { every: 1 },
  method: { algorithm: 'fixmatch' },
} as const;
/** The default task and label budget. */
export const SEMISUP_DATA = { data: 'fmnist:target-mid' as string, labelsPerClass: 10 as number | 'all' };

/** Options of runSemisup (the flags of `adaptune semisup`). */
export const SEMISUP_OPTIONS = {
  data: dataSpecOption({ default: SEMISUP_DATA.data, doc: 'a built-in task, imagefolder:DIR (its unlabeled/ joins the unlabelled pool)\nor csv:FILE; in memory' }),
  labelsPerClass: labelsOption({ default: SEMISUP_DATA.labelsPerClass, doc: 'labelled images per class (any N >= 1); the rest of the training\nimages are the unlabelled pool' }),
  ...dataOptions(),
  algorithm: opt.enum(SEMISUP_ALGORITHMS, { arg: 'NAME', default: SEMISUP_DEFAULTS.method.algorithm, doc: `${SEMISUP_ALGORITHMS.join(', ')}\n('ict' is what the official code calls MixMatch)` }),
  akc: opt.bool({ doc: 'add Adaptive Knowledge Consistency' }),
  arc: opt.bool({ doc: 'add Adaptive Representation Consistency' }),
  lambdaAkc: opt.number({ min: 0, default: 1, doc: 'weight of AKC' }),
  lambdaArc: opt.number({ min: 0, default: 50, doc: 'weight of ARC' }),
  akcScale: opt.number({ gt: 0, default: 100, doc: 'AKC divides the squared feature distance by X (official 10000)' }),
  threshold: opt.number({ min: 0, max: 1, default: 0.95, doc: 'pseudo-label / fixmatch confidence threshold' }),
  coef: opt.number({ min: 0, defaultText: 'per algorithm: pseudo-label/fixmatch 1, mean-teacher 10,\nict 100, mixmatch 75', doc: 'SSL weight' }),
  steps: opt.int({ min: 1, default: SEMISUP_DEFAULTS.maxSteps, doc: 'optimizer steps (100 steps per epoch)' }),
  batchSize: opt.int({ min: 1, default: 16, doc: 'labelled batch B' }),
  mu: opt.int({ min: 1, default: 3, doc: 'unlabelled batch is mu x B' }),
  lr: opt.number({ gt: 0, default: 0.01, doc: 'SGD lr' }),
  weightDecay: opt.number({ min: 0, default: 5e-4, doc: 'on conv/linear weights only' }),
  emaDecay: opt.number({ min: 0, lt: 1, default: 0.999, doc: 'EMA model decay in [0, 1) (warm-up min(1 - 1/t, decay))' }),
  evalEvery: opt.int({ min: 1, default: SEMISUP_DEFAULTS.eval.every, doc: 'evaluate every N steps' }),
  weights: weightsOption(),
  seed: seedOption('seed of the label budget, init, data order and augmentation'),
  ...RUN_OPTIONS,
  resume: resumeOption('continue an interrupted run in DIR (bit-identical on CPU); --steps N extends it,\nother changed flags are refused'),
} as const;
export type SemisupOptionValues = OptionValues<typeof SEMISUP_OPTIONS>;

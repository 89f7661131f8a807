/**
 * @module The option tables of runFinetune (`adaptune finetune`), runPretrain (`adaptune pretrain`) and
 * runQuickstart (`adaptune quickstart`), with their defaults: the one definition of each option, from which the
 * run functions' options types, their checks, the CLI flags and the --help texts come (src/core/options.ts says
 * how to add one). No native code.
 *
 * Adding an option to finetune, pretrain or quickstart: one entry in FINETUNE_OPTIONS / PRETRAIN_OPTIONS /
 * QUICKSTART_OPTIONS below (e.g. `maxSteps: opt.int({ min: 1, doc: 'stop after N optimizer steps' })`); the run
 * function's options type, the check of a library call, the flag and --help follow; read it in run.ts /
 * pretrain.ts / src/recipes/quickstart.ts. `data` and `labelsPerClass` are shared entries (src/train/options.ts:
 * taskOption, labelsOption) whose parse functions decide what a value may be.
 */
import { opt, type OptionValues } from '../../core/options.js';
import { MODEL_NAMES, type ModelNameOption } from '../../models/names.js';
import type { LabelsPerClass, TaskName } from '../../data/tasks/spec.js';
import { augmentOption, batchSizeOption, dataOptions, dataSpecOption, epochsOption, labelsOption, maxStepsOption, optimizerOption, resumeOption, RUN_OPTIONS, seedOption, taskOption, weightsOption, type AUGMENT_NAMES } from '../../train/options.js';

/** The defaults of runFinetune and `adaptune finetune` (below a config file, the options and `set`). */
export const FINETUNE_DEFAULTS = {
  data: 'fmnist:target-mid' as string, labelsPerClass: 50 as number | 'all', batchSize: 32, valFraction: 0.1, testFraction: 0.2, augment: 'crop+flip' as (typeof AUGMENT_NAMES)[number],
  /** lr of adam and adamw when neither lr nor elr is given. */
  adamLr: 1e-3,
  config: {
    seed: 0, epochs: 30, scheduler: { name: 'cosine', interval: 'step' }, eval: { atEpochEnd: false }, checkpoint: { atEpochEnd: true, keep: 1 }, log: { every: 5 },
    method: { strategy: 'full', head: 'reinit', elr: 0.1, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 },
  },
} as const;

/** The defaults of runPretrain and `adaptune pretrain`. */
export const PRETRAIN_DEFAULTS = {
  data: 'fmnist:source' as string, labelsPerClass: 'all' as number | 'all', valFraction: 0.1, model: 'cifar_resnet20' as ModelNameOption, batchSize: 128, width: 16,
  config: {
    seed: 0, epochs: 8, scheduler: { name: 'cosine', interval: 'step' }, eval: { atEpochEnd: true }, checkpoint: { atEpochEnd: true, keep: 1 }, log: { every: 10 },
    method: { strategy: 'scratch', head: 'reinit', regularizer: 'l2', weightDecay: 5e-4, lr: 0.1, momentum: 0.9 },
  },
} as const;

const FD = FINETUNE_DEFAULTS;
const FM = FD.config.method;
/** The --help section of the standard fine-tuning options (the finetune command's AdaFilter method refuses them). */
export const STANDARD_SECTION = 'Standard fine-tuning (--method finetune)';

/** Options of runFinetune (and the flags of `adaptune finetune` without --method). */
export const FINETUNE_OPTIONS = {
  data: dataSpecOption({ default: FD.data }),
  labelsPerClass: labelsOption({ default: FD.labelsPerClass, doc: 'labelled images per class: any N >= 1, or all', defaultText: '50 on the built-in tasks, all on your data' }),
  ...dataOptions(),
  augment: augmentOption(),
  optimizer: optimizerOption(),
  maxSteps: maxStepsOption(),
  momentum: opt.number({ min: 0, lt: 1, default: FM.momentum, doc: 'SGD momentum in [0, 1)' }),
  weightDecay: opt.number({ min: 0, default: FM.weightDecay, doc: 'plain L2 coefficient' }),
  head: opt.enum(['reinit', 'imprint', 'keep'], { default: FM.head, doc: 'the new head: reinit, imprint (class means of features; finetune only) or keep', arg: 'H' }),
  headLrScale: opt.number({ min: 0, default: 1, doc: 'lr multiplier of the head (adafilter: 10)' }),
  epochs: epochsOption(FD.config.epochs),
  batchSize: batchSizeOption(FD.batchSize),
  seed: seedOption('seed of the label budget, head init and data order'),
  weights: weightsOption(),
  ...RUN_OPTIONS,
  resume: resumeOption('continue an interrupted run (its recorded method) from its newest valid checkpoint;\nwith --epochs N (or --set maxSteps=N) extend it; other changed flags are refused'),
  strategy: opt.enum(['full', 'linear-probe', 'partial', 'scratch'], { default: FM.strategy, doc: 'what trains: full, linear-probe, partial or scratch', arg: 'S', section: STANDARD_SECTION }),
  freezeUpTo: opt.string({ arg: 'STAGE', doc: 'partial only: last frozen stage (stem, layer1, layer2, ...)', section: STANDARD_SECTION }),
  elr: opt.number({ gt: 0, default: FM.elr, doc: 'effective learning rate; lr = elr * (1 - momentum); excludes --lr', section: STANDARD_SECTION }),
  lr: opt.number({ gt: 0, doc: 'plain SGD lr instead of --elr', section: STANDARD_SECTION }),
  regularizer: opt.enum(['l2', 'l2-sp', 'none'], { default: FM.regularizer, doc: 'l2, l2-sp (towards the pre-trained weights) or none', arg: 'R', section: STANDARD_SECTION }),
  alpha: opt.number({ min: 0, default: 0.01, doc: 'L2-SP weight of the backbone distance (needs --regularizer l2-sp)', section: STANDARD_SECTION }),
  beta: opt.number({ min: 0, default: 1e-4, doc: 'L2-SP weight of the head norm (needs --regularizer l2-sp)', section: STANDARD_SECTION }),
  bn: opt.enum(['train', 'frozen'], { default: 'train', doc: 'BatchNorm: train or frozen', arg: 'B', section: STANDARD_SECTION }),
} as const;
export type FinetuneOptionValues = OptionValues<typeof FINETUNE_OPTIONS>;

/** Options of runPretrain (the flags of `adaptune pretrain`). */
export const PRETRAIN_OPTIONS = {
  data: dataSpecOption({ default: PRETRAIN_DEFAULTS.data, doc: 'data to train on: a built-in task, imagefolder:DIR or csv:FILE' }),
  labelsPerClass: labelsOption({ default: PRETRAIN_DEFAULTS.labelsPerClass }),
  valFraction: { ...dataOptions().valFraction, doc: 'held out of the training images for the evaluations during training\n(0: none, as the bundled backbone was trained)' },
  testFraction: dataOptions().testFraction,
  imageSize: { ...dataOptions().imageSize, defaultText: '28 on built-in tasks, 224 for torchvision ResNets, else 32' },
  augment: augmentOption(),
  optimizer: optimizerOption(undefined, 'sgd (default), adam or adamw (lr default 1e-3 for these)'),
  maxSteps: maxStepsOption(),
  model: opt.enum(MODEL_NAMES, { default: PRETRAIN_DEFAULTS.model, arg: 'NAME', doc: 'cifar_resnet20, cifar_resnet32/56/18/34, resnet18/34/50, small_cnn' }),
  width: opt.int({ min: 1, default: PRETRAIN_DEFAULTS.width, doc: 'channels of the first stage (not for small_cnn)' }),
  epochs: epochsOption(PRETRAIN_DEFAULTS.config.epochs),
  batchSize: batchSizeOption(PRETRAIN_DEFAULTS.batchSize),
  lr: opt.number({ gt: 0, default: PRETRAIN_DEFAULTS.config.method.lr, doc: 'SGD learning rate' }),
  momentum: opt.number({ min: 0, lt: 1, default: PRETRAIN_DEFAULTS.config.method.momentum, doc: 'SGD momentum in [0, 1)' }),
  weightDecay: opt.number({ min: 0, default: PRETRAIN_DEFAULTS.config.method.weightDecay, doc: 'L2 coefficient' }),
  seed: seedOption(),
  ...RUN_OPTIONS,
  export: opt.string({ arg: 'FILE', doc: 'also write the weights to FILE (.safetensors) and the sidecar FILE.json', default: null }),
} as const;
export type PretrainOptionValues = OptionValues<typeof PRETRAIN_OPTIONS>;

/** The defaults of runQuickstart and `adaptune quickstart`. */
export const QUICKSTART_DEFAULTS = { data: 'fmnist:target-mid' as TaskName, labelsPerClass: 50 as LabelsPerClass, seed: 0 } as const;

/** Options of runQuickstart (the flags of `adaptune quickstart`; epochs and recipes are fixed: recipes.ts). */
export const QUICKSTART_OPTIONS = {
  data: taskOption({ default: QUICKSTART_DEFAULTS.data, doc: 'target task (also fmnist:target-shift, textures:target-far, fmnist:source)' }),
  labelsPerClass: labelsOption({ default: QUICKSTART_DEFAULTS.labelsPerClass }),
  seed: seedOption('seed of the label budget, init and data order'),
  out: opt.string({ arg: 'DIR', doc: 'run directory', defaultText: 'runs/quickstart-<timestamp>', default: null }),
  quick: opt.bool({ doc: 'a tiny budget (3 steps per strategy, 500 test images, PGD-3 on 100): a smoke test' }),
  threads: RUN_OPTIONS.threads,
  json: opt.bool({ doc: 'print ONE JSON object with the table on stdout (progress stays on stderr)' }),
} as const;
export type QuickstartOptionValues = OptionValues<typeof QUICKSTART_OPTIONS>;

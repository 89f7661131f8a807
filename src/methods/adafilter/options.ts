/**
 * @module The option table of runAdafilter (`adaptune finetune --method adafilter`): the finetune command's run
 * options with AdaFilter's own method options and defaults (src/core/options.ts says how to add one). No native code.
 */
import { opt, type OptionValues } from '../../core/options.js';
import { augmentOption, batchSizeOption, dataOptions, dataSpecOption, epochsOption, labelsOption, maxStepsOption, resumeOption, RUN_OPTIONS, seedOption, weightsOption } from '../../train/options.js';

/** The defaults of runAdafilter: the finetune command's schedule; method options are AdaFilter's defaults (config.ts). */
export const ADAFILTER_DEFAULTS = {
  data: 'fmnist:target-mid' as string, labelsPerClass: 50 as number | 'all', batchSize: 32,
  config: { seed: 0, epochs: 30, scheduler: { name: 'cosine', interval: 'step' }, eval: { atEpochEnd: false }, checkpoint: { atEpochEnd: true, keep: 1 }, log: { every: 5 }, method: {} },
} as const;

/** The --help section of AdaFilter's own options. */
export const ADAFILTER_SECTION = 'AdaFilter (--method adafilter; other options with --set method.<field>=..., see its README)';
const S = ADAFILTER_SECTION;

/** Options of runAdafilter. */
export const ADAFILTER_OPTIONS = {
  data: dataSpecOption({ default: ADAFILTER_DEFAULTS.data }),
  labelsPerClass: labelsOption({ default: ADAFILTER_DEFAULTS.labelsPerClass, doc: 'labelled images per class: any N >= 1, or all', defaultText: '50 on the built-in tasks, all on your data' }),
  ...dataOptions(),
  augment: augmentOption(),
  maxSteps: maxStepsOption(),
  momentum: opt.number({ min: 0, lt: 1, default: 0.9, doc: 'SGD momentum in [0, 1)' }),
  weightDecay: opt.number({ min: 0, default: 1e-4, doc: 'L2 coefficient of the filters and the head' }),
  head: opt.enum(['reinit', 'keep'], { default: 'reinit', doc: 'the new head: reinit or keep', arg: 'H' }),
  headLrScale: opt.number({ min: 0, default: 10, doc: 'lr multiplier of the head' }),
  epochs: epochsOption(ADAFILTER_DEFAULTS.config.epochs),
  batchSize: batchSizeOption(ADAFILTER_DEFAULTS.batchSize),
  seed: seedOption('seed of the label budget, head init and data order'),
  weights: weightsOption(),
  ...RUN_OPTIONS,
  resume: resumeOption(),
  lr: opt.number({ gt: 0, default: 0.01, doc: 'SGD lr of the fine-tuned filters', section: S }),
  gateLrScale: opt.number({ min: 0, default: 10, doc: 'lr multiplier of the gate network', section: S }),
  gate: opt.enum(['lstm', 'gru', 'mlp'], { default: 'lstm', arg: 'G', doc: 'lstm (one cell shared by all gated layers), gru, mlp (per layer)', section: S }),
  binarize: opt.enum(['st', 'gumbel'], { default: 'st', arg: 'B', doc: 'st (straight-through threshold) or gumbel', section: S }),
  temperature: opt.number({ gt: 0, default: 5, doc: 'Gumbel-sigmoid temperature', section: S }),
  stages: opt.list({ arg: 'A,B', what: 'stage names (e.g. layer2,layer3)', doc: 'stages whose convolutions are gated', defaultText: 'all, e.g. stem,layer1,layer2,layer3', section: S }),
  gatedBn: opt.bool({ flag: 'no-gated-bn', negate: true, doc: 'one BN after the mix instead of gated BN (the ablation)', section: S }),
  gateWarmupSteps: opt.int({ min: 0, default: 0, arg: 'K', doc: 'gate warm-up: the first K steps fine-tune every filter (g = 1) and do not train the gate (0: off)', section: S }),
  usagePenalty: opt.number({ min: 0, default: 0, doc: 'rho of the penalty rho * mean(gate)', section: S }),
} as const;
export type AdafilterOptionValues = OptionValues<typeof ADAFILTER_OPTIONS>;

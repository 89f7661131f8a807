/**
 * @module The option tables of runAdversarial (`adaptune adversarial`) and runRobustness (`adaptune robustness`):
 * the one definition of each option (type, range, default, doc, flag; src/core/options.ts says how to add one).
 * No native code.
 */
import { CliError, opt, type OptionValues } from '../../core/options.js';
import { augmentOption, dataOptions, dataSpecOption, labelsOption, optimizerOption, resumeOption, RUN_OPTIONS, seedOption, weightsOption } from '../../train/options.js';
import { ADVERSARIAL_DEFAULTS as AD, ROBUSTNESS_DEFAULTS as RD } from './defaults.js';
import { defaultAdversarialConfig } from './config.js';
import { scheduleDefaults } from './schedules.js';

const DATA = 'Data and model', ATTACK = 'Attack used in training', SCHED = 'Schedule (peak lr = --lr)', OPTIM = 'Optimisation', MON = 'Monitor and evaluation', RUN = 'Run';
const A = AD.args;
const C = AD.config;
/** The library's own defaults, shown by --help (one definition: config.ts and schedules.ts; no native code). */
const M = defaultAdversarialConfig;
const S = scheduleDefaults['slow-start-fast-decay'];

/** Options of runAdversarial (the flags of `adaptune adversarial`). */
export const ADVERSARIAL_OPTIONS = {
  data: dataSpecOption({ default: A.data, section: DATA, doc: "a built-in task, imagefolder:DIR or csv:FILE (in memory); the head is kept\nwhen it is the weights' own task, else a new head is trained" }),
  model: dataOptions(DATA).model,
  testFraction: dataOptions(DATA).testFraction,
  imageSize: dataOptions(DATA).imageSize,
  augment: augmentOption(DATA),
  labelsPerClass: labelsOption({ default: A.labelsPerClass, section: DATA }),
  trainPerClass: opt.int({ min: 1, section: DATA, default: null, defaultText: 'all of them', doc: 'train on N images per class, drawn with --seed from the training split\nafter the --val-images hold-out' }),
  weights: weightsOption({ section: DATA }),
  init: opt.enum(['finetune', 'scratch'], { arg: 'MODE', section: DATA, default: C.method.init, doc: 'finetune or scratch (every layer re-initialised)' }),
  loss: opt.enum(['pgd', 'trades', 'fast', 'natural'], { arg: 'L', section: ATTACK, default: 'pgd', doc: 'pgd, trades, fast (FGSM with random start) or natural (clean\ninputs, no attack: the natural control; the monitor still attacks)' }),
  norm: opt.enum(['linf', 'l2'], { arg: 'N', section: ATTACK, default: 'linf', doc: 'linf or l2' }),
  eps: opt.number({ gt: 0, arg: 'E', section: ATTACK, default: C.method.eps, doc: 'radius in [0, 1] pixel units' }),
  steps: opt.int({ min: 1, arg: 'K', section: ATTACK, default: C.method.steps, doc: 'PGD steps' }),
  stepSize: opt.number({ gt: 0, arg: 'A', section: ATTACK, defaultText: 'eps / 4', doc: 'PGD step size' }),
  bnMode: opt.enum(['eval', 'train'], { arg: 'M', section: ATTACK, default: 'eval', doc: 'BN mode while generating: eval or train' }),
  tradesBeta: opt.number({ min: 0, arg: 'B', section: ATTACK, default: M.tradesBeta, doc: 'TRADES beta' }),
  schedule: opt.enum(['slow-start-fast-decay', 'piecewise', 'cyclic', 'constant'], { arg: 'S', section: SCHED, default: 'slow-start-fast-decay', doc: 'slow-start-fast-decay, piecewise, cyclic or constant\n(piecewise boundaries/factors and cyclic cycles/peakAt: --set\nmethod.schedule.FIELD=V or --config)' }),
  warmupFraction: opt.number({ min: 0, lt: 1, arg: 'F', section: SCHED, default: S.warmupFraction, doc: 'slow-start-fast-decay: t_w / T in [0, 1)' }),
  warmupShape: opt.enum(['linear', 'cosine'], { arg: 'S', section: SCHED, default: S.warmupShape, doc: 'linear or cosine' }),
  startFactor: opt.number({ min: 0, max: 1, arg: 'F', section: SCHED, default: S.startFactor, doc: 'lr at step 0 / peak lr, in [0, 1]' }),
  decayShape: opt.enum(['exponential', 'linear', 'cosine'], { arg: 'S', section: SCHED, default: S.decayShape, doc: 'exponential, linear or cosine' }),
  decayRate: opt.number({ min: 0, arg: 'K', section: SCHED, default: S.decayRate, doc: 'exponential decay exp(-K u)' }),
  optimizer: optimizerOption(OPTIM, 'sgd (default), adam or adamw'),
  lr: opt.number({ gt: 0, arg: 'LR', section: OPTIM, default: C.optim.lr, doc: 'peak learning rate' }),
  momentum: opt.number({ min: 0, lt: 1, arg: 'M', section: OPTIM, default: C.optim.momentum, doc: 'SGD momentum in [0, 1)' }),
  weightDecay: opt.number({ min: 0, arg: 'W', section: OPTIM, default: C.optim.weightDecay, doc: 'L2 coefficient' }),
  epochs: opt.int({ min: 1, section: OPTIM, default: C.epochs, doc: 'passes over the training set' }),
  maxSteps: opt.int({ min: 1, section: OPTIM, doc: 'stop after N optimizer steps (overrides --epochs)' }),
  batchSize: opt.int({ min: 1, section: OPTIM, default: A.batchSize, doc: 'examples per step' }),
  valImages: opt.int({ min: 0, section: MON, default: A.valImages, doc: 'validation images held out of the labelled training images (class-\nstratified; the data\'s val/ when it has one) for the robust-\noverfitting monitor and the best checkpoint (0 = none: last weights)' }),
  evalSteps: opt.int({ min: 1, arg: 'K', section: MON, default: C.method.evalSteps, doc: 'PGD steps of the monitor' }),
  evalEvery: opt.int({ min: 0, section: MON, default: 0, doc: 'also run the monitor every N steps (0: epoch ends only)' }),
  select: opt.enum(['robust', 'robust-then-clean'], { arg: 'S', section: MON, default: A.select, doc: 'which checkpoint to keep: robust-then-clean (best held-out robust\naccuracy, ties broken by clean accuracy) or robust (first best)' }),
  testSteps: opt.int({ min: 1, arg: 'K', section: MON, default: A.testSteps, doc: 'PGD steps of the final test evaluation' }),
  testRestarts: opt.int({ min: 1, arg: 'R', section: MON, default: A.testRestarts, doc: 'its restarts' }),
  testLimit: opt.int({ min: 1, section: MON, defaultText: 'all', doc: 'evaluate on N test images, spread over the split' }),
  gapImages: opt.int({ min: 0, section: MON, default: A.gapImages, doc: 'also attack N training images at the end (train-test robust gap)' }),
  compareTo: opt.string({ arg: 'DIR', section: MON, default: null, doc: 'a from-scratch run of this command: print the cost ratio' }),
  ...section(RUN_OPTIONS, RUN),
  seed: seedOption('seed of init, data order, hold-out and attacks', RUN),
  resume: opt.string({ ...resumeOption('continue an interrupted run (its own config and flags; --epochs or --max-steps extend it)'), section: RUN }),
} as const;
export type AdversarialOptionValues = OptionValues<typeof ADVERSARIAL_OPTIONS>;

/** The flags a resumed adversarial run takes (everything else is the run's own). */
export const ADVERSARIAL_RESUME_FLAGS = ['resume', 'json', 'threads', 'compare-to', 'epochs', 'max-steps'];

/** The table's entries moved to a help section. */
function section<T extends Record<string, object>>(t: T, s: string): T {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { ...v, section: s }])) as T;
}

/** A comma list of numbers, each checked by `ok` (its range in words), sorted and without repeats. */
function numberList(flag: string, ok: (n: number) => boolean, what: string) {
  return (v: string): number[] => {
    const parts = v.split(',').map((s) => s.trim());
    if (parts.some((s) => s === '')) throw new CliError(`--${flag} must be a comma list, got '${v}'`);
    for (const p of parts) if (p === '' || !ok(Number(p))) throw new CliError(`--${flag} must be ${what}, got '${p}'`);
    return [...new Set(parts.map(Number))];
  };
}

/** Options of runRobustness (the flags of `adaptune robustness`). */
export const ROBUSTNESS_OPTIONS = {
  weights: weightsOption({ defaultText: 'the bundled backbone', doc: 'weights (.safetensors with or without sidecar, .pth/.pt/.bin); its\nhead must match the data\'s classes' }),
  model: dataOptions().model,
  data: dataSpecOption({ defaultText: "what the weights were trained or fine-tuned on, else fmnist:source" }),
  testFraction: dataOptions().testFraction,
  imageSize: dataOptions().imageSize,
  split: opt.enum(['test', 'train'], { arg: 'S', default: RD.split, doc: 'the split: test or train' }),
  eps: opt.number({ gt: 0, arg: 'E', default: RD.eps, doc: 'radius in [0, 1] pixel units' }),
  norm: opt.enum(['linf', 'l2'], { arg: 'N', default: RD.norm, doc: 'linf or l2' }),
  steps: opt.custom((v) => numberList('steps', (n) => Number.isSafeInteger(n) && n >= 1, 'an integer >= 1')(v).sort((a, b) => a - b), { arg: 'K,K', default: RD.steps, doc: 'comma list of PGD step counts' }),
  restarts: opt.int({ min: 1, arg: 'R', default: RD.restarts, doc: 'restarts of every PGD attack' }),
  stepSize: opt.number({ gt: 0, arg: 'A', default: null, defaultText: '2.5 * eps / k', doc: 'PGD step size' }),
  epsSweep: opt.custom((v) => (v === 'none' ? [] : numberList('eps-sweep', (n) => Number.isFinite(n) && n > 0, 'a number > 0')(v)), { arg: 'E,E', default: RD.epsSweep, doc: "extra radii attacked with the largest k ('none' for none)" }),
  bnMode: opt.enum(['eval', 'train'], { arg: 'M', default: RD.bnMode, doc: 'BN mode while generating: eval or train' }),
  tolerance: opt.number({ min: 0, lt: 1, default: RD.tolerance, arg: 'T', doc: 'allowed rise before a flag, as a fraction of examples' }),
  limit: opt.int({ min: 1, defaultText: 'all', doc: 'evaluate N images spread over the split' }),
  batchSize: opt.int({ min: 1, default: RD.batchSize, doc: 'examples per batch' }),
  seed: seedOption('seed of the random starts'),
  out: opt.string({ arg: 'DIR', default: null, doc: 'also write DIR/robustness.json' }),
  threads: RUN_OPTIONS.threads,
  json: RUN_OPTIONS.json,
} as const;
export type RobustnessOptionValues = OptionValues<typeof ROBUSTNESS_OPTIONS>;

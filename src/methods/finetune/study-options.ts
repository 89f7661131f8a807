/**
 * @module The option tables of runSimilarity (`adaptune similarity`) and of `adaptune hparams` (runHparams' grid,
 * runCollect, runRecommend): the one definition of each option (src/core/options.ts says how to add one). No native code.
 */
import { ConfigError } from '../../core/errors.js';
import { opt } from '../../core/options.js';
import { parseTaskSpec, type TaskName } from '../../data/tasks/spec.js';
import { augmentOption, dataOptions, dataSpecOption, labelsOption, RUN_OPTIONS, taskOption, weightsOption } from '../../train/options.js';
import type { Gamma } from './similarity.js';

/** A comma list of tasks (repeats dropped). */
const taskList = (flag: string) => (v: string): TaskName[] => {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((s) => !s)) throw new ConfigError(`--${flag} must be a comma list of tasks, got '${v}'`);
  return [...new Set(parts.map((p) => parseTaskSpec(p).name))];
};
/** --gamma: 'auto' or a number > 0. */
const gamma = (v: string): Gamma => {
  if (v.trim().toLowerCase() === 'auto') return 'auto';
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !(n > 0)) throw new ConfigError(`--gamma must be auto or a number > 0, got '${v}'`);
  return n;
};
/** --tap: a feature tap name (checked against the backbone when it is loaded). */
const tap = (v: string): string => {
  const t = v.trim();
  if (!/^[A-Za-z_][\w.]*$/.test(t)) throw new ConfigError(`--tap must be a feature tap name such as pool or layer2, got '${v}'`);
  return t;
};
/** A comma list of numbers in a range (repeats dropped). */
const numList = (flag: string, ok: (n: number) => boolean, range: string) => (v: string): number[] => {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '')) throw new ConfigError(`--${flag} must be a comma list of numbers, got '${v}'`);
  for (const p of parts) if (!Number.isFinite(Number(p)) || !ok(Number(p))) throw new ConfigError(`--${flag} must be a number ${range}, got '${p}'`);
  return [...new Set(parts.map(Number))];
};

const SIM = {
  weights: opt.string({ arg: 'FILE', default: null, defaultText: 'the bundled backbone', doc: 'backbone weights with an adaptune sidecar' }),
  gamma: opt.custom(gamma, { arg: 'G|auto', default: 'auto', doc: 'similarity = exp(-G * EMD) (Cui et al.: 0.01)' }),
  tap: opt.custom(tap, { arg: 'NAME', default: 'pool', doc: 'feature tap (pool: the penultimate features; a conv stage\nsuch as layer2 is averaged over space)' }),
  perClassMax: opt.int({ min: 0, default: 500, doc: 'use at most N training images per class (0 = all)' }),
} as const;

/** Options of `adaptune similarity` (runSimilarity's, resolved by the parser). */
export const SIMILARITY_OPTIONS = {
  source: taskOption({ default: 'fmnist:source', doc: 'source task' }),
  targets: opt.custom(taskList('target'), { flag: 'target', arg: 'LIST', doc: 'target task or comma list (required), e.g. fmnist:target-mid,fmnist:target-shift' }),
  ...SIM,
  seed: opt.int({ min: 0, default: 0, arg: 'S', doc: 'seed' }),
  threads: RUN_OPTIONS.threads,
  json: RUN_OPTIONS.json,
} as const;

const STUDY = 'Study modes (see below)';
/** Options of `adaptune hparams`: a grid run, or with --collect / --recommend a study mode. */
export const HPARAMS_OPTIONS = {
  data: dataSpecOption({ default: 'fmnist:target-mid', doc: 'grid: a built-in task, imagefolder:DIR or csv:FILE; --recommend: a built-in task' }),
  labelsPerClass: labelsOption({ default: 100, defaultText: '100 on the built-in tasks, all on your data' }),
  ...dataOptions(),
  augment: augmentOption(),
  elrs: opt.custom(numList('elr', (n) => n > 0, '> 0'), { flag: 'elr', arg: 'LIST', default: [0.01, 0.03, 0.1, 0.3], doc: 'comma list of effective learning rates' }),
  momenta: opt.custom(numList('momentum', (n) => n >= 0 && n < 1, '>= 0 and < 1'), { flag: 'momentum', arg: 'LIST', default: [0, 0.9], doc: 'comma list of momenta in [0, 1)' }),
  regularizer: opt.enum(['l2', 'l2-sp', 'both'], { arg: 'R', default: 'l2', doc: 'l2, l2-sp or both' }),
  alphas: opt.custom(numList('alpha', (n) => n >= 0, '>= 0'), { flag: 'alpha', arg: 'LIST', default: [0.01], doc: 'comma list of L2-SP alphas (the l2-sp cells; alpha/2 ||w - w0||^2)' }),
  weightDecays: opt.custom(numList('weight-decay', (n) => n >= 0, '>= 0'), { flag: 'weight-decay', arg: 'LIST', default: [1e-4], doc: 'comma list of plain L2 coefficients (the l2 cells)' }),
  epochs: opt.int({ min: 1, default: 30, doc: 'epochs per cell (as adaptune finetune)' }),
  batchSize: opt.int({ min: 1, default: 32, doc: 'examples per step' }),
  seed: opt.int({ min: 0, default: 0, arg: 'S', doc: 'seed' }),
  weights: weightsOption({ defaultText: 'the bundled backbone' }),
  out: opt.string({ arg: 'DIR', defaultText: 'runs/hparams-<data>-<labels>', doc: 'grid directory' }),
  threads: RUN_OPTIONS.threads,
  json: RUN_OPTIONS.json,
  maxSteps: opt.int({ min: 1, doc: 'smoke tests: at most N steps per cell' }),
  testLimit: opt.int({ min: 1, doc: 'smoke tests: evaluate on N test images (spread over the split)' }),
  collect: opt.custom((v) => {
    const dirs = v.split(',').map((d) => d.trim());
    if (dirs.some((d) => !d)) throw new ConfigError(`--collect must be a comma list of grid directories, got '${v}'`);
    return dirs;
  }, { arg: 'DIR,DIR', section: STUDY, doc: 'gather the completed cells of these grid directories into --study FILE' }),
  study: opt.string({ arg: 'FILE', section: STUDY, doc: 'the study file (written by --collect, read by --recommend)' }),
  source: taskOption({ default: 'fmnist:source', section: STUDY, doc: 'source task of the similarity' }),
  tap: { ...SIM.tap, section: STUDY },
  gamma: { ...SIM.gamma, section: STUDY },
  perClassMax: { ...SIM.perClassMax, section: STUDY },
  recommend: opt.bool({ section: STUDY, doc: "print the effective-learning-rate range for --data's nearest study target" }),
  tolerance: opt.number({ min: 0, arg: 'PP', section: STUDY, default: 1, doc: 'validation-accuracy points within the best that count as best' }),
} as const;

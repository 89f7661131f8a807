/**
 * @module The option table of runAnomaly (`adaptune anomaly`) and its defaults: the one definition of each option
 * (src/core/options.ts says how to add one), and the categories rule shared by the parser and the run. No native code.
 */
import { ConfigError } from '../../core/errors.js';
import { opt, type OptionValues } from '../../core/options.js';
import { dataOptions, RUN_OPTIONS, seedOption, weightsOption } from '../../train/options.js';
import { checkDataSpec } from '../../data/spec.js';
import { ANOMALY_ARGS as D } from './defaults.js';

/** The synthetic categories (= DEFECT_CATEGORIES of src/data/defects.ts, repeated here to keep this file free of libtorch; a test checks they agree). */
export const SYNTHETIC_CATEGORIES: readonly string[] = ['grating', 'checkerboard', 'blobs', 'gabor-noise', 'rings'];

const DATA = 'Data', MODEL = 'Model and method', OUT = 'Output';

/** Options of runAnomaly (the flags of `adaptune anomaly`). */
export const ANOMALY_OPTIONS = {
  data: opt.custom<string>((v) => (['synthetic', 'mvtec', 'fmnist'].includes(v) ? v : checkDataSpec(v, ['mvtec', 'anomaly'])), { arg: 'D', section: DATA, default: D.data, doc: 'mvtec:DIR: one MVTec-AD category folder (train/good, test/<defect>,\nground_truth/); anomaly:DIR: normal/ + anomalous/, or train/ + test/good/ +\ntest/<defect>/ (no masks); synthetic: procedural textures with planted scratches, blobs,\npasted patches and colour defects, pixel masks, seeded, no download;\nmvtec: an MVTec-AD tree (--root DIR), resized to --size;\nfmnist: one-class Fashion-MNIST (Debian\'s files): normal = class c in 5..9\n(never seen by the bundled backbone), training = its 6000 training images,\ntest = its 1000 test images + 1000 drawn (seeded) from the other classes 5..9' }),
  categories: opt.list({ flag: 'category', arg: 'LIST', section: DATA, unique: true, defaultText: 'grating; fmnist: all', doc: `comma list; synthetic: ${SYNTHETIC_CATEGORIES.join(', ')} or all;\nfmnist: normal classes among 5..9 or all; mvtec: category folders` }),
  root: opt.string({ arg: 'DIR', section: DATA, default: null, doc: 'MVTec-AD root (holds <category>/train/good, test/, ground_truth/)' }),
  size: opt.int({ min: 1, section: DATA, default: null, defaultText: "28, the bundled backbone's", doc: 'MVTec images are resized to N x N' }),
  trainSize: opt.int({ min: 4, section: DATA, default: D.trainSize, doc: 'synthetic: normal training images' }),
  testGood: opt.int({ min: 1, section: DATA, default: D.testGood, doc: 'synthetic: normal test images' }),
  testDefect: opt.int({ min: 1, section: DATA, default: D.testDefect, doc: 'synthetic: defective test images' }),
  valFraction: opt.number({ gt: 0, lt: 1, arg: 'F', section: DATA, default: D.valFraction, doc: 'share of the normal training images held out for validation' }),
  weights: weightsOption({ section: MODEL, defaultText: 'the bundled backbone', doc: 'backbone weights (.safetensors with or without sidecar, .pth/.pt/.bin);\ntheir normalisation (ImageNet for torchvision ResNets) is applied' }),
  model: dataOptions(MODEL).model,
  imageSize: { ...dataOptions(DATA).imageSize, defaultText: '--size, else 224', doc: 'mvtec:DIR / anomaly:DIR images are resized to N x N' },
  finetune: opt.bool({ section: MODEL, doc: 'fine-tune the backbone (Mahalanobis objective, forgetting-aware validation)' }),
  baselines: opt.bool({ section: MODEL, doc: 'image AUROC of the covariance / projection variants on the same features' }),
  segment: opt.bool({ section: MODEL, doc: 'PaDiM-style segmentation: pixel AUROC, PRO and overlays' }),
  stages: opt.list({ arg: 'LIST', section: MODEL, unique: true, defaultText: "every stage before 'pool'", doc: 'feature taps' }),
  covariance: opt.enum(['ledoit-wolf', 'empirical', 'diagonal', 'identity'], { arg: 'K', section: MODEL, default: 'ledoit-wolf', doc: 'ledoit-wolf, empirical, diagonal (SED), identity (L2)' }),
  projection: opt.enum(['none', 'pca', 'npca'], { arg: 'P', section: MODEL, default: 'none', doc: 'none, pca, npca' }),
  epochs: opt.int({ min: 1, section: MODEL, default: 20, doc: 'fine-tuning epochs at most' }),
  lr: opt.number({ min: 0, arg: 'LR', section: MODEL, default: 1e-4, doc: 'Adam learning rate' }),
  patience: opt.int({ min: 1, arg: 'P', section: MODEL, default: 5, doc: 'early stop after P epochs without a better validation AUROC' }),
  toEnd: opt.bool({ section: MODEL, doc: 'no early stop: run every epoch (shows forgetting; the best epoch is still reported)' }),
  objective: opt.enum(['mahalanobis', 'euclidean'], { arg: 'O', section: MODEL, default: 'mahalanobis', doc: 'mahalanobis or euclidean (distance to the mean: the ablation)' }),
  bn: opt.enum(['frozen', 'train'], { arg: 'B', section: MODEL, default: 'frozen', doc: 'BatchNorm while fine-tuning' }),
  batchSize: opt.int({ min: 1, section: MODEL, default: D.batchSize, doc: 'examples per batch' }),
  config: { ...RUN_OPTIONS.config, section: MODEL, doc: 'JSON/YAML training config (engine fields + method.*); flags override it' },
  set: { ...RUN_OPTIONS.set, section: MODEL, doc: 'override any config field (repeatable; applied last)' },
  out: { ...RUN_OPTIONS.out, section: OUT, defaultText: 'runs/<stamp>-anomaly', doc: 'results.json, per-category runs and overlays' },
  overlays: opt.int({ min: 0, section: OUT, default: D.overlays, doc: 'overlays written per category (defective images first)' }),
  seed: seedOption('data split, validation anomalies, synthetic data and training', OUT),
  threads: { ...RUN_OPTIONS.threads, section: OUT },
  json: { ...RUN_OPTIONS.json, section: OUT },
} as const;
export type AnomalyOptionValues = OptionValues<typeof ANOMALY_OPTIONS>;

/** The categories a run covers: `given` with 'all' expanded, or the data's default; errors name --category. */
export function anomalyCategories(data: 'synthetic' | 'mvtec' | 'fmnist', given: string[] | undefined): string[] {
  let c = given ?? (data === 'fmnist' ? ['all'] : data === 'synthetic' ? ['grating'] : []);
  if (data === 'mvtec' && !c.length) throw new ConfigError('--data mvtec needs --category NAME[,NAME...] (e.g. bottle)');
  if (data === 'fmnist') {
    if (c.includes('all')) c = ['5', '6', '7', '8', '9'];
    const bad = c.find((x) => !/^[5-9]$/.test(x));
    if (bad) throw new ConfigError(`--category must be normal classes among 5..9 or all for --data fmnist, got '${bad}'`);
  }
  if (data === 'synthetic') {
    if (c.includes('all')) c = [...SYNTHETIC_CATEGORIES];
    const bad = c.find((x) => !SYNTHETIC_CATEGORIES.includes(x));
    if (bad) throw new ConfigError(`--category must be among ${SYNTHETIC_CATEGORIES.join(', ')} or all for --data synthetic, got '${bad}'`);
  }
  return c;
}

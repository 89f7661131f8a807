/** @module Flags and help of `adaptune anomaly` (light: no libtorch import). */
import { ANOMALY_ARGS as D } from '../methods/anomaly/defaults.js';
import { CliError, enumFlag, intFlag, noPositionals, numFlag, setFlag, strictParse } from './flags.js';

/** The synthetic categories (= DEFECT_CATEGORIES of src/data/defects.ts, repeated here to keep this file free of libtorch; a test checks they agree). */
export const SYNTHETIC_CATEGORIES: readonly string[] = ['grating', 'checkerboard', 'blobs', 'gabor-noise', 'rings'];
const DEFECT_CATEGORIES = SYNTHETIC_CATEGORIES;

/** Options of `adaptune anomaly`. */
export interface AnomalyArgs {
  data: 'synthetic' | 'mvtec' | 'fmnist';
  categories: string[];
  /** MVTec root (the folder holding the category folders). */
  root: string | null;
  /** Image size [h, w] for MVTec (synthetic images are 28 x 28). */
  size: number | null;
  weights: string | null;
  finetune: boolean;
  toEnd: boolean;
  segment: boolean;
  baselines: boolean;
  epochs?: number;
  lr?: number;
  patience?: number;
  objective?: 'mahalanobis' | 'euclidean';
  bn?: 'frozen' | 'train';
  covariance?: 'ledoit-wolf' | 'empirical' | 'diagonal' | 'identity';
  projection?: 'none' | 'pca' | 'npca';
  stages?: string[];
  batchSize: number;
  valFraction: number;
  trainSize: number;
  testGood: number;
  testDefect: number;
  overlays: number;
  config: string | null;
  set: string[];
  out: string | null;
  seed: number;
  json: boolean;
  threads?: number;
}

export const ANOMALY_USAGE = `Usage: adaptune anomaly [flags]

Gaussian anomaly detection (Rippel et al. ICPR 2020) with the bundled backbone (or --weights):
one Gaussian (Ledoit-Wolf) per feature stage of the globally pooled features of the normal
training images, image score = mean over the stages of the Mahalanobis distances (as the official
code; --set method.combine=sum: sum of squared distances); image AUROC, per-stage AUROC and TPR at
5% FPR on the test split. Optionally:
  --finetune  fine-tune the backbone by minimising that Mahalanobis score of normal
              images (Rippel et al. 2021; Adam, BN frozen, Gaussian refitted each epoch) with the
              forgetting-aware validation: held-out normal images vs the same images made
              anomalous (MixUp, CutMix, CutPaste, Cutout, AugMix-style); the epoch with the best
              validation AUROC is kept (epoch 0 = the pre-trained model), early stop on patience
  --baselines image AUROC of the variants on the same features: ledoit-wolf, ledoit-wolf-sum
              (squared sum over stages), empirical (+1e-3 I), npca-0.99, npca-0.95, pca-0.99,
              sed (diagonal), l2 (Euclidean)
  --segment   PaDiM-style per-location Gaussians on mid-level maps (a seeded random subset of
              round(100/448 x D) of the D channels, PaDiM's; --set method.padimChannels=all|N):
              pixel AUROC, PRO (FPR <= 0.3) and PNG overlays (image | ground truth | score map)
              under OUT/<category>/overlays/

Data:
  --data synthetic|mvtec|fmnist
                          synthetic (default): procedural textures with planted scratches, blobs,
                          pasted patches and colour defects, pixel masks, seeded, no download;
                          mvtec: an MVTec-AD tree (--root DIR), resized to --size;
                          fmnist: one-class Fashion-MNIST (Debian's files): normal = class c in 5..9
                          (never seen by the bundled backbone), training = its 6000 training images,
                          test = its 1000 test images + 1000 drawn (seeded) from the other classes 5..9
  --category LIST         comma list; synthetic: ${DEFECT_CATEGORIES.join(', ')} or all (default grating);
                          fmnist: normal classes among 5..9 or all (default all)
  --root DIR              MVTec-AD root (holds <category>/train/good, test/, ground_truth/)
  --size N                MVTec images are resized to N x N (default 28, the bundled backbone's)
  --train-size N          synthetic: normal training images (default 200)
  --test-good N, --test-defect N   synthetic: normal / defective test images (default 60 each)
  --val-fraction F        share of the normal training images held out for validation (default 0.2)

Model and method:
  --weights FILE          backbone weights with an adaptune sidecar (default: the bundled one)
  --stages LIST           feature taps (default: every stage before 'pool')
  --covariance K          ledoit-wolf (default), empirical, diagonal (SED), identity (L2)
  --projection P          none (default), pca, npca
  --epochs N              fine-tuning epochs at most (default 20)
  --lr LR                 Adam learning rate (default 1e-4)
  --patience P            early stop after P epochs without a better validation AUROC (default 5)
  --to-end                no early stop: run every epoch (shows forgetting; the best epoch is still reported)
  --objective O           mahalanobis (default) or euclidean (distance to the mean: the ablation)
  --bn frozen|train       BatchNorm while fine-tuning (default frozen)
  --batch-size N          (default 32)
  --config FILE           JSON/YAML training config (engine fields + method.*); flags override it
  --set a.b=c             override any config field (repeatable; applied last)

Output:
  --out DIR               results.json, per-category runs and overlays (default runs/<stamp>-anomaly)
  --overlays N            overlays written per category (default 8: defective images first)
  --seed S                data split, validation anomalies, synthetic data and training (default 0)
  --threads N             intra-op threads
  --json                  print ONE JSON object on stdout (progress on stderr)
  -h, --help              this help
`;

const OPTIONS = {
  data: { type: 'string' }, category: { type: 'string' }, root: { type: 'string' }, size: { type: 'string' }, weights: { type: 'string' },
  finetune: { type: 'boolean' }, baselines: { type: 'boolean' }, 'to-end': { type: 'boolean' }, segment: { type: 'boolean' }, epochs: { type: 'string' }, lr: { type: 'string' },
  patience: { type: 'string' }, objective: { type: 'string' }, bn: { type: 'string' }, covariance: { type: 'string' }, projection: { type: 'string' },
  stages: { type: 'string' }, 'batch-size': { type: 'string' }, 'val-fraction': { type: 'string' }, 'train-size': { type: 'string' },
  'test-good': { type: 'string' }, 'test-defect': { type: 'string' }, overlays: { type: 'string' }, config: { type: 'string' }, set: { type: 'string', multiple: true }, out: { type: 'string' },
  seed: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

/** A comma list flag (CliError on empty items). */
function list(flag: string, v: string): string[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((s) => !s)) throw new CliError(`--${flag} must be a comma list, got '${v}'`);
  return [...new Set(parts)];
}

/** Parses `adaptune anomaly` flags. */
export function parseAnomaly(args: string[]): AnomalyArgs | 'help' {
  const { values: v, positionals } = strictParse('anomaly', args, OPTIONS);
  if (v.help) return 'help';
  noPositionals('anomaly', positionals);
  const data = enumFlag('data', v.data, ['synthetic', 'mvtec', 'fmnist'] as const) ?? D.data;
  if (data === 'mvtec' && v.root === undefined) throw new CliError('--data mvtec needs --root DIR (the folder holding the category folders)');
  if (data === 'mvtec' && v.category === undefined) throw new CliError('--data mvtec needs --category NAME[,NAME...] (e.g. bottle)');
  let categories = list('category', v.category ?? (data === 'fmnist' ? 'all' : 'grating'));
  if (data === 'fmnist') {
    if (categories.includes('all')) categories = ['5', '6', '7', '8', '9'];
    const bad = categories.find((c) => !/^[5-9]$/.test(c));
    if (bad) throw new CliError(`--category must be normal classes among 5..9 or all for --data fmnist, got '${bad}'`);
    if (v.segment) throw new CliError('--segment needs pixel masks: use --data synthetic or mvtec');
  }
  if (data === 'synthetic') {
    if (categories.includes('all')) categories = [...DEFECT_CATEGORIES];
    const bad = categories.find((c) => !DEFECT_CATEGORIES.includes(c));
    if (bad) throw new CliError(`--category must be among ${DEFECT_CATEGORIES.join(', ')} or all for --data synthetic, got '${bad}'`);
  }
  if (data !== 'mvtec' && (v.root !== undefined || v.size !== undefined)) throw new CliError('--root and --size apply to --data mvtec only');
  if (v['to-end'] && !v.finetune) throw new CliError('--to-end applies to --finetune only');
  const out: AnomalyArgs = {
    data, categories, root: v.root ?? null, size: intFlag('size', v.size) ?? null, weights: v.weights ?? null,
    finetune: v.finetune === true, baselines: v.baselines === true, toEnd: v['to-end'] === true, segment: v.segment === true,
    epochs: intFlag('epochs', v.epochs), lr: numFlag('lr', v.lr, { min: 0 }), patience: intFlag('patience', v.patience),
    objective: enumFlag('objective', v.objective, ['mahalanobis', 'euclidean'] as const), bn: enumFlag('bn', v.bn, ['frozen', 'train'] as const),
    covariance: enumFlag('covariance', v.covariance, ['ledoit-wolf', 'empirical', 'diagonal', 'identity'] as const),
    projection: enumFlag('projection', v.projection, ['none', 'pca', 'npca'] as const),
    stages: v.stages === undefined ? undefined : list('stages', v.stages),
    batchSize: intFlag('batch-size', v['batch-size']) ?? D.batchSize, valFraction: numFlag('val-fraction', v['val-fraction'], { gt: 0, lt: 1 }) ?? D.valFraction,
    trainSize: intFlag('train-size', v['train-size'], 4) ?? D.trainSize, testGood: intFlag('test-good', v['test-good']) ?? D.testGood,
    testDefect: intFlag('test-defect', v['test-defect']) ?? D.testDefect, overlays: intFlag('overlays', v.overlays, 0) ?? D.overlays,
    config: v.config ?? null, set: setFlag(v.set), out: v.out ?? null, seed: intFlag('seed', v.seed, 0) ?? D.seed, json: v.json === true,
  };
  const threads = intFlag('threads', v.threads);
  if (threads !== undefined) out.threads = threads;
  return out;
}

/**
 * @module SemisupConfig: the options of semi-supervised transfer (Abuduweili et al., CVPR 2021: AKC + ARC and
 * the SSL baselines), their defaults, one validator (ConfigError naming the field, the allowed range and the
 * value), and semisupTrainConfig(), which writes the optimiser settings and the method options into an engine
 * TrainConfig. Defaults follow the official code (SHI-Labs/Semi-Supervised-Transfer-Learning) where it says
 * [C]; the reconstructions [R] are listed in README.md.
 */
import { ConfigError } from '../../core/errors.js';
import { checkMethodFields, isFiniteNumber, isPlainObject, nonNegative, type FieldCheck } from '../../train/method-config.js';
import { LambdaLR, type LRScheduler } from '../../core/optim/lr_scheduler.js';
import type { Optimizer, ParamGroup } from '../../core/optim/optimizer.js';
import { makeConfig, mergeConfig, withMethod, type TrainConfig } from '../../train/index.js';
import type { RunLength } from '../../train/build.js';

/** The SSL algorithms (each combinable with AKC and ARC). 'ict' is what the official code calls "MixMatch". */
export const ALGORITHMS = ['supervised', 'pseudo-label', 'mean-teacher', 'fixmatch', 'mixmatch', 'ict'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Options of a semi-supervised transfer run. */
export interface SemisupConfig {
  /** The SSL loss next to the labelled cross entropy ('supervised': none). */
  algorithm: Algorithm;
  /** Adaptive Knowledge Consistency (source vs target features, gated by the source model's entropy). */
  akc: boolean;
  /** Adaptive Representation Consistency (MMD between gated labelled and unlabelled target features). */
  arc: boolean;
  /** lambda_AKC and lambda_ARC (reached after the linear warm-up regWarmupIter) [C: 1 (issue #1), 50]. */
  lambdaAkc: number;
  lambdaArc: number;
  /** Entropy-gate fractions tau: an example is kept when H(p) <= tau * log K [C: 0.7, 0.7]. */
  akcThreshold: number;
  arcThreshold: number;
  /** AKC divides the squared feature distance by this [C: 10000 for 2048-d ResNet-50 features; R: 100 for 64-d]. */
  akcScale: number;
  /** FIFO table sizes of selected labelled / unlabelled features [C: 128, 128]. */
  tableSizeL: number;
  tableSizeU: number;
  /** MMD only once the labelled table holds more than this many entries [C: 20]. */
  arcMinTable: number;
  /** MMD only after this many steps (step index > regWarmup) [C: 10]. */
  regWarmup: number;
  /** Linear warm-up of lambda_AKC / lambda_ARC over this many steps [C: 100]. */
  regWarmupIter: number;
  /** Weight of the SSL loss (null: the algorithm's default, see README). */
  coef: number | null;
  /** Linear warm-up of coef over this many steps (null: the algorithm's default). */
  warmupIter: number | null;
  /** Confidence threshold of pseudo-label / fixmatch [C: 0.95]. */
  threshold: number;
  /** Beta(alpha, alpha) of the MixUp in ict and mixmatch [C: 0.75]. */
  mixupAlpha: number;
  /** mixmatch: sharpening temperature and number of unlabelled augmentations K [Berthelot et al.: 0.5, 2]. */
  sharpenT: number;
  mixmatchK: number;
  /** Evaluate an EMA copy of the model (also the teacher of mean-teacher and ict). */
  ema: boolean;
  emaDecay: number;
  /** EMA decay min(1 - 1/t, emaDecay) at step t [C: on for ict; R: default on for all, short runs]. */
  emaWarmup: boolean;
  /** evaluate() also reports the raw (non-EMA) model's accuracy as rawAccuracy (a second pass over the eval data). */
  evalRaw: boolean;
  /** Imprint the new head from the labelled set's pooled features before training [C: on]. */
  imprint: boolean;
  /** SGD (Nesterov) lr, momentum, weight decay (none on BatchNorm and biases) [C]. */
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Cosine lr lr0 * max(0, cos(pi * numCycles * t / T)) [C: 7.9/16]. */
  numCycles: number;
  /** Labelled batch B, unlabelled batch mu x B, and steps per epoch (the official per_epoch_steps) [R: 16, 3; C: 100]. */
  batchSize: number;
  mu: number;
  stepsPerEpoch: number;
  /** Classes of the target task (null: the model's head). */
  numClasses: number | null;
}

/** Defaults (see the field docs). */
export const defaultSemisupConfig: SemisupConfig = {
  algorithm: 'fixmatch', akc: false, arc: false, lambdaAkc: 1, lambdaArc: 50, akcThreshold: 0.7, arcThreshold: 0.7, akcScale: 100,
  tableSizeL: 128, tableSizeU: 128, arcMinTable: 20, regWarmup: 10, regWarmupIter: 100, coef: null, warmupIter: null,
  threshold: 0.95, mixupAlpha: 0.75, sharpenT: 0.5, mixmatchK: 2, ema: true, emaDecay: 0.999, emaWarmup: true, evalRaw: false, imprint: true,
  lr: 0.01, momentum: 0.9, weightDecay: 5e-4, numCycles: 7.9 / 16, batchSize: 16, mu: 3, stepsPerEpoch: 100, numClasses: null,
};

/** Per-algorithm defaults of coef and warmupIter [C: pl/fixmatch coef 1, ict 100 with warm-up 4000 (CIFAR README); R: the rest]. */
export const ALGORITHM_DEFAULTS: Record<Algorithm, { coef: number; warmupIter: number }> = {
  supervised: { coef: 0, warmupIter: 0 },
  'pseudo-label': { coef: 1, warmupIter: 0 },
  fixmatch: { coef: 1, warmupIter: 0 },
  'mean-teacher': { coef: 10, warmupIter: 4000 },
  ict: { coef: 100, warmupIter: 4000 },
  mixmatch: { coef: 75, warmupIter: 4000 },
};

/** The validated config with coef and warmupIter resolved. */
export interface ResolvedSemisupConfig extends SemisupConfig { coef: number; warmupIter: number }

type Check = FieldCheck;
const num = isFiniteNumber;
const bool: Check = [(v) => typeof v === 'boolean', 'true or false'];
const int = (min: number): Check => [(v) => Number.isSafeInteger(v) && (v as number) >= min, `an integer >= ${min}`];
const nonNeg = nonNegative;
const pos: Check = [(v) => num(v) && v > 0, 'a finite number > 0'];
const unit: Check = [(v) => num(v) && v > 0 && v <= 1, 'a number in (0, 1]'];
const RULES: Record<keyof SemisupConfig, Check> = {
  algorithm: [(v) => typeof v === 'string' && (ALGORITHMS as readonly string[]).includes(v), `one of ${ALGORITHMS.map((a) => `'${a}'`).join(', ')}`],
  akc: bool, arc: bool, lambdaAkc: nonNeg, lambdaArc: nonNeg, akcThreshold: unit, arcThreshold: unit, akcScale: pos,
  tableSizeL: int(1), tableSizeU: int(1), arcMinTable: int(0), regWarmup: int(0), regWarmupIter: int(0),
  coef: [(v) => v === null || (num(v) && v >= 0), 'a finite number >= 0 or null'],
  warmupIter: [(v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0), 'an integer >= 0 or null'],
  threshold: [(v) => num(v) && v >= 0 && v <= 1, 'a number in [0, 1]'], mixupAlpha: pos, sharpenT: unit, mixmatchK: int(1),
  ema: bool, emaDecay: [(v) => num(v) && v >= 0 && v < 1, 'a number in [0, 1)'], emaWarmup: bool, evalRaw: bool, imprint: bool,
  lr: pos, momentum: [(v) => num(v) && v > 0 && v < 1, 'a number in (0, 1) (Nesterov needs momentum > 0)'], weightDecay: nonNeg,
  numCycles: [(v) => num(v) && v > 0 && v <= 1, 'a number in (0, 1]'], batchSize: int(1), mu: int(1), stepsPerEpoch: int(1),
  numClasses: [(v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 2), 'an integer >= 2 or null'],
};

const isPlain = isPlainObject;

/** Fills defaults, checks every field (ConfigError naming 'method.<field>'), resolves coef and warmupIter. */
export function validateSemisupConfig(partial: unknown = {}): ResolvedSemisupConfig {
  const c = checkMethodFields('semisup', partial, defaultSemisupConfig, RULES);
  const f: SemisupConfig = c;
  if (f.algorithm === 'supervised' && f.coef !== null && f.coef !== 0) throw new ConfigError(`semisup config field 'method.coef' must be 0 or null with algorithm 'supervised' (it has no SSL loss), got ${f.coef}`);
  if (f.algorithm === 'mixmatch' && f.mixmatchK < 2) throw new ConfigError(`semisup config field 'method.mixmatchK' must be >= 2 for mixmatch (the label guess averages K views), got ${f.mixmatchK}`);
  const d = ALGORITHM_DEFAULTS[f.algorithm];
  return { ...f, coef: f.coef ?? d.coef, warmupIter: f.warmupIter ?? d.warmupIter };
}

/** lambda * min(1, t / warmup) (the official linear_warmup; t is 1-based; warmup 0: no warm-up). */
export function linearWarmup(value: number, warmup: number, t: number): number {
  return warmup <= t ? value : (value * t) / warmup;
}

/** The official cosine lr factor max(0, cos(pi * numCycles * min(1, t / total))) at step t (0-based). */
export function cosineFactor(t: number, total: number, numCycles: number): number {
  return Math.max(0, Math.cos(Math.PI * numCycles * Math.min(1, Math.max(0, t / Math.max(1, total)))));
}

/**
 * The engine config of a run: base (a partial TrainConfig) with SGD Nesterov at the method's lr and momentum
 * (weight decay 0 at the optimizer: the groups carry it), and method = the resolved options.
 */
export function semisupTrainConfig(o: Partial<SemisupConfig> = {}, base: Record<string, unknown> = {}): TrainConfig<ResolvedSemisupConfig> {
  const r = validateSemisupConfig({ ...(isPlain(base['method']) ? base['method'] : {}), ...o });
  return withMethod(makeConfig(mergeConfig(base, { optim: { name: 'sgd', lr: r.lr, momentum: r.momentum, nesterov: true, weightDecay: 0 }, method: r })), r);
}

/** The official cosine schedule as an engine scheduler factory (TrainOptions.scheduler): a LambdaLR of cosineFactor. */
export function semisupScheduler(numCycles: number): (optimizer: Optimizer<ParamGroup>, length: RunLength) => LRScheduler {
  return (optimizer, length) => new LambdaLR(optimizer, (t) => cosineFactor(t, length.totalSteps, numCycles));
}

/** @module AnomalyFinetuneConfig: options of Gaussian-AD fine-tuning (config.method), defaults, one validator naming the field. */
import { ConfigError } from '../../core/errors.js';
import { resolveGaussianOptions, type CovarianceKind, type Projection } from './gaussian.js';
import { checkAugmentations, VALIDATION_AUGMENTATIONS, type ValidationAugmentation } from './augment.js';
import { COMBINES, type Combine } from './detector.js';

/** Options of createAnomalyFinetuneTask. [R] marks reconstructions (the fine-tuning paper has no code; see README). */
export interface AnomalyFinetuneConfig {
  /** Feature taps (null: every stage before 'pool'). */
  stages: string[] | null;
  /** Gaussian of the detector (validation, test scores): estimator, eps, projection, threshold. */
  covariance: CovarianceKind;
  eps: number;
  projection: Projection;
  varianceThreshold: number;
  /** Combination of stages: 'mean-distance' (default, the official code: mean of the non-squared distances) or 'sum' (of squared distances), 'normalized', 'max'. */
  combine: Combine;
  /**
   * Training objective: 'mahalanobis' = mean over the batch of the detector's combined score of normal images
   * (Mahalanobis distance to the Gaussian, the paper's; with the default `combine` mean_l d_l, with 'sum'
   * sum_l d_l^2); 'euclidean' = squared distance to the mean, summed over stages (the ablation "without the
   * induced Gaussian").
   */
  objective: 'mahalanobis' | 'euclidean';
  /** Refit the Gaussian every N epochs (1: each epoch, [R]). */
  refitEvery: number;
  /** BatchNorm: 'frozen' (eval mode, running stats fixed; [R] default) or 'train'. */
  bn: 'frozen' | 'train';
  /** Kinds of synthetic anomalies of the validation set (assigned round-robin) [R]. */
  augmentations: ValidationAugmentation[];
  /** Seed of the validation anomalies (fixed across epochs so AUROCs compare). */
  validationSeed: number;
  /** Segmentation (PaDiM): channels kept of the concatenated ones, a count, 'paper' (round(100/448 x D), the default) or 'all'. */
  padimChannels: number | 'paper' | 'all';
}

export const defaultAnomalyFinetuneConfig: AnomalyFinetuneConfig = {
  stages: null, covariance: 'ledoit-wolf', eps: 1e-3, projection: 'none', varianceThreshold: 0.99, combine: 'mean-distance',
  objective: 'mahalanobis', refitEvery: 1, bn: 'frozen', augmentations: [...VALIDATION_AUGMENTATIONS], validationSeed: 0,
  padimChannels: 'paper',
};

/** Fills defaults and checks every field (ConfigError naming 'method.<field>'). */
export function validateAnomalyFinetuneConfig(partial: unknown = {}): AnomalyFinetuneConfig {
  if (!partial || typeof partial !== 'object' || Array.isArray(partial)) throw new ConfigError(`anomaly config must be an object, got ${JSON.stringify(partial)}`);
  const given = partial as Record<string, unknown>;
  for (const k of Object.keys(given)) {
    if (!(k in defaultAnomalyFinetuneConfig)) throw new ConfigError(`unknown anomaly config field 'method.${k}' (known: ${Object.keys(defaultAnomalyFinetuneConfig).join(', ')})`);
  }
  const c = { ...defaultAnomalyFinetuneConfig, ...given } as AnomalyFinetuneConfig;
  const bad = (f: string, range: string): never => { throw new ConfigError(`anomaly config field 'method.${f}' must be ${range}, got ${JSON.stringify(new Map(Object.entries(c)).get(f))}`); };
  if (c.stages !== null && (!Array.isArray(c.stages) || c.stages.length === 0 || c.stages.some((s) => typeof s !== 'string' || !s))) bad('stages', 'a non-empty list of tap names or null');
  try { resolveGaussianOptions(c); } catch (e) { throw new ConfigError(`anomaly config: method.${(e as Error).message}`); }
  if (!COMBINES.includes(c.combine)) bad('combine', COMBINES.map((v) => `'${v}'`).join(', '));
  if (!['mahalanobis', 'euclidean'].includes(c.objective)) bad('objective', "'mahalanobis' or 'euclidean'");
  if (!Number.isSafeInteger(c.refitEvery) || c.refitEvery < 1) bad('refitEvery', 'an integer >= 1');
  if (!['frozen', 'train'].includes(c.bn)) bad('bn', "'frozen' or 'train'");
  c.augmentations = checkAugmentations(c.augmentations, "anomaly config field 'method.augmentations'");
  if (!Number.isSafeInteger(c.validationSeed)) bad('validationSeed', 'a safe integer');
  if (c.padimChannels !== 'paper' && c.padimChannels !== 'all' && !(Number.isSafeInteger(c.padimChannels) && c.padimChannels >= 1)) bad('padimChannels', "a positive integer, 'paper' or 'all'");
  return c;
}

/** @module AnomalyFinetuneConfig: options of Gaussian-AD fine-tuning (config.method), defaults, one validator naming the field. */
import { ConfigError } from '../../core/errors.js';
import { resolveGaussianOptions, type CovarianceKind, type Projection } from './gaussian.js';
import { checkAugmentations, VALIDATION_AUGMENTATIONS, type ValidationAugmentation } from './augment.js';
import type { Combine } from './detector.js';

/** Options of createAnomalyFinetuneTask. [R] marks reconstructions (the fine-tuning paper has no code; see README). */
export interface AnomalyFinetuneConfig {
  /** Feature taps (null: every stage before 'pool'). */
  stages: string[] | null;
  /** Gaussian of the detector (validation, test scores): estimator, eps, projection, threshold. */
  covariance: CovarianceKind;
  eps: number;
  projection: Projection;
  varianceThreshold: number;
  combine: Combine;
  /**
   * Training objective: 'mahalanobis' = mean over the batch of sum_l d_l^2 (squared Mahalanobis distance of normal
   * images to the Gaussian, the paper's); 'euclidean' = squared distance to the mean (the ablation "without the
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
}

export const defaultAnomalyFinetuneConfig: AnomalyFinetuneConfig = {
  stages: null, covariance: 'ledoit-wolf', eps: 1e-3, projection: 'none', varianceThreshold: 0.99, combine: 'sum',
  objective: 'mahalanobis', refitEvery: 1, bn: 'frozen', augmentations: [...VALIDATION_AUGMENTATIONS], validationSeed: 0,
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
  if (!['sum', 'normalized', 'max'].includes(c.combine)) bad('combine', "'sum', 'normalized' or 'max'");
  if (!['mahalanobis', 'euclidean'].includes(c.objective)) bad('objective', "'mahalanobis' or 'euclidean'");
  if (!Number.isSafeInteger(c.refitEvery) || c.refitEvery < 1) bad('refitEvery', 'an integer >= 1');
  if (!['frozen', 'train'].includes(c.bn)) bad('bn', "'frozen' or 'train'");
  c.augmentations = checkAugmentations(c.augmentations, "anomaly config field 'method.augmentations'");
  if (!Number.isSafeInteger(c.validationSeed)) bad('validationSeed', 'a safe integer');
  return c;
}

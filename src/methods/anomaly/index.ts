/**
 * @module Gaussian anomaly detection (Rippel et al. ICPR 2020): per-stage Gaussians of pre-trained features,
 * Mahalanobis scores, chi-square thresholds; its fine-tuning with the Mahalanobis objective and a
 * forgetting-aware validation (Rippel et al. 2021); PaDiM-style segmentation; AUROC, PRO and TPR@FPR; overlays.
 */
export {
  fitGaussian, ledoitWolf, ledoitWolfShrinkage, empiricalCovariance, principalComponents, resolveGaussianOptions, Gaussian,
  type CovarianceKind, type Projection, type GaussianOptions,
} from './gaussian.js';
export { GaussianAD, COMBINES, poolFeatures, type Combine, type GaussianADOptions, type Scores, type LoaderScores, type BatchSource } from './detector.js';
export { auroc, chi2Cdf, chi2Sf, chi2Ppf, chi2Threshold, empiricalThreshold, gammaP, gammaQ, lnGamma } from './stats.js';
export { aurocByType, rocCurve, rocAuc, trapezoid, tprAtFpr, labelComponents, proScore, type RocCurve, type ProResult } from './metrics.js';
export { makeAnomalous, checkAugmentations, VALIDATION_AUGMENTATIONS, type ValidationAugmentation } from './augment.js';
export { defaultAnomalyFinetuneConfig, validateAnomalyFinetuneConfig, type AnomalyFinetuneConfig } from './config.js';
export { AnomalyFinetuneTask, createAnomalyFinetuneTask, collect, type SyncSource, type AnomalyFinetuneData, type EpochRecord } from './finetune.js';
export { Padim, PADIM_PAPER_RATIO, padimChannels, defaultPadimLayers, gaussianBlur, type PadimOptions } from './segment.js';
export { writeOverlay, overlayPixels, jet, type OverlayInput } from './overlay.js';
export { imageMetrics, segmentationMetrics, compareBaselines, BASELINES, type ImageMetrics, type SegmentationMetrics } from './evaluate.js';
export { runAnomaly, anomalyConfig, ANOMALY_DEFAULTS, type AnomalyReport, type AnomalyRow } from './run.js';
export { ANOMALY_ARGS, type AnomalyOptions } from './defaults.js';

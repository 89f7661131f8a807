/** @module Gaussian anomaly detection (Rippel et al. ICPR 2020): per-stage Gaussians of pre-trained features, Mahalanobis scores, chi-square thresholds, AUROC. */
export {
  fitGaussian, ledoitWolf, ledoitWolfShrinkage, empiricalCovariance, principalComponents, resolveGaussianOptions, Gaussian,
  type CovarianceKind, type Projection, type GaussianOptions,
} from './gaussian.js';
export { GaussianAD, poolFeatures, type Combine, type GaussianADOptions, type Scores, type LoaderScores, type BatchSource } from './detector.js';
export { auroc, chi2Cdf, chi2Sf, chi2Ppf, chi2Threshold, empiricalThreshold, gammaP, gammaQ, lnGamma } from './stats.js';

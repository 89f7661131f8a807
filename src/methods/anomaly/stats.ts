/**
 * @module Statistics of Gaussian AD in plain float64 JS: log-gamma, the regularised incomplete gamma
 * functions P(a, x) and Q(a, x), the chi-square CDF and quantile, an empirical upper-quantile threshold
 * and a rank-based AUROC (Mann-Whitney U with average ranks for ties).
 */
import { ConfigError } from '../../core/errors.js';

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma: x must be > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = 0.99999999999980993;
  const t = z + 7.5;
  for (let i = 0; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Series of P(a, x), good for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let sum = 1 / a;
  let term = sum;
  for (let n = 1; n < 10000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

/** Continued fraction of Q(a, x) (modified Lentz), good for x >= a + 1. */
function gammaContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b; if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/** Regularised lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), a > 0, x >= 0. */
export function gammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`gammaP: need a > 0 and x >= 0, got a=${a}, x=${x}`);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x), computed without cancellation for large x. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`gammaQ: need a > 0 and x >= 0, got a=${a}, x=${x}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

function checkDof(k: number, where: string): void {
  if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`${where}: degrees of freedom must be > 0, got ${k}`);
}

/** Chi-square CDF with k degrees of freedom: P(k/2, x/2). */
export function chi2Cdf(x: number, k: number): number {
  checkDof(k, 'chi2Cdf');
  return x <= 0 ? 0 : gammaP(k / 2, x / 2);
}

/** Chi-square survival function 1 - CDF (accurate in the upper tail). */
export function chi2Sf(x: number, k: number): number {
  checkDof(k, 'chi2Sf');
  return x <= 0 ? 1 : gammaQ(k / 2, x / 2);
}

/** Chi-square quantile (inverse CDF) for p in [0, 1): bracketing, then bisection to float64 resolution. */
export function chi2Ppf(p: number, k: number): number {
  checkDof(k, 'chi2Ppf');
  if (!(p >= 0 && p < 1)) throw new RangeError(`chi2Ppf: p must lie in [0, 1), got ${p}`);
  if (p === 0) return 0;
  let lo = 0;
  let hi = Math.max(1, k);
  while (chi2Cdf(hi, k) < p) { lo = hi; hi *= 2; }
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (chi2Cdf(mid, k) < p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

function checkFpr(fpr: number, where: string): void {
  if (!(fpr > 0 && fpr < 1)) throw new ConfigError(`${where}: fpr must lie in (0, 1), got ${fpr}`);
}

/**
 * Threshold on squared Mahalanobis distances for a target false-positive rate under the Gaussian model:
 * d^2 ~ chi2(k), so t = chi2.ppf(1 - fpr, k) and P(d^2 > t) = fpr for normal data.
 */
export function chi2Threshold(fpr: number, k: number): number {
  checkFpr(fpr, 'chi2Threshold');
  return chi2Ppf(1 - fpr, k);
}

/**
 * Empirical threshold from scores of normal validation data: the sorted score s_(m) with m = ceil((1 - fpr) n)
 * (1-based), so at most a fraction fpr of the validation scores lies strictly above it.
 */
export function empiricalThreshold(scores: ArrayLike<number>, fpr: number): number {
  checkFpr(fpr, 'empiricalThreshold');
  if (scores.length === 0) throw new RangeError('empiricalThreshold: no scores');
  const s = Float64Array.from(scores).sort();
  const m = Math.max(1, Math.ceil((1 - fpr) * s.length - 1e-9));
  return s[m - 1]!;
}

/**
 * Area under the ROC curve of scores (higher = more anomalous) for binary labels (1/true = anomalous): the
 * Mann-Whitney statistic (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg) with average ranks for ties, which
 * equals the trapezoidal area of the ROC curve (a tied positive/negative pair counts 1/2).
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`auroc: ${n} scores but ${labels.length} labels`);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i]!)) throw new RangeError(`auroc: score ${i} is NaN`);
  idx.sort((a, b) => scores[a]! - scores[b]!);
  let rankPos = 0;
  let nPos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (Number(labels[idx[t]!]) === 1) { rankPos += avgRank; nPos++; }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new RangeError(`auroc: needs both classes, got ${nPos} positive and ${nNeg} negative`);
  return (rankPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

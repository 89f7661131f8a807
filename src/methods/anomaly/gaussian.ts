/**
 * @module Multivariate Gaussian of features [N, D] in float64: covariance estimators (Ledoit-Wolf shrinkage in
 * sklearn's closed form, empirical + eps I, diagonal (SED), identity (Euclidean)), an optional PCA / NPCA
 * projection, the precision through a Cholesky factor, and squared Mahalanobis distances of new features.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';

/** Covariance estimator: 'ledoit-wolf' (default), 'empirical' (+ eps I), 'diagonal' (SED, variances + eps), 'identity' (Euclidean). */
export type CovarianceKind = 'ledoit-wolf' | 'empirical' | 'diagonal' | 'identity';
/** Optional projection before the fit: 'pca' keeps high-variance, 'npca' low-variance principal components. */
export type Projection = 'none' | 'pca' | 'npca';

/** Options of fitGaussian. */
export interface GaussianOptions {
  /** Covariance estimator (default 'ledoit-wolf'). */
  covariance?: CovarianceKind;
  /** Added to the diagonal for 'empirical' and 'diagonal' (default 1e-3). */
  eps?: number;
  /** Projection onto principal components before fitting (default 'none'). */
  projection?: Projection;
  /** Cumulative explained-variance threshold of pca / npca (default 0.99). */
  varianceThreshold?: number;
}

/** Mean-centres x [N, D] (float64). */
function centred(x: Tensor): Tensor { return x.sub(x.mean(0, true)); }

/** Empirical (maximum-likelihood, 1/N) covariance of features [N, D] in float64, as sklearn's empirical_covariance. */
export function empiricalCovariance(x: Tensor): Tensor {
  return torch.tidy(() => {
    const xc = centred(x.to('float64'));
    return torch.mm(xc.t(), xc).div(x.size(0));
  });
}

/**
 * Ledoit-Wolf shrinkage intensity of features [N, D] (sklearn's ledoit_wolf_shrinkage, assume_centered=False):
 * with centred rows x_i, S = X^T X / n, mu = tr(S)/D, delta = ||S - mu I||_F^2 / D,
 * beta = (1/(D n)) (sum_ij [(X o X)^T (X o X)]_ij / n - ||S||_F^2)  (= (1/n^2) sum_i ||x_i x_i^T - S||_F^2 / D),
 * shrinkage = min(beta, delta) / delta (0 when beta is 0).
 */
export function ledoitWolfShrinkage(x: Tensor): number {
  if (x.ndim !== 2) throw new RangeError(`ledoitWolfShrinkage: features must be [N, D], got [${x.shape.join(', ')}]`);
  const [n, d] = x.shape as [number, number];
  if (n < 1) throw new RangeError('ledoitWolfShrinkage: no samples');
  return torch.tidy(() => {
    const xc = centred(x.to('float64'));
    const x2 = xc.square();
    const trace = (x2.sum().item() as number) / n; // tr(S)
    const mu = trace / d;
    const betaSum = torch.mm(x2.t(), x2).sum().item() as number;
    const deltaSum = (torch.mm(xc.t(), xc).square().sum().item() as number) / (n * n); // ||S||_F^2
    let beta = (betaSum / n - deltaSum) / (d * n);
    const delta = (deltaSum - 2 * mu * trace + d * mu * mu) / d;
    beta = Math.min(beta, delta);
    return beta === 0 ? 0 : beta / delta;
  });
}

/** Ledoit-Wolf covariance (1 - s) S + s mu I of features [N, D] (float64) and its shrinkage s. */
export function ledoitWolf(x: Tensor): { covariance: Tensor; shrinkage: number } {
  const shrinkage = ledoitWolfShrinkage(x);
  const covariance = torch.tidy(() => {
    const s = empiricalCovariance(x);
    const mu = (torch.trace(s).item() as number) / s.size(0);
    return s.mul(1 - shrinkage).add(torch.eye(s.size(0), null, { dtype: 'float64' }).mul(shrinkage * mu));
  });
  return { covariance, shrinkage };
}

/**
 * The kept principal components of centred features: eigenvalues l_1 >= ... >= l_D of the empirical
 * covariance, cumulative ratios c_k = (l_1 + ... + l_k) / sum l, and k* the first (1-based) k with c_k > t
 * (D if none). 'pca' keeps components 1..k*; 'npca' keeps components max(k* - 1, 1)..D, the low-variance
 * tail as in the official code (`components_[last_component - 1:]` with the 0-based argmax). Returns V [D, K].
 */
export function principalComponents(cov: Tensor, projection: 'pca' | 'npca', threshold: number): Tensor {
  return torch.tidy(() => {
    const [evals, evecs] = torch.eigh(cov); // ascending
    const l = Array.from(evals.data() as Float64Array).reverse().map((v) => Math.max(v, 0));
    const total = l.reduce((a, b) => a + b, 0);
    let kStar = l.length;
    let acc = 0;
    for (let k = 1; k <= l.length; k++) {
      acc += l[k - 1]!;
      if (total > 0 && acc / total > threshold) { kStar = k; break; }
    }
    const desc = torch.flip(evecs, [1]);
    return projection === 'pca' ? desc.narrow(1, 0, kStar).contiguous() : desc.narrow(1, Math.max(kStar - 1, 1) - 1, l.length - Math.max(kStar - 1, 1) + 1).contiguous();
  });
}

/** Validates GaussianOptions, naming the field; returns them with defaults filled in. */
export function resolveGaussianOptions(o: GaussianOptions = {}): Required<GaussianOptions> {
  const r: Required<GaussianOptions> = {
    covariance: o.covariance ?? 'ledoit-wolf', eps: o.eps ?? 1e-3, projection: o.projection ?? 'none',
    varianceThreshold: o.varianceThreshold ?? 0.99,
  };
  if (!['ledoit-wolf', 'empirical', 'diagonal', 'identity'].includes(r.covariance)) {
    throw new ConfigError(`covariance must be 'ledoit-wolf', 'empirical', 'diagonal' or 'identity', got ${JSON.stringify(r.covariance)}`);
  }
  if (!(r.eps >= 0) || !Number.isFinite(r.eps)) throw new ConfigError(`eps must be a finite number >= 0, got ${r.eps}`);
  if (!['none', 'pca', 'npca'].includes(r.projection)) throw new ConfigError(`projection must be 'none', 'pca' or 'npca', got ${JSON.stringify(r.projection)}`);
  if (!(r.varianceThreshold > 0 && r.varianceThreshold < 1)) {
    throw new ConfigError(`varianceThreshold must lie in (0, 1), got ${r.varianceThreshold}`);
  }
  return r;
}

/** Lower Cholesky factor of a symmetric PSD matrix; on failure retries with jitter 1e-10..1e-2 x mean diagonal added. */
function safeCholesky(cov: Tensor): { factor: Tensor; jitter: number } {
  try { return { factor: torch.cholesky(cov), jitter: 0 }; } catch { /* retry with jitter */ }
  const scale = Math.max((torch.tidy(() => torch.diagonal(cov).mean().item()) as number), 1e-12);
  for (let e = -10; e <= -2; e++) {
    const jitter = scale * 10 ** e;
    try {
      return { factor: torch.tidy(() => torch.cholesky(cov.add(torch.eye(cov.size(0), null, { dtype: 'float64' }).mul(jitter)))), jitter };
    } catch { /* more jitter */ }
  }
  throw new RangeError(`fitGaussian: covariance [${cov.shape.join(', ')}] is not positive definite even with jitter 1e-2 x mean diagonal`);
}

/** A fitted Gaussian: mean, optional projection, and the factor of the covariance; owns its tensors. */
export class Gaussian {
  /** Mean [D] (float64). */
  readonly mean: Tensor;
  /** Projection V [D, K] onto principal components, or null. */
  readonly projection: Tensor | null;
  /** Covariance in the (projected) space [K, K]; diagonal kinds store the variances [K]; identity stores null. */
  readonly covariance: Tensor | null;
  /** Lower Cholesky factor of `covariance` (full kinds), else null. */
  readonly factor: Tensor | null;
  /** Ledoit-Wolf shrinkage (NaN for other kinds). */
  readonly shrinkage: number;
  /** Jitter added to make the Cholesky succeed (0 normally). */
  readonly jitter: number;
  readonly kind: CovarianceKind;

  constructor(init: { mean: Tensor; projection: Tensor | null; covariance: Tensor | null; factor: Tensor | null; shrinkage: number; jitter: number; kind: CovarianceKind }) {
    this.mean = init.mean; this.projection = init.projection; this.covariance = init.covariance;
    this.factor = init.factor; this.shrinkage = init.shrinkage; this.jitter = init.jitter; this.kind = init.kind;
  }

  /** Input dimension D. */
  get inputDim(): number { return this.mean.size(0); }
  /** Degrees of freedom of the chi-square law of d^2 under the model: the (projected) dimension K. */
  get dof(): number { return this.projection ? this.projection.size(1) : this.inputDim; }

  /** Precision matrix [K, K] (inverse covariance via the Cholesky factor; diagonal/identity give diagonal matrices). */
  precision(): Tensor {
    return torch.tidy(() => {
      const k = this.dof;
      const eye = torch.eye(k, null, { dtype: 'float64' });
      if (this.kind === 'identity') return eye;
      if (this.kind === 'diagonal') return torch.diag(this.covariance!.reciprocal());
      const linv = torch.solveTriangular(this.factor!, eye, false);
      return torch.mm(linv.t(), linv);
    });
  }

  /** Squared Mahalanobis distances [N] (float64) of features [N, D]; differentiable in x. */
  mahalanobis(x: Tensor): Tensor {
    if (x.ndim !== 2 || x.size(1) !== this.inputDim) {
      throw new RangeError(`Gaussian.mahalanobis: features must be [N, ${this.inputDim}], got [${x.shape.join(', ')}]`);
    }
    return torch.tidy(() => {
      let diff = x.to('float64').sub(this.mean);
      if (this.projection) diff = torch.mm(diff, this.projection);
      if (this.kind === 'identity') return diff.square().sum(1);
      if (this.kind === 'diagonal') return diff.square().div(this.covariance!).sum(1);
      const z = torch.solveTriangular(this.factor!, diff.t(), false); // L z = diff^T
      return z.square().sum(0);
    });
  }

  dispose(): void { torch.dispose([this.mean, this.projection, this.covariance, this.factor]); }
}

/** Fits a Gaussian to features [N, D] (float64 math; the input is not modified or disposed). */
export function fitGaussian(x: Tensor, options: GaussianOptions = {}): Gaussian {
  const o = resolveGaussianOptions(options);
  if (x.ndim !== 2) throw new RangeError(`fitGaussian: features must be [N, D], got [${x.shape.join(', ')}]`);
  if (x.size(0) < 2) throw new RangeError(`fitGaussian: needs at least 2 samples, got ${x.size(0)}`);
  return torch.noGrad(() => torch.tidy(() => {
    const xd = x.detach().to('float64');
    const mean = xd.mean(0);
    let projection: Tensor | null = null;
    let z = xd;
    if (o.projection !== 'none') {
      projection = principalComponents(empiricalCovariance(xd), o.projection, o.varianceThreshold);
      z = torch.mm(xd.sub(mean), projection);
    }
    let covariance: Tensor | null = null;
    let factor: Tensor | null = null;
    let shrinkage = NaN;
    let jitter = 0;
    if (o.covariance === 'diagonal') {
      covariance = centred(z).square().mean(0).add(o.eps);
    } else if (o.covariance !== 'identity') {
      if (o.covariance === 'ledoit-wolf') ({ covariance, shrinkage } = ledoitWolf(z));
      else covariance = empiricalCovariance(z).add(torch.eye(z.size(1), null, { dtype: 'float64' }).mul(o.eps));
      ({ factor, jitter } = safeCholesky(covariance));
    }
    const g = new Gaussian({ mean, projection, covariance, factor, shrinkage, jitter, kind: o.covariance });
    return { g, tensors: [mean, projection, covariance, factor] };
  })).g;
}

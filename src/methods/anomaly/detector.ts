/**
 * @module GaussianAD (Rippel et al., ICPR 2020): a Gaussian per feature stage of a frozen pre-trained
 * FeatureModel (globally average-pooled taps), squared Mahalanobis distances per stage combined over stages
 * (default: the mean of the non-squared distances, as the official code's `maha.mean(dim=0)`), chi-square and
 * empirical thresholds for a target false-positive rate.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { FeatureExtractor, type FeatureModel } from '../../models/index.js';
import { fitGaussian, resolveGaussianOptions, type Gaussian, type GaussianOptions } from './gaussian.js';
import { chi2Cdf, chi2Threshold, empiricalThreshold } from './stats.js';

/**
 * How per-stage squared distances d_l^2 combine: 'mean-distance' (default, the official code) mean_l d_l (the
 * non-squared distances); 'sum' sum_l d_l^2 (the Gaussian log-likelihood over independent stages; ranks
 * differently); 'normalized' sum_l d_l^2 / D_l; 'max' max_l d_l^2 / D_l.
 */
export type Combine = 'mean-distance' | 'sum' | 'normalized' | 'max';
/** The accepted values of Combine. */
export const COMBINES: readonly Combine[] = ['mean-distance', 'sum', 'normalized', 'max'];

/** Options of GaussianAD (GaussianOptions apply to every stage). */
export interface GaussianADOptions extends GaussianOptions {
  /** Feature taps of the model (stage names or submodule paths); default: every stage tap before 'pool' (e.g. stem, layer1..4). */
  stages?: string[];
  /** Combination of stages (default 'mean-distance'). */
  combine?: Combine;
  /**
   * Feature extraction in graph mode where it is safe (default true; FeatureExtractor: fit and score run without
   * gradients in eval mode; a forward under gradients, as in fine-tuning, stays eager).
   */
  graph?: boolean;
}

/** Scores of a batch: squared distances per stage and their combination, [N] float64 each. */
export interface Scores { stages: Map<string, Tensor>; combined: Tensor }
/** Scores of a whole loader as plain arrays (labels from the batches' y, 1 = anomalous in one-class sets). */
export interface LoaderScores { combined: Float64Array; stages: Record<string, Float64Array>; labels: Int32Array }

/** Anything iterable in batches with an image tensor x (a DataLoader, or an array of batches). */
export type BatchSource = AsyncIterable<{ x: Tensor; y?: Tensor }> | Iterable<{ x: Tensor; y?: Tensor }>;

/** Global average pooling of a tap: [N, C, H, W] -> mean over H, W; [N, T, C] -> mean over T; [N, D] unchanged. */
export function poolFeatures(t: Tensor): Tensor {
  if (t.ndim === 4) return t.mean([2, 3]);
  if (t.ndim === 3) return t.mean(1);
  if (t.ndim === 2) return t;
  throw new RangeError(`poolFeatures: expected a [N, C, H, W], [N, T, C] or [N, D] tap, got [${t.shape.join(', ')}]`);
}

/** Gaussian anomaly detection over a FeatureModel; owns its fitted Gaussians (dispose() frees them). */
export class GaussianAD {
  readonly model: FeatureModel;
  readonly stages: string[];
  readonly combine: Combine;
  readonly gaussianOptions: Required<GaussianOptions>;
  #fits = new Map<string, Gaussian>();
  #extractor: FeatureExtractor | null = null;
  readonly #graph: boolean;

  constructor(model: FeatureModel, options: GaussianADOptions = {}) {
    this.model = model;
    this.gaussianOptions = resolveGaussianOptions(options);
    const taps = model.tapNames;
    const pool = taps.indexOf('pool');
    this.stages = options.stages ?? taps.slice(0, pool < 0 ? taps.length - 1 : pool);
    if (!Array.isArray(this.stages) || this.stages.length === 0 || this.stages.some((s) => typeof s !== 'string')) {
      throw new ConfigError(`stages must be a non-empty array of tap names, got ${JSON.stringify(options.stages)}`);
    }
    if (this.stages.includes('logits')) throw new ConfigError("stages: 'logits' is the head's output, not a feature stage");
    this.combine = options.combine ?? 'mean-distance';
    if (!COMBINES.includes(this.combine)) {
      throw new ConfigError(`combine must be ${COMBINES.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(options.combine)}`);
    }
    if (options.graph !== undefined && typeof options.graph !== 'boolean') throw new ConfigError(`graph must be a boolean, got ${JSON.stringify(options.graph)}`);
    this.#graph = options.graph ?? true;
  }

  /** The stages' taps (graph mode when it is safe; made on first use, freed by dispose()). */
  get extractor(): FeatureExtractor {
    this.#extractor ??= new FeatureExtractor(this.model, this.stages, { graph: this.#graph });
    return this.#extractor;
  }

  /** True once fit() has run. */
  get fitted(): boolean { return this.#fits.size === this.stages.length; }
  /** The fitted Gaussian of a stage. */
  gaussian(stage: string): Gaussian {
    const g = this.#fits.get(stage);
    if (!g) throw new RangeError(`GaussianAD: stage '${stage}' is not fitted (stages: ${this.stages.join(', ')}; call fit first)`);
    return g;
  }

  /** Pooled features per stage of images x [N, C, H, W] (one forward pass; grads follow the caller's mode). */
  features(x: Tensor): Map<string, Tensor> {
    return torch.tidy(() => {
      const taps = this.extractor.run(x);
      return new Map(this.stages.map((s) => [s, poolFeatures(taps.get(s)!).flatten(1)]));
    });
  }

  /** Runs fn with the model in eval mode and no gradients, restoring its mode afterwards. */
  #frozen<R>(fn: () => R): R {
    const was = this.model.training;
    this.model.eval();
    try { return torch.noGrad(fn); } finally { if (was) this.model.train(true); }
  }

  /** Fits one Gaussian per stage to the pooled features of every batch of normal images (model in eval mode, no grad). */
  async fit(source: BatchSource): Promise<this> {
    const parts = new Map<string, Tensor[]>(this.stages.map((s) => [s, []]));
    try {
      for await (const b of source as AsyncIterable<{ x: Tensor }>) {
        const f = this.#frozen(() => torch.tidy(() => new Map([...this.features(b.x)].map(([k, v]) => [k, v.to('float64')]))));
        for (const [k, v] of f) parts.get(k)!.push(v);
        if (isLoaderBatch(b)) torch.dispose(b);
      }
      if (parts.get(this.stages[0]!)!.length === 0) throw new RangeError('GaussianAD.fit: the source yielded no batches');
      const feats = torch.tidy(() => new Map([...parts].map(([k, v]) => [k, torch.cat(v, 0)])));
      try { this.fitFeatures(feats); } finally { torch.dispose([...feats.values()]); }
    } finally {
      for (const v of parts.values()) torch.dispose(v);
    }
    return this;
  }

  /** Fits from precomputed pooled features per stage ([N, D_l] each); replaces earlier fits. */
  fitFeatures(features: Map<string, Tensor>): this {
    const fits = new Map<string, Gaussian>();
    try {
      for (const s of this.stages) {
        const f = features.get(s);
        if (!f) throw new RangeError(`GaussianAD.fitFeatures: no features for stage '${s}'`);
        fits.set(s, fitGaussian(f, this.gaussianOptions));
      }
    } catch (e) {
      for (const g of fits.values()) g.dispose();
      throw e;
    }
    this.disposeFits();
    for (const [s, g] of fits) { keepGaussian(g); this.#fits.set(s, g); }
    return this;
  }

  /** Scores of pooled features per stage: squared distances per stage and the combination ([N] float64). */
  scoreFeatures(features: Map<string, Tensor>): Scores {
    return torch.tidy(() => {
      const stages = new Map(this.stages.map((s) => {
        const f = features.get(s);
        if (!f) throw new RangeError(`GaussianAD.scoreFeatures: no features for stage '${s}'`);
        return [s, this.gaussian(s).mahalanobis(f)] as [string, Tensor];
      }));
      return { stages, combined: this.combineScores(stages) };
    });
  }

  /**
   * Combines per-stage squared distances according to `combine`. 'mean-distance' takes the square root of each
   * (clamped at 1e-24 so that the gradient stays finite at the mean) and averages over stages.
   */
  combineScores(stages: Map<string, Tensor>): Tensor {
    return torch.tidy(() => {
      const list = this.stages.map((s) => {
        const d = stages.get(s)!;
        if (this.combine === 'mean-distance') return d.clamp(1e-24, null).sqrt();
        return this.combine === 'sum' ? d : d.div(this.gaussian(s).dof);
      });
      const stacked = torch.stack(list, 0);
      if (this.combine === 'mean-distance') return stacked.mean(0);
      return this.combine === 'max' ? stacked.amax(0) : stacked.sum(0);
    });
  }

  /** Scores images x [N, C, H, W] (model in eval mode, no grad). */
  score(x: Tensor): Scores {
    return this.#frozen(() => torch.tidy(() => this.scoreFeatures(this.features(x))));
  }

  /** Scores every batch of a source; labels are the batches' y (or -1 without y). */
  async scoreAll(source: BatchSource): Promise<LoaderScores> {
    const combined: number[] = [];
    const labels: number[] = [];
    const stages: Record<string, number[]> = Object.fromEntries(this.stages.map((s) => [s, []]));
    for await (const b of source as AsyncIterable<{ x: Tensor; y?: Tensor }>) {
      torch.tidy(() => {
        const r = this.score(b.x);
        combined.push(...(r.combined.data() as Float64Array));
        for (const [s, t] of r.stages) stages[s]!.push(...(t.data() as Float64Array));
        if (b.y) labels.push(...Array.from(b.y.data() as ArrayLike<number | bigint>, Number));
        else labels.push(...new Array<number>(b.x.size(0)).fill(-1));
      });
      if (isLoaderBatch(b)) torch.dispose(b);
    }
    return {
      combined: Float64Array.from(combined), labels: Int32Array.from(labels),
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Float64Array.from(v)])),
    };
  }

  /**
   * Threshold on a squared distance for a target false-positive rate under the Gaussian model. Per stage:
   * chi2.ppf(1 - fpr, D_l). Combined 'sum': chi2.ppf(1 - fpr, sum_l D_l), assuming independent stages.
   * Combined 'max': t with prod_l F_{D_l}(t D_l) = 1 - fpr (independence), by bisection. 'normalized' (a
   * weighted chi-square sum) and 'mean-distance' (a mean of chi variables) have no closed form: use
   * empiricalThreshold.
   */
  chiSquareThreshold(fpr: number, stage?: string): number {
    if (stage !== undefined) return chi2Threshold(fpr, this.gaussian(stage).dof);
    const dofs = this.stages.map((s) => this.gaussian(s).dof);
    if (this.combine === 'sum') return chi2Threshold(fpr, dofs.reduce((a, b) => a + b, 0));
    if (this.combine === 'normalized' || this.combine === 'mean-distance') {
      throw new ConfigError(`chiSquareThreshold: combine '${this.combine}' has no chi-square threshold; use empiricalThreshold(validationScores, fpr) or a per-stage threshold`);
    }
    chi2Threshold(fpr, 1); // validates fpr
    const cdf = (t: number) => dofs.reduce((p, k) => p * chi2Cdf(t * k, k), 1);
    let lo = 0;
    let hi = 1;
    while (cdf(hi) < 1 - fpr) { lo = hi; hi *= 2; }
    for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
      const mid = 0.5 * (lo + hi);
      if (cdf(mid) < 1 - fpr) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
  }

  /** Threshold from scores of normal validation data so that at most a fraction fpr lies above it. */
  empiricalThreshold(validationScores: ArrayLike<number>, fpr: number): number {
    return empiricalThreshold(validationScores, fpr);
  }

  /** Frees the fitted Gaussians (the model is not disposed). */
  disposeFits(): void {
    for (const g of this.#fits.values()) g.dispose();
    this.#fits.clear();
  }
  /** Frees the fitted Gaussians and the feature graphs (the model is not disposed). */
  dispose(): void {
    this.disposeFits();
    this.#extractor?.dispose();
    this.#extractor = null;
  }
}

/** Takes a Gaussian's tensors out of every tidy scope (the detector owns them). */
function keepGaussian(g: Gaussian): void {
  for (const t of [g.mean, g.projection, g.covariance, g.factor]) if (t) torch.keep(t);
}

/** True for a DataLoader Batch (which the consumer owns and must dispose). */
function isLoaderBatch(b: object): boolean { return 'indices' in b && 'epoch' in b; }

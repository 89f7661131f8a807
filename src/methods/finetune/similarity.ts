/**
 * @module Domain similarity by the earth mover's distance (Cui et al., CVPR 2018, "Large Scale Fine-Grained
 * Categorization and Domain-Specific Transfer Learning"; recipe of richardaecn/cvpr18-inaturalist-transfer,
 * DomainSimilarityDemo.ipynb): pooled features of a FIXED backbone, one mean per class, class weights =
 * counts normalised to 1 within each domain, Euclidean ground distance between class means, exact EMD,
 * similarity = exp(-gamma * EMD). gamma = 0.01 is Cui et al.'s value, tuned for 2048-d JFT ResNet-101
 * features. The default here is gamma 'auto' = 1 / (mean distance between the source's class means): EMD in
 * units of the backbone's own between-class scale, so the similarity does not depend on the feature scale.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { FeatureExtractor, type FeatureExtractorOptions, type FeatureModel } from '../../models/index.js';
import { emd, euclideanDistances } from './emd.js';

/** A synchronous labelled batch source (a DataLoader satisfies it; use one without augmentation). */
export interface LabelledSource {
  /** Batches per pass. */
  readonly numBatches: number;
  /** Batch i of pass `epoch`; the caller owns (and disposes) every tensor in it. */
  batchAt(epoch: number, i: number): { x: Tensor; y: Tensor };
}

/** Per-class feature means and counts of one domain. */
export interface ClassStats {
  /** Mean pooled feature of each kept class [k][d]. */
  means: number[][];
  /** Examples of each kept class. */
  counts: number[];
  /** Label of each kept class. */
  classes: number[];
  /** Labels dropped for having fewer than minCount examples. */
  dropped: number[];
}

/** gamma of exp(-gamma * EMD): a number, or 'auto' = 1 / (mean pairwise distance between the source's class means). */
export type Gamma = number | 'auto';

/** Options of domainSimilarity. */
export interface SimilarityOptions {
  /** Similarity = exp(-gamma * EMD); default 'auto' (see Gamma); Cui et al. use 0.01 with 2048-d JFT features. */
  gamma?: Gamma;
  /** Feature tap (default 'pool', the penultimate features; a conv stage's map is averaged over space). */
  tap?: string;
  /** Drop source classes with fewer examples (Cui et al.: 200 images); default 0 [R]. */
  sourceMinCount?: number;
  /** Drop target classes with fewer examples; default 0. */
  targetMinCount?: number;
}

/** The similarity and everything needed to report it. */
export interface SimilarityResult {
  emd: number;
  similarity: number;
  /** The gamma used (resolved when 'auto'). */
  gamma: number;
  gammaRule: 'auto' | 'fixed';
  /** Mean pairwise Euclidean distance between the source's class means (1 / gamma under 'auto'). */
  sourceSpread: number;
  /** Feature dimension the distances were measured in. */
  featureDim: number;
  source: ClassStats;
  target: ClassStats;
}

/**
 * Pooled features [N, featureDim] (float32) and int64 labels [N] of every batch, computed in eval mode without
 * gradients (training flags restored), in graph mode by default (FeatureExtractor; `opts.graph` false: eager).
 * `tap` (default 'pool') picks another feature tap; a [N, C, H, W] map is averaged over space.
 */
export function pooledFeatures(model: FeatureModel, data: LabelledSource, tap = 'pool', opts: FeatureExtractorOptions = {}): { features: Tensor; labels: Tensor } {
  if (!(Number.isInteger(data.numBatches) && data.numBatches >= 1)) throw new ConfigError(`pooledFeatures: the data source has ${data.numBatches} batches; it needs at least 1`);
  const modes = model.modules().map((m) => m.training);
  model.eval();
  using extractor = new FeatureExtractor(model, [tap], opts);
  try {
    return torch.noGrad(() => {
      // one scope per batch, so that only the features outlive it (not every batch's activations)
      const fs: Tensor[] = [];
      const ys: Tensor[] = [];
      try {
        for (let i = 0; i < data.numBatches; i++) {
          const batch = data.batchAt(0, i);
          try {
            const r = torch.tidy(() => {
              const f = extractor.run(batch.x).get(tap)!;
              return { f: (f.dim() > 2 ? f.flatten(2).mean(2) : f).to('float32'), y: batch.y.to('int64') };
            });
            fs.push(r.f);
            ys.push(r.y);
          } finally {
            torch.dispose(batch);
          }
        }
        return torch.tidy(() => ({ features: torch.cat(fs, 0), labels: torch.cat(ys, 0) }));
      } finally {
        torch.dispose(fs, ys);
      }
    });
  } finally {
    model.modules().forEach((m, i) => { m.training = modes[i]!; });
  }
}

/** Per-class means of the pooled features (or those of `tap`) of a fixed backbone; classes with fewer than minCount examples are dropped. */
export function classStats(model: FeatureModel, data: LabelledSource, minCount = 0, tap = 'pool'): ClassStats {
  if (!Number.isInteger(minCount) || minCount < 0) throw new ConfigError(`classStats: minCount must be an integer >= 0, got ${minCount}`);
  const { features, labels } = pooledFeatures(model, data, tap);
  try {
    const f = torch.tidy(() => features.to('float64').contiguous().data() as Float64Array);
    const d = features.size(1);
    const yv = Array.from(labels.data() as BigInt64Array, Number);
    const sums = new Map<number, Float64Array>();
    const counts = new Map<number, number>();
    yv.forEach((y, r) => {
      let s = sums.get(y);
      if (!s) sums.set(y, (s = new Float64Array(d)));
      for (let k = 0; k < d; k++) s[k]! += f[r * d + k]!;
      counts.set(y, (counts.get(y) ?? 0) + 1);
    });
    return statsFromSums(sums, counts, minCount);
  } finally {
    torch.dispose(features, labels);
  }
}

function statsFromSums(sums: Map<number, Float64Array>, counts: Map<number, number>, minCount: number): ClassStats {
  const labels = [...counts.keys()].sort((x, y) => x - y);
  const kept = labels.filter((c) => counts.get(c)! >= minCount);
  return {
    classes: kept, counts: kept.map((c) => counts.get(c)!),
    means: kept.map((c) => Array.from(sums.get(c)!, (v) => v / counts.get(c)!)),
    dropped: labels.filter((c) => counts.get(c)! < minCount),
  };
}

/** Mean pairwise Euclidean distance between class means (NaN with fewer than two classes). */
export function classSpread(s: ClassStats): number {
  const D = euclideanDistances(s.means, s.means);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < D.length; i++) for (let j = i + 1; j < D.length; j++) { sum += D[i]![j]!; n++; }
  return n ? sum / n : NaN;
}

/** gamma 'auto' for a source: 1 / classSpread(source); ConfigError when it has fewer than two distinct class means. */
export function autoGamma(source: ClassStats): number {
  const s = classSpread(source);
  if (!(s > 0)) throw new ConfigError(`similarity: gamma 'auto' needs at least two distinct source class means (got ${source.means.length} class(es)); give a number`);
  return 1 / s;
}

/** EMD and exp(-gamma * EMD) between two domains' class statistics (weights = counts normalised to 1). */
export function similarityFromStats(source: ClassStats, target: ClassStats, gamma: Gamma = 'auto'): SimilarityResult {
  if (gamma !== 'auto' && !(Number.isFinite(gamma) && gamma > 0)) throw new ConfigError(`similarity: gamma must be 'auto' or a finite number > 0, got ${gamma}`);
  for (const [name, s] of [['source', source], ['target', target]] as const) {
    if (!s.means.length) throw new ConfigError(`similarity: the ${name} domain has no class left (min count too high? dropped: ${s.dropped.join(', ')})`);
  }
  const norm = (c: number[]): number[] => { const t = c.reduce((a, b) => a + b, 0); return c.map((v) => v / t); };
  const D = euclideanDistances(source.means, target.means);
  const d = emd(norm(source.counts), norm(target.counts), D).distance;
  const g = gamma === 'auto' ? autoGamma(source) : gamma;
  return {
    emd: d, similarity: Math.exp(-g * d), gamma: g, gammaRule: gamma === 'auto' ? 'auto' : 'fixed', sourceSpread: classSpread(source),
    featureDim: source.means[0]!.length, source, target,
  };
}

/** Domain similarity of source and target data under a fixed backbone's pooled features (Cui et al. 2018). */
export function domainSimilarity(model: FeatureModel, source: LabelledSource, target: LabelledSource, o: SimilarityOptions = {}): SimilarityResult {
  // undefined options take classStats' and similarityFromStats' own defaults (min count 0, gamma 'auto')
  const s = classStats(model, source, o.sourceMinCount, o.tap);
  const t = classStats(model, target, o.targetMinCount, o.tap);
  return similarityFromStats(s, t, o.gamma);
}

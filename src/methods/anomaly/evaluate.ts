/** @module Evaluation helpers: image-level metrics of a fitted GaussianAD, and pixel-level metrics of a fitted Padim on a test set with masks. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { GaussianAD, type BatchSource, type GaussianADOptions } from './detector.js';
import type { Padim } from './segment.js';
import { aurocByType, proScore, rocAuc, tprAtFpr } from './metrics.js';

/**
 * Image-level results: AUROC of the combined score, per stage, and the TPR at 5 % FPR; with the test images'
 * types ('good' or the anomaly's kind), `byType` holds the AUROC of the normal images against each kind alone.
 */
export interface ImageMetrics { auroc: number; tprAt5: number; stages: Record<string, number>; byType?: Record<string, number> }

/** Scores a labelled source (y 1 = anomalous) with a fitted detector; `types` (in the source's order) adds byType. */
export async function imageMetrics(ad: GaussianAD, test: BatchSource, types?: readonly string[]): Promise<ImageMetrics> {
  const r = await ad.scoreAll(test);
  const m = metricsOf(r.combined, r.stages, r.labels);
  if (types) {
    types.forEach((t, i) => {
      if ((t === 'good') !== (r.labels[i] === 0)) throw new RangeError(`imageMetrics: test image ${i} has type '${t}' but label ${r.labels[i]} (types must follow the source's order)`);
    });
    m.byType = aurocByType(r.combined, types);
  }
  return m;
}

/** Metrics of scores (combined and per stage) against labels. */
function metricsOf(combined: ArrayLike<number>, stages: Record<string, ArrayLike<number>>, labels: ArrayLike<number>): ImageMetrics {
  return {
    auroc: rocAuc(combined, labels), tprAt5: tprAtFpr(combined, labels, 0.05).tpr,
    stages: Object.fromEntries(Object.entries(stages).map(([s, v]) => [s, rocAuc(v, labels)])),
  };
}

/**
 * The variants of the ICPR paper's Table 1 and the spec's ablations: Ledoit-Wolf, the same with the squared sum
 * over stages instead of the mean distance, empirical + eps I, NPCA, PCA, SED, L2 (stages combined by `combine`'s default).
 */
export const BASELINES: Record<string, GaussianADOptions> = {
  'ledoit-wolf': {}, 'ledoit-wolf-sum': { combine: 'sum' }, empirical: { covariance: 'empirical' }, 'npca-0.99': { projection: 'npca', varianceThreshold: 0.99 },
  'npca-0.95': { projection: 'npca', varianceThreshold: 0.95 }, 'pca-0.99': { projection: 'pca', varianceThreshold: 0.99 },
  sed: { covariance: 'diagonal' }, l2: { covariance: 'identity' },
};

/** Pooled features per stage of every batch of a source (eval mode, no grad), and its labels. */
async function pooled(ad: GaussianAD, src: BatchSource): Promise<{ feats: Map<string, Tensor>; labels: number[] }> {
  const parts = new Map<string, Tensor[]>(ad.stages.map((s) => [s, []]));
  const labels: number[] = [];
  const was = ad.model.training;
  ad.model.eval();
  try {
    for await (const b of src as AsyncIterable<{ x: Tensor; y?: Tensor }>) {
      torch.noGrad(() => { for (const [k, v] of ad.features(b.x)) parts.get(k)!.push(v); });
      if (b.y) labels.push(...Array.from(b.y.data() as ArrayLike<number | bigint>, Number));
      torch.dispose(b);
    }
  } finally { if (was) ad.model.train(true); }
  const feats = torch.tidy(() => new Map([...parts].map(([k, v]) => [k, torch.cat(v, 0)])));
  torch.dispose([...parts.values()]);
  return { feats, labels };
}

/** Every BASELINES variant fitted on the same pooled features of `train` and scored on `test` (one feature pass each). */
export async function compareBaselines(model: GaussianAD['model'], train: BatchSource, test: BatchSource, stages?: string[]): Promise<Record<string, ImageMetrics>> {
  const probe = new GaussianAD(model, stages ? { stages } : {});
  const tr = await pooled(probe, train);
  const te = await pooled(probe, test);
  try {
    const out: Record<string, ImageMetrics> = {};
    for (const [name, o] of Object.entries(BASELINES)) {
      const ad = new GaussianAD(model, { ...o, stages: probe.stages });
      try {
        ad.fitFeatures(tr.feats);
        torch.tidy(() => {
          const r = ad.scoreFeatures(te.feats);
          const st = Object.fromEntries([...r.stages].map(([k, v]) => [k, v.data() as Float64Array]));
          out[name] = metricsOf(r.combined.data() as Float64Array, st, te.labels);
        });
      } finally { ad.dispose(); }
    }
    return out;
  } finally { torch.dispose([...tr.feats.values(), ...te.feats.values()]); }
}

/** Pixel-level results of segmentation, and the image AUROC of the maps' maxima. */
export interface SegmentationMetrics { pixelAuroc: number; pro: number; imageAuroc: number; maps: Float32Array[] }

/**
 * Score maps of images x [N, C, H, W] with masks [N, 1, H, W] (0/1) and image labels; pixel AUROC over every
 * pixel of every image, PRO up to FPR `proLimit` (default 0.3), image AUROC of each map's maximum.
 */
export function segmentationMetrics(padim: Padim, x: Tensor, masks: Tensor, labels: ArrayLike<number>, proLimit = 0.3): SegmentationMetrics {
  const [n, , h, w] = x.shape as [number, number, number, number];
  const maps: Float32Array[] = [];
  for (let i = 0; i < n; i += 128) {
    torch.tidy(() => {
      const m = padim.scoreMaps(x.narrow(0, i, Math.min(128, n - i))).data() as Float32Array;
      for (let k = 0; k * h * w < m.length; k++) maps.push(m.slice(k * h * w, (k + 1) * h * w));
    });
  }
  const mk = torch.tidy(() => masks.to('uint8').contiguous().data() as Uint8Array);
  const maskList = maps.map((_, i) => mk.subarray(i * h * w, (i + 1) * h * w));
  const allScores = new Float64Array(n * h * w);
  maps.forEach((m, i) => allScores.set(m, i * h * w));
  return {
    pixelAuroc: rocAuc(allScores, mk), pro: proScore(maps, maskList, h, w, proLimit).pro,
    imageAuroc: rocAuc(maps.map((m) => m.reduce((a, b) => Math.max(a, b), -Infinity)), labels), maps,
  };
}

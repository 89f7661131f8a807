/** @module Evaluation helpers: image-level metrics of a fitted GaussianAD, and pixel-level metrics of a fitted Padim on a test set with masks. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import type { BatchSource, GaussianAD } from './detector.js';
import type { Padim } from './segment.js';
import { proScore, rocAuc, tprAtFpr } from './metrics.js';

/** Image-level results: AUROC of the combined score, per stage, and the TPR at 5 % FPR. */
export interface ImageMetrics { auroc: number; tprAt5: number; stages: Record<string, number> }

/** Scores a labelled source (y 1 = anomalous) with a fitted detector. */
export async function imageMetrics(ad: GaussianAD, test: BatchSource): Promise<ImageMetrics> {
  const r = await ad.scoreAll(test);
  return {
    auroc: rocAuc(r.combined, r.labels), tprAt5: tprAtFpr(r.combined, r.labels, 0.05).tpr,
    stages: Object.fromEntries(Object.entries(r.stages).map(([s, v]) => [s, rocAuc(v, r.labels)])),
  };
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

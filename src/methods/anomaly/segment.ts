/**
 * @module Anomaly segmentation with one Gaussian per feature-map location (PaDiM, Defard et al. 2021; the
 * segmentation route (i) of spec 2(b)) [R]: the taps `layers` of a FeatureModel are resized (nearest) to the
 * first layer's resolution and concatenated into an embedding per location, of which a seeded random subset of
 * d channels is kept (PaDiM's random dimensionality reduction; default d = round(100/448 x D), the paper's
 * ResNet-18 ratio; 'all' keeps every channel); each location gets a mean and
 * an unbiased covariance + eps I (PaDiM: eps 0.01), accumulated over batches as sums; the score of a location is
 * the Mahalanobis distance (not squared, as PaDiM), upsampled bilinearly to the image size and smoothed by a
 * Gaussian of std `sigma` pixels (reflect padding); the image score is the map's maximum.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { interpolate, pad } from '../../core/nn/functional.js';
import { Rng } from '../../core/rng.js';
import { FeatureExtractor, type FeatureModel } from '../../models/index.js';

/** PaDiM's random channel subset for ResNet-18: 100 of the 448 concatenated channels of layer1..3 (paper, Sec. 4.1; official code t_d = 448, d = 100). */
export const PADIM_PAPER_RATIO = 100 / 448;

/** Options of Padim. */
export interface PadimOptions {
  /** Taps to embed (default: the stages after 'stem' up to but excluding the deepest one, e.g. layer1, layer2 of cifar_resnet20). */
  layers?: string[];
  /** Added to each location's covariance diagonal (default 0.01, PaDiM's). */
  eps?: number;
  /** Std of the Gaussian smoothing of score maps, in image pixels (default 1; 0 = none). */
  sigma?: number;
  /**
   * Channels kept of the D concatenated ones, drawn at random without replacement (PaDiM): a count d in 1..D,
   * 'paper' (default: round(PADIM_PAPER_RATIO x D), at least 1) or 'all' (no subset).
   */
  channels?: number | 'paper' | 'all';
  /** Seed of the channel draw (default 0); the same seed and D give the same subset. */
  channelSeed?: number;
  /** Embeddings in graph mode (default true; FeatureExtractor; equal to the eager forward within float rounding). */
  graph?: boolean;
}

/** The kept channels (ascending) of D concatenated channels: the first d of a seeded permutation, sorted; every channel for 'all'. */
export function padimChannels(total: number, channels: number | 'paper' | 'all' = 'paper', seed = 0): number[] {
  if (!Number.isSafeInteger(total) || total < 1) throw new RangeError(`padimChannels: total must be a positive integer, got ${total}`);
  if (channels === 'all') return Array.from({ length: total }, (_, i) => i);
  const d = channels === 'paper' ? Math.max(1, Math.round(PADIM_PAPER_RATIO * total)) : channels;
  if (!Number.isSafeInteger(d) || d < 1 || d > total) throw new ConfigError(`padim channels must be an integer in 1..${total} (the concatenated channels), 'paper' or 'all', got ${JSON.stringify(channels)}`);
  return Rng.derive(seed, 'padim-channels', total).permutation(total).slice(0, d).sort((a, b) => a - b);
}

/** Default layers of a model: stage taps other than stem/pool/logits, without the deepest (all if only one). */
export function defaultPadimLayers(model: FeatureModel): string[] {
  const s = model.tapNames.filter((t) => !['stem', 'pool', 'logits'].includes(t));
  return s.length > 1 ? s.slice(0, -1) : s;
}

/** A 1-D Gaussian kernel of std sigma, radius ceil(3 sigma), normalised to sum 1. */
function gaussianKernel(sigma: number): number[] {
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / s);
}

/** Separable Gaussian blur of maps [N, 1, H, W] with reflect padding. */
export function gaussianBlur(x: Tensor, sigma: number): Tensor {
  if (sigma <= 0) return x.clone();
  return torch.tidy(() => {
    const k = gaussianKernel(sigma);
    const r = (k.length - 1) / 2;
    const kt = torch.tensor(k, { dtype: x.dtype });
    const rows = torch.conv2d(pad(x, [r, r, 0, 0], { mode: 'reflect' }), kt.reshape([1, 1, 1, k.length]));
    return torch.conv2d(pad(rows, [0, 0, r, r], { mode: 'reflect' }), kt.reshape([1, 1, k.length, 1]));
  });
}

/** Per-location Gaussian segmentation; owns its statistics (dispose()). */
export class Padim {
  readonly layers: string[];
  readonly eps: number;
  readonly sigma: number;
  readonly channels: number | 'paper' | 'all';
  readonly channelSeed: number;
  #index: number[] | null = null; // kept channels, fixed at the first embedding
  #sum: Tensor | null = null; // [L, D]
  #outer: Tensor | null = null; // [L, D, D]
  #n = 0;
  #mean: Tensor | null = null;
  #precision: Tensor | null = null; // [L, D, D]
  #grid: [number, number] = [0, 0];
  #extractor: FeatureExtractor | null = null;
  readonly #graph: boolean;

  constructor(readonly model: FeatureModel, o: PadimOptions = {}) {
    this.layers = o.layers ?? defaultPadimLayers(model);
    if (!Array.isArray(this.layers) || this.layers.length === 0) throw new ConfigError(`padim layers must be a non-empty list of tap names, got ${JSON.stringify(o.layers)}`);
    this.eps = o.eps ?? 0.01;
    this.sigma = o.sigma ?? 1;
    if (!(this.eps >= 0) || !Number.isFinite(this.eps)) throw new ConfigError(`padim eps must be a finite number >= 0, got ${o.eps}`);
    if (!(this.sigma >= 0) || !Number.isFinite(this.sigma)) throw new ConfigError(`padim sigma must be a finite number >= 0, got ${o.sigma}`);
    this.channels = o.channels ?? 'paper';
    this.channelSeed = o.channelSeed ?? 0;
    if (this.channels !== 'paper' && this.channels !== 'all' && !(Number.isSafeInteger(this.channels) && this.channels >= 1)) {
      throw new ConfigError(`padim channels must be a positive integer, 'paper' or 'all', got ${JSON.stringify(o.channels)}`);
    }
    if (!Number.isSafeInteger(this.channelSeed)) throw new ConfigError(`padim channelSeed must be a safe integer, got ${JSON.stringify(o.channelSeed)}`);
    if (o.graph !== undefined && typeof o.graph !== 'boolean') throw new ConfigError(`padim graph must be a boolean, got ${JSON.stringify(o.graph)}`);
    this.#graph = o.graph ?? true;
  }

  /** The kept channel indices into the concatenated embedding (known after the first embedding; null before). */
  get channelIndex(): number[] | null { return this.#index ? [...this.#index] : null; }

  /** Embeddings [N, L, d] (float64) of images x, the kept channels only (eval mode, no grad). */
  embed(x: Tensor): Tensor {
    const was = this.model.training;
    this.model.eval();
    try {
      return torch.noGrad(() => torch.tidy(() => {
        this.#extractor ??= new FeatureExtractor(this.model, this.layers, { graph: this.#graph });
        const taps = this.#extractor.run(x);
        const first = taps.get(this.layers[0]!)!;
        if (first.ndim !== 4) throw new RangeError(`Padim: tap '${this.layers[0]}' is not a [N, C, H, W] map`);
        const [h, w] = [first.size(2), first.size(3)];
        this.#grid = [h, w];
        const maps = this.layers.map((l) => { const t = taps.get(l)!; return t.size(2) === h && t.size(3) === w ? t : interpolate(t, { size: [h, w], mode: 'nearest' }); });
        const all = torch.cat(maps, 1); // [N, D, h, w]
        this.#index ??= padimChannels(all.size(1), this.channels, this.channelSeed);
        if (this.#index[this.#index.length - 1]! >= all.size(1)) throw new RangeError(`Padim: the embedding has ${all.size(1)} channels, fewer than at the first call`);
        const e = this.#index.length === all.size(1) ? all : all.indexSelect(1, torch.tensor(Int32Array.from(this.#index)).to('int64'));
        return e.flatten(2).transpose(1, 2).to('float64').contiguous(); // [N, L, D]
      }));
    } finally { if (was) this.model.train(true); }
  }

  /** Accumulates the statistics of a batch of normal images. */
  partialFit(x: Tensor): void {
    const e = this.embed(x);
    torch.tidy(() => {
      const el = e.transpose(0, 1); // [L, N, D]
      const s = el.sum(1);
      const o = torch.bmm(el.transpose(1, 2), el);
      const sum = this.#sum ? this.#sum.add(s) : s;
      const outer = this.#outer ? this.#outer.add(o) : o;
      torch.dispose([this.#sum, this.#outer]);
      this.#sum = torch.keep(sum);
      this.#outer = torch.keep(outer);
    });
    this.#n += e.size(0);
    e.dispose();
  }

  /** Finishes the fit: mean and precision per location (needs >= 2 images). */
  finalize(): this {
    if (this.#n < 2 || !this.#sum || !this.#outer) throw new RangeError(`Padim: needs at least 2 normal images, got ${this.#n}`);
    const n = this.#n;
    const { mean, precision } = torch.tidy(() => {
      const mean = this.#sum!.div(n);
      const d = mean.size(1);
      const cov = this.#outer!.sub(torch.bmm(mean.unsqueeze(2), mean.unsqueeze(1)).mul(n)).div(n - 1)
        .add(torch.eye(d, null, { dtype: 'float64' }).mul(this.eps));
      return { mean, precision: torch.inverse(cov) };
    });
    torch.dispose([this.#mean, this.#precision, this.#sum, this.#outer]);
    this.#sum = this.#outer = null;
    this.#mean = torch.keep(mean);
    this.#precision = torch.keep(precision);
    return this;
  }

  /** Fits on every batch of normal images. */
  fit(batches: Iterable<Tensor>): this {
    for (const x of batches) this.partialFit(x);
    return this.finalize();
  }

  /** Score maps [N, 1, H, W] (float32) of images x [N, C, H, W]. */
  scoreMaps(x: Tensor): Tensor {
    if (!this.#mean || !this.#precision) throw new RangeError('Padim: call fit first');
    const e = this.embed(x);
    try {
      return torch.tidy(() => {
        const diff = e.sub(this.#mean!).transpose(0, 1); // [L, N, D]
        const d2 = torch.bmm(diff, this.#precision!).mul(diff).sum(2).clamp(0, null); // [L, N]
        const [h, w] = this.#grid;
        const maps = d2.sqrt().t().reshape([x.size(0), 1, h, w]).to('float32');
        const up = h === x.size(2) && w === x.size(3) ? maps : interpolate(maps, { size: [x.size(2), x.size(3)], mode: 'bilinear', alignCorners: false });
        return gaussianBlur(up, this.sigma);
      });
    } finally { e.dispose(); }
  }

  dispose(): void {
    this.#extractor?.dispose();
    this.#extractor = null;
    torch.dispose([this.#sum, this.#outer, this.#mean, this.#precision]);
    this.#sum = this.#outer = this.#mean = this.#precision = null;
  }
}

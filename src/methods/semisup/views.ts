/**
 * @module The augmentations of semi-supervised transfer, composed from the batched transforms of src/data
 * (libtorch ops on [B, C, H, W] tensors, per-example parameters from a seeded Rng):
 * weak = random crop with `padding` px of zero padding + horizontal flip (the FMNIST plan of the spec);
 * strong = weak + RandAugment (n ops per example, each at a magnitude uniform in [0, m], FixMatch's variant)
 * + Cutout of a square cutout x side filled with grey (the official --cutout_size 0.5).
 */
import { Compose, Cutout, RandAugment, RandomCrop, RandomHorizontalFlip, type Transform } from '../../data/transforms/index.js';
import { ConfigError } from '../../core/errors.js';

/** Options of the views. */
export interface ViewConfig {
  /** Image side in pixels (for Cutout). */
  size: number;
  /** Zero padding of the random crop, px [R: 2]. */
  padding?: number;
  /** Horizontal flip with p 0.5 (default true). */
  flip?: boolean;
  /** RandAugment ops per example and maximum magnitude (0..30) [FixMatch: 2, 10]. */
  n?: number;
  m?: number;
  /** Cutout side as a fraction of the image side, in (0, 1] [C: 0.5]. */
  cutout?: number;
}

function checked(o: ViewConfig): Required<ViewConfig> {
  const r = { padding: 2, flip: true, n: 2, m: 10, cutout: 0.5, ...o };
  if (!Number.isInteger(r.size) || r.size < 2) throw new ConfigError(`semisup views: size must be an integer >= 2, got ${JSON.stringify(r.size)}`);
  if (!Number.isInteger(r.padding) || r.padding < 0) throw new ConfigError(`semisup views: padding must be an integer >= 0, got ${JSON.stringify(r.padding)}`);
  if (!(r.cutout > 0 && r.cutout <= 1)) throw new ConfigError(`semisup views: cutout must be in (0, 1], got ${JSON.stringify(r.cutout)}`);
  return r;
}

/** The weak view: crop with zero padding, then flip. */
export function weakAugment(o: ViewConfig): Transform {
  const r = checked(o);
  const parts: Transform[] = [new RandomCrop({ padding: r.padding })];
  if (r.flip) parts.push(new RandomHorizontalFlip({ p: 0.5 }));
  return new Compose(parts);
}

/** The strong view: weak + RandAugment (random magnitude) + Cutout. */
export function strongAugment(o: ViewConfig): Transform {
  const r = checked(o);
  return new Compose([
    weakAugment(r),
    new RandAugment({ n: r.n, m: r.m, randomMagnitude: true }),
    new Cutout({ size: Math.max(1, Math.round(r.size * r.cutout)), fill: 0.5 }),
  ]);
}

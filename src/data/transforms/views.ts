/**
 * @module Weak and strong views for semi-supervised methods, as in FixMatch
 * (Sohn et al. 2020): weak = horizontal flip + random crop with 12.5% reflect
 * padding; strong = weak + RandAugment (n = 2 ops per example, each at a
 * magnitude uniform in [0, m]) + Cutout of a square `cutout` x side (default
 * 0.5, FixMatch's maximum, grey fill). Each view draws from the rng it is given.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import type { Rng } from '../rng.js';
import { Compose, num, type Transform } from './base.js';
import { RandomCrop, RandomHorizontalFlip, Cutout } from './basic.js';
import { RandAugment } from './randaugment.js';

/** Options of the views; size is the image side (for padding and Cutout). */
export interface ViewOptions {
  /** Image side in pixels (square images assumed for the defaults). */
  size: number;
  /** Flip images? (false for digits/text). Default true. */
  flip?: boolean;
  /** RandAugment ops per example (default 2) and maximum magnitude (default 10). */
  n?: number;
  m?: number;
  /** Cutout side as a fraction of `size`, in (0, 1]; default 0.5. */
  cutout?: number;
}

/** The weak view: flip + crop with reflect padding of size/8. */
export function weakView(o: ViewOptions): Transform {
  const size = num(o.size, 'weakView', 'size', 2, 4096, true);
  const pad = Math.max(1, Math.round(size * 0.125));
  const parts: Transform[] = [];
  if (o.flip ?? true) parts.push(new RandomHorizontalFlip({ p: 0.5 }));
  parts.push(new RandomCrop({ padding: pad, paddingMode: 'reflect' }));
  return new Compose(parts);
}

/** The strong view: weak + RandAugment (random magnitude) + Cutout. */
export function strongView(o: ViewOptions): Transform {
  const size = num(o.size, 'strongView', 'size', 2, 4096, true);
  const frac = num(o.cutout ?? 0.5, 'strongView', 'cutout', 0.01, 1);
  return new Compose([
    weakView(o),
    new RandAugment({ n: o.n ?? 2, m: o.m ?? 10, randomMagnitude: true }),
    new Cutout({ size: Math.max(1, Math.round(size * frac)), fill: 0.5 }),
  ]);
}

/** Both views of one batch, from independent streams of rng. */
export function weakStrong(x: Tensor, weak: Transform, strong: Transform, rng: Rng): { weak: Tensor; strong: Tensor } {
  const [a, b] = [rng.fork(), rng.fork()];
  return torch.tidy(() => ({ weak: weak.apply(x, a), strong: strong.apply(x, b) }));
}

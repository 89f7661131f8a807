/**
 * @module Synthetic anomalies for the forgetting-aware validation of fine-tuning (Rippel et al. 2021, "vicinal
 * risk minimisation" augmentations as a validation set) [R: the paper names the family, not the parameters]:
 * every held-out normal image gets one corrupted copy, kinds assigned round-robin:
 * - 'mixup': lambda x + (1 - lambda) x', lambda ~ U(0.3, 0.7), x' another held-out image circularly shifted by
 *   a quarter to three quarters of each side (an image of the same normal class, shifted, as in spec 2(e));
 * - 'cutmix': a rectangle (sides U(0.2, 0.4) of the image's) pasted from another held-out image, at a random place;
 * - 'cutpaste': a rectangle of the image itself pasted at another place (Li et al., CVPR 2021);
 * - 'cutout': a rectangle filled with one random grey level;
 * - 'augmix': AugMix-style corruption (Hendrycks et al. 2020): 3 chains of 1-3 random ops (posterize, solarize,
 *   brightness, contrast, translate, invert), mixed with Dirichlet(1) weights, then m x + (1 - m) mix with
 *   m ~ U(0, 0.5) (AugMix draws m ~ Beta(1, 1); here capped so the result differs from x).
 * Plain JS per pixel on float images in [0, 1] (validation sets are small); seeded by the caller's Rng.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../data/rng.js';

export const VALIDATION_AUGMENTATIONS = ['mixup', 'cutmix', 'cutpaste', 'cutout', 'augmix'] as const;
export type ValidationAugmentation = typeof VALIDATION_AUGMENTATIONS[number];

/** Checks a list of augmentation names (ConfigError naming `field`). */
export function checkAugmentations(v: unknown, field: string): ValidationAugmentation[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((k) => !(VALIDATION_AUGMENTATIONS as readonly unknown[]).includes(k))) {
    throw new ConfigError(`${field} must be a non-empty list of ${VALIDATION_AUGMENTATIONS.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return [...new Set(v as ValidationAugmentation[])];
}

type Img = Float32Array; // [C, H, W] flattened

interface Geo { c: number; h: number; w: number }

/** A random rectangle with sides U(0.2, 0.4) of the image's: [y0, x0, hh, ww]. */
function rect(g: Geo, rng: Rng): [number, number, number, number] {
  const hh = Math.max(1, Math.round(g.h * rng.uniform(0.2, 0.4)));
  const ww = Math.max(1, Math.round(g.w * rng.uniform(0.2, 0.4)));
  return [rng.int(g.h - hh + 1), rng.int(g.w - ww + 1), hh, ww];
}

/** Copies rectangle [sy, sx, hh, ww] of src to (dy, dx) of dst (all channels). */
function paste(dst: Img, src: Img, g: Geo, [sy, sx, hh, ww]: [number, number, number, number], dy: number, dx: number): void {
  for (let c = 0; c < g.c; c++) for (let y = 0; y < hh; y++) for (let x = 0; x < ww; x++) {
    dst[(c * g.h + dy + y) * g.w + dx + x] = src[(c * g.h + sy + y) * g.w + sx + x]!;
  }
}

/** One AugMix-style op applied to a copy of img. */
function augmixOp(img: Img, g: Geo, rng: Rng): Img {
  const out = new Float32Array(img.length);
  const op = rng.int(6);
  const a = rng.uniform(0.3, 0.9);
  const dy = rng.int(Math.max(1, Math.floor(g.h / 4))) + 1, dx = rng.int(Math.max(1, Math.floor(g.w / 4))) + 1;
  for (let c = 0; c < g.c; c++) for (let y = 0; y < g.h; y++) for (let x = 0; x < g.w; x++) {
    const i = (c * g.h + y) * g.w + x;
    const v = img[i]!;
    switch (op) {
      case 0: out[i] = Math.floor(v * 255 / 2 ** (6 - Math.round(a * 4))) * 2 ** (6 - Math.round(a * 4)) / 255; break; // posterize to 2..6 bits
      case 1: out[i] = v > a ? 1 - v : v; break; // solarize
      case 2: out[i] = Math.min(1, v * (0.4 + a * 1.2)); break; // brightness
      case 3: out[i] = Math.min(1, Math.max(0, 0.5 + (v - 0.5) * (0.3 + a * 1.5))); break; // contrast
      case 4: out[i] = y >= dy && x >= dx ? img[(c * g.h + y - dy) * g.w + x - dx]! : 0; break; // translate
      default: out[i] = 1 - v; // invert
    }
  }
  return out;
}

/** Makes one image anomalous with `kind`; `other` is a different normal image. */
function corrupt(img: Img, other: Img, kind: ValidationAugmentation, g: Geo, rng: Rng): Img {
  const out = Float32Array.from(img);
  if (kind === 'mixup') {
    const lam = rng.uniform(0.3, 0.7);
    const sy = Math.floor(g.h / 4) + rng.int(Math.max(1, Math.floor(g.h / 2)));
    const sx = Math.floor(g.w / 4) + rng.int(Math.max(1, Math.floor(g.w / 2)));
    for (let c = 0; c < g.c; c++) for (let y = 0; y < g.h; y++) for (let x = 0; x < g.w; x++) {
      const i = (c * g.h + y) * g.w + x;
      out[i] = lam * img[i]! + (1 - lam) * other[(c * g.h + (y + sy) % g.h) * g.w + (x + sx) % g.w]!;
    }
  } else if (kind === 'cutmix' || kind === 'cutpaste') {
    const r = rect(g, rng);
    let dy = rng.int(g.h - r[2] + 1);
    const dx = rng.int(g.w - r[3] + 1);
    if (kind === 'cutpaste' && dy === r[0] && dx === r[1]) dy = (dy + 1 + rng.int(Math.max(1, g.h - r[2]))) % (g.h - r[2] + 1); // move it
    paste(out, kind === 'cutmix' ? other : img, g, r, dy, dx);
  } else if (kind === 'cutout') {
    const [y0, x0, hh, ww] = rect(g, rng);
    const v = rng.float();
    for (let c = 0; c < g.c; c++) for (let y = 0; y < hh; y++) for (let x = 0; x < ww; x++) out[(c * g.h + y0 + y) * g.w + x0 + x] = v;
  } else {
    const weights = Array.from({ length: 3 }, () => rng.gamma(1));
    const total = weights.reduce((p, q) => p + q, 0);
    const mix = new Float32Array(img.length);
    for (const wt of weights) {
      let chain = img;
      const depth = 1 + rng.int(3);
      for (let d = 0; d < depth; d++) chain = augmixOp(chain, g, rng);
      for (let i = 0; i < mix.length; i++) mix[i] = mix[i]! + (wt / total) * chain[i]!;
    }
    const m = rng.uniform(0, 0.5);
    for (let i = 0; i < out.length; i++) out[i] = m * img[i]! + (1 - m) * mix[i]!;
  }
  return out;
}

/**
 * One anomalous copy of every image of x (float [N, C, H, W] in [0, 1], N >= 2): image i gets kinds[i % K];
 * partners for mixup/cutmix are other images of x. Returns a new float32 tensor and each image's kind.
 */
export function makeAnomalous(x: Tensor, kinds: readonly ValidationAugmentation[], rng: Rng): { x: Tensor; kinds: ValidationAugmentation[] } {
  if (x.ndim !== 4 || x.size(0) < 2) throw new RangeError(`makeAnomalous: images must be [N >= 2, C, H, W], got [${x.shape.join(', ')}]`);
  checkAugmentations(kinds, 'makeAnomalous.kinds');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const g: Geo = { c, h, w };
  const size = c * h * w;
  const px = torch.tidy(() => x.detach().to('float32').contiguous().data() as Float32Array);
  const imgs = Array.from({ length: n }, (_, i) => px.subarray(i * size, (i + 1) * size));
  const out = new Float32Array(n * size);
  const used: ValidationAugmentation[] = [];
  for (let i = 0; i < n; i++) {
    const kind = kinds[i % kinds.length]!;
    const j = (i + 1 + rng.int(n - 1)) % n;
    out.set(corrupt(imgs[i]!, imgs[j]!, kind, g, rng), i * size);
    used.push(kind);
  }
  return { x: torch.tensor(out, { shape: [n, c, h, w] }), kinds: used };
}

/**
 * @module A procedural anomaly-detection benchmark with pixel masks, in the MVTec-AD layout: five texture
 * categories (28x28, 1 channel, uint8), each with little variation between its normal images as in MVTec's
 * texture classes: 'grating' (orientation 45 deg +- 3, 4 +- 0.1 cycles per width, random phase), 'checkerboard'
 * (10 deg +- 3, 3 +- 0.1 cycles), 'blobs' (5 Gaussian blobs of std 0.2 (image width 2) at random places, random
 * signs), 'gabor-noise' (white noise filtered by a 9x9 Gabor kernel at 60 deg), 'rings' (concentric, centre
 * within +-0.1, 3 +- 0.1 cycles); every image is clamp(0.5 +- 0.03 + (0.3 +- 0.03) pattern + 0.03 N(0, 1), 0, 1).
 * The training split holds normal images only; the test split normal images and images with one planted defect
 * each, with its ground-truth mask. Defect kinds: 'scratch' (a 1 px line of 8-16 px, black or white), 'blob'
 * (an ellipse of radii 1.5-3.5 px shifted by +-0.25..0.45 in intensity), 'patch' (a 5-9 px square pasted from an
 * image of another category), 'colour' (a 6-10 px rectangle with its contrast scaled by 0.3..0.6 and its
 * brightness shifted by +-0.2..0.35). Everything comes from Rng.derive(seed, 'defects', category, split) in
 * plain JS (exact on every platform; 784-pixel images are cheap).
 */
import * as torch from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import { Rng } from './rng.js';
import { Dataset } from './dataset.js';

/** Defect kinds, in the order they are assigned round-robin to defective test images. */
export const DEFECT_KINDS = ['scratch', 'blob', 'patch', 'colour'] as const;
export type DefectKind = typeof DEFECT_KINDS[number];
/** Categories of the benchmark (the texture classes). */
export const DEFECT_CATEGORIES: readonly string[] = ['grating', 'checkerboard', 'blobs', 'gabor-noise', 'rings'];
/** Version of the generator (bump when the images change). */
export const DEFECTS_VERSION = 1;

/** Options of generateDefectSet. */
export interface DefectSetOptions {
  /** One of DEFECT_CATEGORIES. */
  category: string;
  seed: number;
  /** Normal training images (default 200). */
  train?: number;
  /** Normal test images (default 60). */
  testGood?: number;
  /** Defective test images (default 60), kinds assigned round-robin over `kinds`. */
  testDefect?: number;
  /** Defect kinds used (default all). */
  kinds?: DefectKind[];
}

/** One category: train (normal, label 0), test (good 0 / anomalous 1, masks uint8 [N, 1, 28, 28]) and each test image's kind. */
export interface DefectSet { train: Dataset; test: Dataset; defects: ('good' | DefectKind)[]; category: string }

const S = 28;

/** Resolves and validates the options (ConfigError naming the field). */
function resolveOptions(o: DefectSetOptions): Required<DefectSetOptions> {
  const r = { train: 200, testGood: 60, testDefect: 60, kinds: [...DEFECT_KINDS], ...o } as Required<DefectSetOptions>;
  if (!DEFECT_CATEGORIES.includes(r.category)) throw new ConfigError(`generateDefectSet.category must be one of ${DEFECT_CATEGORIES.join(', ')}, got ${JSON.stringify(r.category)}`);
  if (!Number.isSafeInteger(r.seed)) throw new ConfigError(`generateDefectSet.seed must be a safe integer, got ${JSON.stringify(r.seed)}`);
  for (const k of ['train', 'testGood', 'testDefect'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1 || r[k] > 5000) throw new ConfigError(`generateDefectSet.${k} must be an integer in [1, 5000], got ${JSON.stringify(r[k])}`);
  }
  if (!Array.isArray(r.kinds) || r.kinds.length === 0 || r.kinds.some((k) => !(DEFECT_KINDS as readonly string[]).includes(k))) {
    throw new ConfigError(`generateDefectSet.kinds must be a non-empty list of ${DEFECT_KINDS.join(', ')}, got ${JSON.stringify(r.kinds)}`);
  }
  return r;
}

/** Sets pixel (y, x) of img to v and marks the mask, inside the image only. */
function put(img: Float32Array, mask: Uint8Array, y: number, x: number, v: number): void {
  if (y < 0 || y >= S || x < 0 || x >= S) return;
  img[y * S + x] = Math.min(1, Math.max(0, v));
  mask[y * S + x] = 1;
}

/** Plants one defect of `kind` into img (in place, values in [0, 1]) and returns its mask; donor supplies pasted patches. */
export function plantDefect(img: Float32Array, kind: DefectKind, rng: Rng, donor: Float32Array): Uint8Array {
  const mask = new Uint8Array(S * S);
  const src = Float32Array.from(img);
  if (kind === 'scratch') {
    const len = rng.uniform(8, 16), th = rng.uniform(0, Math.PI);
    const cy = rng.uniform(6, S - 6), cx = rng.uniform(6, S - 6);
    const v = rng.bernoulli(0.5) ? rng.uniform(0.9, 1) : rng.uniform(0, 0.1);
    for (let t = -len / 2; t <= len / 2; t += 0.25) put(img, mask, Math.round(cy + t * Math.sin(th)), Math.round(cx + t * Math.cos(th)), v);
  } else if (kind === 'blob') {
    const ry = rng.uniform(1.5, 3.5), rx = rng.uniform(1.5, 3.5);
    const cy = rng.uniform(5, S - 5), cx = rng.uniform(5, S - 5);
    const d = (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(0.25, 0.45);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1) put(img, mask, y, x, src[y * S + x]! + d);
    }
  } else if (kind === 'patch') {
    const s = 5 + rng.int(5);
    const y0 = rng.int(S - s + 1), x0 = rng.int(S - s + 1);
    const sy = rng.int(S - s + 1), sx = rng.int(S - s + 1);
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) put(img, mask, y0 + y, x0 + x, donor[(sy + y) * S + sx + x]!);
  } else {
    const hh = 6 + rng.int(5), ww = 6 + rng.int(5);
    const y0 = rng.int(S - hh + 1), x0 = rng.int(S - ww + 1);
    const k = rng.uniform(0.3, 0.6), b = (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(0.2, 0.35);
    let mean = 0;
    for (let y = 0; y < hh; y++) for (let x = 0; x < ww; x++) mean += src[(y0 + y) * S + x0 + x]!;
    mean /= hh * ww;
    for (let y = 0; y < hh; y++) for (let x = 0; x < ww; x++) put(img, mask, y0 + y, x0 + x, mean + (src[(y0 + y) * S + x0 + x]! - mean) * k + b);
  }
  return mask;
}

const GABOR = 4;
/** One normal image of a category, values in [0, 1]. */
export function texture(category: string, rng: Rng): Float32Array {
  const c = (i: number): number => (2 * i + 1) / S - 1; // pixel centre in [-1, 1]
  const p = new Float32Array(S * S);
  const deg = Math.PI / 180;
  const phase = rng.uniform(0, 2 * Math.PI);
  if (category === 'grating' || category === 'checkerboard') {
    const th = (category === 'grating' ? 45 : 10) * deg + rng.uniform(-3, 3) * deg;
    const f = Math.PI * ((category === 'grating' ? 4 : 3) + rng.uniform(-0.1, 0.1));
    const phase2 = rng.uniform(0, 2 * Math.PI);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      const u = c(x) * Math.cos(th) + c(y) * Math.sin(th), v = c(y) * Math.cos(th) - c(x) * Math.sin(th);
      p[y * S + x] = category === 'grating' ? Math.sin(f * u + phase) : Math.tanh(4 * Math.sin(f * u + phase) * Math.sin(f * v + phase2)) / Math.tanh(4);
    }
  } else if (category === 'rings') {
    const cx = rng.uniform(-0.1, 0.1), cy = rng.uniform(-0.1, 0.1), f = Math.PI * (3 + rng.uniform(-0.1, 0.1));
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) p[y * S + x] = Math.sin(f * Math.hypot(c(x) - cx, c(y) - cy) + phase);
  } else if (category === 'blobs') {
    const blobs = Array.from({ length: 5 }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.bernoulli(0.5) ? 1 : -1] as const);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      p[y * S + x] = blobs.reduce((a, [bx, by, s]) => a + s * Math.exp(-((c(x) - bx) ** 2 + (c(y) - by) ** 2) / (2 * 0.04)), 0);
    }
  } else {
    const W = S + 2 * GABOR;
    const noise = Float32Array.from({ length: W * W }, () => rng.normal());
    const th = 60 * deg, f = Math.PI * 6;
    const k: number[] = [];
    for (let dy = -GABOR; dy <= GABOR; dy++) for (let dx = -GABOR; dx <= GABOR; dx++) {
      const u = (dx * Math.cos(th) + dy * Math.sin(th)) * 2 / S, r2 = (dx * dx + dy * dy) * 4 / (S * S);
      k.push(Math.exp(-r2 / (2 * 0.04)) * Math.cos(f * u));
    }
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      let a = 0, j = 0;
      for (let dy = 0; dy <= 2 * GABOR; dy++) for (let dx = 0; dx <= 2 * GABOR; dx++) a += k[j++]! * noise[(y + dy) * W + x + dx]!;
      p[y * S + x] = a;
    }
  }
  if (category === 'blobs' || category === 'gabor-noise') {
    const m = p.reduce((a, v) => Math.max(a, Math.abs(v)), 1e-6);
    for (let i = 0; i < p.length; i++) p[i] = p[i]! / m;
  }
  const bright = 0.5 + rng.uniform(-0.03, 0.03), contrast = 0.3 + rng.uniform(-0.03, 0.03);
  return p.map((v) => Math.min(1, Math.max(0, bright + contrast * v + 0.03 * rng.normal())));
}

/** n normal images of a category from the stream (seed, 'defects', category, split). */
function textures(category: string, seed: number, split: string, n: number): Float32Array[] {
  const rng = Rng.derive(seed, 'defects', category, split);
  return Array.from({ length: n }, () => texture(category, rng));
}

/** uint8 [N, 1, 28, 28] tensor of [0, 1] images (rounded). */
function toImages(imgs: Float32Array[]): torch.Tensor {
  const buf = new Uint8Array(imgs.length * S * S);
  imgs.forEach((m, i) => { for (let p = 0; p < S * S; p++) buf[i * S * S + p] = Math.round(m[p]! * 255); });
  return torch.tensor(buf, { shape: [imgs.length, 1, S, S] });
}

/** Generates one category of the benchmark (seeded; the same options give the same bytes). */
export function generateDefectSet(options: DefectSetOptions): DefectSet {
  const o = resolveOptions(options);
  const train = textures(o.category, o.seed, 'train', o.train);
  const test = textures(o.category, o.seed, 'test', o.testGood + o.testDefect);
  const others = DEFECT_CATEGORIES.filter((c) => c !== o.category);
  const rng = Rng.derive(o.seed, 'defects', o.category, 'plant');
  const masks: Uint8Array[] = [];
  const defects: ('good' | DefectKind)[] = [];
  test.forEach((img, i) => {
    if (i < o.testGood) { masks.push(new Uint8Array(S * S)); defects.push('good'); return; }
    const kind = o.kinds[(i - o.testGood) % o.kinds.length]!;
    masks.push(plantDefect(img, kind, rng, texture(others[rng.int(others.length)]!, rng)));
    defects.push(kind);
  });
  const source = `defects(v${DEFECTS_VERSION}, ${o.category}, seed=${o.seed})`;
  const maskBuf = new Uint8Array(masks.length * S * S);
  masks.forEach((m, i) => maskBuf.set(m, i * S * S));
  return {
    category: o.category, defects,
    train: new Dataset({ images: toImages(train), labels: torch.zeros([train.length], { dtype: 'int64' }), classes: ['good', 'anomalous'], source: `${source} train` }),
    test: new Dataset({
      images: toImages(test), labels: torch.tensor(Int32Array.from(defects, (d) => (d === 'good' ? 0 : 1))), classes: ['good', 'anomalous'],
      masks: torch.tensor(maskBuf, { shape: [masks.length, 1, S, S] }), source: `${source} test`,
    }),
  };
}

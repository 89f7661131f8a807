/**
 * @module A procedural anomaly-detection benchmark with pixel masks, in the MVTec-AD layout: one category per
 * texture class of src/data/tasks/textures.ts (28x28, 1 channel, uint8); the training split holds normal
 * images only, the test split normal images and images with one planted defect each, with its ground-truth
 * mask. Defect kinds: 'scratch' (a 1 px line of 8-16 px, black or white), 'blob' (an ellipse of radii
 * 1.5-3.5 px shifted by +-0.25..0.45 in intensity), 'patch' (a 5-9 px square pasted from an image of another
 * texture class), 'colour' (a 6-10 px rectangle with its contrast scaled by 0.3..0.6 and brightness shifted by
 * +-0.2..0.35). Everything is seeded: defect parameters come from Rng.derive(seed, 'defects', category, ...),
 * the textures from generateTextures with the same seed. Per-pixel work is plain JS on 784-pixel images.
 */
import * as torch from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import { Rng } from './rng.js';
import { Dataset } from './dataset.js';
import { generateTextures, TEXTURE_CLASSES } from './tasks/textures.js';

/** Defect kinds, in the order they are assigned round-robin to defective test images. */
export const DEFECT_KINDS = ['scratch', 'blob', 'patch', 'colour'] as const;
export type DefectKind = typeof DEFECT_KINDS[number];
/** Categories of the benchmark (the texture classes). */
export const DEFECT_CATEGORIES: readonly string[] = TEXTURE_CLASSES;
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

/** Images of one texture class from a generated set, as [0, 1] Float32Arrays of 784 pixels. */
function imagesOf(ds: Dataset, cls: number): Float32Array[] {
  const px = ds.images.data() as Uint8Array;
  const out: Float32Array[] = [];
  ds.labelArray().forEach((y, i) => { if (y === cls) out.push(Float32Array.from(px.subarray(i * S * S, (i + 1) * S * S), (v) => v / 255)); });
  return out;
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
  const cls = DEFECT_CATEGORIES.indexOf(o.category);
  const trainTex = generateTextures({ perClass: o.train, seed: o.seed, split: 'train' });
  const testTex = generateTextures({ perClass: o.testGood + o.testDefect, seed: o.seed, split: 'test' });
  try {
    const train = imagesOf(trainTex, cls);
    const test = imagesOf(testTex, cls);
    const donors = DEFECT_CATEGORIES.map((_, c) => (c === cls ? [] : imagesOf(testTex, c))).flat();
    const rng = Rng.derive(o.seed, 'defects', o.category);
    const masks: Uint8Array[] = [];
    const defects: ('good' | DefectKind)[] = [];
    test.forEach((img, i) => {
      if (i < o.testGood) { masks.push(new Uint8Array(S * S)); defects.push('good'); return; }
      const kind = o.kinds[(i - o.testGood) % o.kinds.length]!;
      masks.push(plantDefect(img, kind, rng, donors[rng.int(donors.length)]!));
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
  } finally {
    trainTex.dispose();
    testTex.dispose();
  }
}

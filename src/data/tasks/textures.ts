/**
 * @module Procedural 5-class texture set (T_far of the transfer benchmark):
 * 28x28, 1 channel, uint8, seeded. Classes: 0 oriented gratings, 1
 * checkerboards, 2 Gaussian blobs, 3 Gabor noise (white noise filtered by a
 * random oriented Gabor kernel, one depthwise conv2d per chunk), 4 concentric rings.
 *
 * Every image is `clamp(brightness + contrast * pattern + noise, 0, 1)`, with a
 * pattern in [-1, 1] and brightness, contrast and noise level drawn from the
 * same ranges for every class, so that only the spatial structure tells the
 * classes apart. Per-image structure parameters (orientation, frequency, phase,
 * centres, sizes) come from `Rng.derive(seed, 'textures', split, class)` in JS
 * (exact on every platform); the pixel noise comes from a torch.Generator
 * seeded from that stream. Pixels are computed with batched libtorch ops in
 * chunks, never per-pixel JS loops. Frequencies are in cycles per image width.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { col, generateProcedural, SIZE, type ProceduralOptions } from './procedural.js';
import { Rng } from '../rng.js';
import { Dataset } from '../dataset.js';

/** Class names of the texture set, in label order. */
export const TEXTURE_CLASSES = ['grating', 'checkerboard', 'blobs', 'gabor-noise', 'rings'];

/** Version of the generator (recorded in task descriptions; bump when the images change). */
export const TEXTURES_VERSION = 1;

/** Options of generateTextures. */
export type TextureOptions = ProceduralOptions;

const BLOBS = 6;
/** Side of the Gabor kernel that filters white noise (class 3), in pixels. */
const KSIZE = 13;
const TAU = 2 * Math.PI;

/** Per-image parameters: one Float32Array per named field, `n` values each (or n*k for per-element fields). */
type Params = Record<string, Float32Array>;

/** Draws the parameters of `n` images of class `c` in JS from rng. */
function drawParams(c: number, n: number, rng: Rng): Params {
  const f = (k = 1): Float32Array => new Float32Array(n * k);
  const p: Params = { bright: f(), contrast: f(), noise: f(), theta: f(), freq: f(), phase: f(), phase2: f(), cx: f(), cy: f() };
  if (c === 2) Object.assign(p, { bx: f(BLOBS), by: f(BLOBS), bs: f(BLOBS), ba: f(BLOBS) });
  if (c === 3) p.env = f();
  for (let i = 0; i < n; i++) {
    p.bright![i] = rng.uniform(0.35, 0.65);
    p.contrast![i] = rng.uniform(0.15, 0.35);
    p.noise![i] = rng.uniform(0.02, 0.1);
    p.theta![i] = rng.uniform(0, Math.PI);
    p.freq![i] = c === 1 ? rng.uniform(1.5, 4) : rng.uniform(2, 6);
    p.phase![i] = rng.uniform(0, TAU);
    p.phase2![i] = rng.uniform(0, TAU);
    p.cx![i] = rng.uniform(-0.5, 0.5);
    p.cy![i] = rng.uniform(-0.5, 0.5);
    if (c === 2) {
      const k = 2 + rng.int(BLOBS - 1); // 2..6 blobs, the rest zero-amplitude
      for (let j = 0; j < BLOBS; j++) {
        const q = i * BLOBS + j;
        p.bx![q] = rng.uniform(-0.8, 0.8); p.by![q] = rng.uniform(-0.8, 0.8);
        p.bs![q] = rng.uniform(0.15, 0.4); p.ba![q] = j < k ? (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(0.6, 1) : 0;
      }
    }
    if (c === 3) p.env![i] = rng.uniform(0.15, 0.3);
  }
  return p;
}

/** Scales each image's pattern so that its largest |value| is 1. */
function unitMax(x: Tensor): Tensor {
  return x.div(x.abs().amax([2, 3], true).clamp(1e-6, null));
}

/** The patterns in [-1, 1], [n, 1, 28, 28], of images [from, from+n) of class c. */
function pattern(c: number, p: Params, from: number, n: number, X: Tensor, Y: Tensor, KLIN: Tensor, gen: torch.Generator): Tensor {
  const th = col(p.theta!, from, n);
  const cos = th.cos();
  const sin = th.sin();
  const fr = col(p.freq!, from, n).mul(Math.PI); // 2*pi*f / 2 (coordinates span 2)
  const ph = col(p.phase!, from, n);
  const u = X.mul(cos).add(Y.mul(sin));
  const v = Y.mul(cos).sub(X.mul(sin));
  switch (c) {
    case 0: return u.mul(fr).add(ph).sin();
    case 1: return u.mul(fr).add(ph).sin().mul(v.mul(fr).add(col(p.phase2!, from, n)).sin()).mul(4).tanh().div(Math.tanh(4));
    case 2: { // separable Gaussians: sum_k a_k gy_k gx_k^T as one batched matmul
      const s2 = col(p.bs!, from, n, BLOBS).square().mul(-2); // [n, K, 1, 1]
      const gx = X.sub(col(p.bx!, from, n, BLOBS)).square().div(s2).exp().reshape([n, BLOBS, SIZE]);
      const gy = Y.sub(col(p.by!, from, n, BLOBS)).square().div(s2).exp().mul(col(p.ba!, from, n, BLOBS)).reshape([n, BLOBS, SIZE]);
      return unitMax(gy.transpose(1, 2).bmm(gx).reshape([n, 1, SIZE, SIZE]));
    }
    case 3: {
      const d = KLIN.reshape([1, 1, 1, KSIZE]);
      const e = KLIN.reshape([1, 1, KSIZE, 1]);
      const env = d.square().add(e.square()).div(col(p.env!, from, n).square().mul(-2)).exp();
      const kernel = env.mul(d.mul(cos).add(e.mul(sin)).mul(fr).add(ph).cos()); // [n, 1, K, K]
      const field = torch.randn([1, n, SIZE + KSIZE - 1, SIZE + KSIZE - 1], { generator: gen });
      return unitMax(torch.conv2d(field, kernel, null, 1, 0, 1, n).reshape([n, 1, SIZE, SIZE]));
    }
    default: {
      const r = X.sub(col(p.cx!, from, n)).square().add(Y.sub(col(p.cy!, from, n)).square()).sqrt();
      return r.mul(fr).add(ph).sin();
    }
  }
}

/** Generates perClass images of each of the 5 texture classes (uint8 [5*perClass, 1, 28, 28]), in a seeded interleaved order. */
export function generateTextures(o: TextureOptions): Dataset {
  return generateProcedural(o, 'generateTextures', {
    family: 'textures', classes: TEXTURE_CLASSES, version: TEXTURES_VERSION,
    renderClass: (c, n, rng) => {
      const p = drawParams(c, n, rng);
      const gen = new torch.Generator(rng.u32());
      const KLIN = torch.linspace(-(KSIZE - 1) / SIZE, (KSIZE - 1) / SIZE, KSIZE);
      return (from, m, X, Y) => {
        const noise = torch.randn([m, 1, SIZE, SIZE], { generator: gen }).mul(col(p.noise!, from, m));
        const img = pattern(c, p, from, m, X, Y, KLIN, gen).mul(col(p.contrast!, from, m)).add(col(p.bright!, from, m)).add(noise);
        return img.clamp(0, 1).mul(255).round().to('uint8');
      };
    },
  });
}

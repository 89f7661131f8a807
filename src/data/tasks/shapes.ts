/**
 * @module Procedural 5-class shape set (T_shapes of the transfer benchmark, a second generator beside the
 * textures): 28x28, 1 channel, uint8, seeded. Classes: regular polygons of 0 three, 1 four, 2 five, 3 six corners
 * and 4 the disk, each of the area of a disk of radius R (so that size gives no class away).
 *
 * Every image is a noise-free black silhouette on a white ground, `255 * (1 - mask)`: one solid shape of random
 * centre (U(-0.35, 0.35) per axis), size (R from U(0.25, 0.5), 3.5-7 pixels) and rotation (U(0, 2 pi)). The mask is `sigmoid(margin / SOFT)` (anti-aliased edges about one pixel wide), where
 * the margin is the shape's signed distance-like margin (positive inside) in image coordinates [-1, 1] (a pixel is
 * 2/28 wide). Per-image parameters come from `Rng.derive(seed, 'shapes', split, class)` in JS (exact on every
 * platform); the pixels are computed with batched libtorch ops in chunks, never per-pixel JS loops. (Pixel noise
 * or white-on-black drawing would move the set to the centre of the bundled backbone's feature space, next to
 * the textures; see docs/results/hparams.md.) Version 1 (disk, square, triangle, cross, ring of radius 0.4-0.65)
 * was dropped: fine-tuning solved it (100 % test) at every elr from 0.1.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { col, generateProcedural, type ProceduralOptions } from './procedural.js';
import { Rng } from '../rng.js';
import { Dataset } from '../dataset.js';

/** Class names of the shape set, in label order. */
export const SHAPE_CLASSES = ['triangle', 'square', 'pentagon', 'hexagon', 'disk'];
/** Corners of each class's regular polygon (0: the disk). */
const CORNERS = [3, 4, 5, 6, 0];

/** Version of the generator (recorded in task descriptions; bump when the images change). */
export const SHAPES_VERSION = 2;

/** Options of generateShapes. */
export type ShapeOptions = ProceduralOptions;

/** Edge softness of the masks, in image coordinates (about half a pixel). */
const SOFT = 0.035;
const FIELDS = ['cx', 'cy', 'size', 'theta'] as const;

/** Draws the parameters of `n` images in JS from rng: one Float32Array of n values per field. */
function drawParams(n: number, rng: Rng): Record<(typeof FIELDS)[number], Float32Array> {
  const p = Object.fromEntries(FIELDS.map((k) => [k, new Float32Array(n)])) as Record<(typeof FIELDS)[number], Float32Array>;
  for (let i = 0; i < n; i++) {
    p.cx[i] = rng.uniform(-0.35, 0.35);
    p.cy[i] = rng.uniform(-0.35, 0.35);
    p.size[i] = rng.uniform(0.25, 0.5); // the radius of the disk of the same area
    p.theta[i] = rng.uniform(0, 2 * Math.PI);
  }
  return p;
}

/** The signed margins (positive inside), [n, 1, 28, 28], of images [from, from+n) of class c. */
function margin(c: number, p: Record<(typeof FIELDS)[number], Float32Array>, from: number, n: number, X: Tensor, Y: Tensor): Tensor {
  const th = col(p.theta, from, n);
  const cos = th.cos();
  const sin = th.sin();
  const x = X.sub(col(p.cx, from, n));
  const y = Y.sub(col(p.cy, from, n));
  const u = x.mul(cos).add(y.mul(sin));
  const v = y.mul(cos).sub(x.mul(sin));
  const R = col(p.size, from, n);
  const k = CORNERS[c]!;
  if (k === 0) return R.sub(u.square().add(v.square()).sqrt());
  // a regular k-gon of the disk's area (circumradius R sqrt(pi / (k/2 sin(2 pi / k)))): inside its k half-planes
  const rc = Math.sqrt(Math.PI / ((k / 2) * Math.sin(2 * Math.PI / k)));
  let h: Tensor | null = null;
  for (let j = 0; j < k; j++) {
    const hj = u.mul(Math.cos(2 * Math.PI * j / k)).add(v.mul(Math.sin(2 * Math.PI * j / k)));
    h = h ? h.maximum(hj) : hj;
  }
  return R.mul(rc * Math.cos(Math.PI / k)).sub(h!);
}

/** Generates perClass images of each of the 5 shape classes (uint8 [5*perClass, 1, 28, 28]), in a seeded interleaved order. */
export function generateShapes(o: ShapeOptions): Dataset {
  return generateProcedural(o, 'generateShapes', {
    family: 'shapes', classes: SHAPE_CLASSES, version: SHAPES_VERSION,
    renderClass: (c, n, rng) => {
      const p = drawParams(n, rng);
      return (from, m, X, Y) => margin(c, p, from, m, X, Y).div(SOFT).sigmoid().neg().add(1).mul(255).round().to('uint8');
    },
  });
}

/**
 * @module What the procedural task generators (textures.ts, shapes.ts) share: their options and check, the pixel
 * grid, per-image parameter columns, and the skeleton that renders every class in chunks and interleaves them.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { Rng } from '../rng.js';
import { Dataset } from '../dataset.js';

/** Options of a procedural generator. */
export interface ProceduralOptions {
  /** Images per class. */
  perClass: number;
  /** Seed of the generator (any safe integer). */
  seed: number;
  /** Which split's stream to draw from ('train' and 'test' give disjoint streams). */
  split: 'train' | 'test';
}

/** Checks a generator's options; the ConfigError names the function and the field (`fn` e.g. 'generateShapes'). */
export function checkProceduralOptions(o: ProceduralOptions, fn: string): void {
  if (o === null || typeof o !== 'object') throw new ConfigError(`${fn} options must be an object { perClass, seed, split }, got ${JSON.stringify(o)}`);
  if (!Number.isInteger(o.perClass) || o.perClass < 1) throw new ConfigError(`${fn}.perClass must be an integer >= 1, got ${JSON.stringify(o.perClass)}`);
  if (!Number.isSafeInteger(o.seed)) throw new ConfigError(`${fn}.seed must be a safe integer, got ${JSON.stringify(o.seed)}`);
  if (o.split !== 'train' && o.split !== 'test') throw new ConfigError(`${fn}.split must be 'train' or 'test', got ${JSON.stringify(o.split)}`);
}

/** Image side of the procedural sets, in pixels. */
export const SIZE = 28;
/** Images rendered per libtorch chunk. */
const CHUNK = 1000;

/** A [n, k, 1, 1] float tensor over rows [from, from+n) of a per-image field with k values per image. */
export function col(a: Float32Array, from: number, n: number, k = 1): Tensor {
  return torch.tensor(a.subarray(from * k, (from + n) * k), { shape: [n, k, 1, 1] });
}

/** Renders images [from, from+m) of one class as uint8 [m, 1, 28, 28]; X and Y are the pixel centres in [-1, 1]. */
export type ChunkRenderer = (from: number, m: number, X: Tensor, Y: Tensor) => Tensor;

/** What a generator names and provides: its family (the Rng stream), classes, version and per-class renderer. */
export interface ProceduralFamily {
  family: string;
  classes: readonly string[];
  version: number;
  /** Called once per class, in label order, with that class's stream `Rng.derive(seed, family, split, c)`. */
  renderClass: (c: number, n: number, rng: Rng) => ChunkRenderer;
}

/**
 * perClass images of every class (uint8 [classes * perClass, 1, 28, 28]) in a seeded interleaved order:
 * checks the options (errors name `fn`), renders each class in chunks of 1,000 inside tidy scopes.
 */
export function generateProcedural(o: ProceduralOptions, fn: string, g: ProceduralFamily): Dataset {
  checkProceduralOptions(o, fn);
  const n = o.perClass;
  return torch.tidy(() => {
    const lin = torch.linspace(-1 + 1 / SIZE, 1 - 1 / SIZE, SIZE);
    const X = lin.reshape([1, 1, 1, SIZE]);
    const Y = lin.reshape([1, 1, SIZE, 1]);
    const parts: Tensor[] = [];
    g.classes.forEach((_, c) => {
      const render = g.renderClass(c, n, Rng.derive(o.seed, g.family, o.split, c));
      for (let from = 0; from < n; from += CHUNK) {
        const m = Math.min(CHUNK, n - from);
        parts.push(torch.tidy(() => render(from, m, X, Y)));
      }
    });
    const order = Rng.derive(o.seed, g.family, o.split, 'order').permutation(g.classes.length * n);
    const idx = torch.tensor(Int32Array.from(order)).to('int64');
    const labels = Int32Array.from(order, (i) => Math.floor(i / n));
    return new Dataset({
      images: torch.cat(parts, 0).indexSelect(0, idx), labels: torch.tensor(labels).to('int64'), classes: [...g.classes],
      source: `${g.family}(v${g.version}, seed=${o.seed}, ${o.split}, ${n}/class)`,
    });
  });
}

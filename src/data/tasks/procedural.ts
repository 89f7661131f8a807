/** @module The options shared by the procedural task generators (textures.ts, shapes.ts) and their check. */
import { ConfigError } from '../../core/errors.js';

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

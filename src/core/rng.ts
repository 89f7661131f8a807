/**
 * @module A small seeded PRNG in plain JS, so that splits, shuffles and
 * augmentation parameters never depend on libtorch's global generator.
 *
 * Generator: xoshiro128** 1.0 (Blackman & Vigna, 2018; 128-bit state, period
 * 2^128 - 1, 32-bit outputs), seeded from a 64-bit SplitMix64 stream. Streams
 * are derived from a seed and a path of keys (`Rng.derive(seed, 'epoch', 3)`),
 * each key mixed in with SplitMix64's finaliser, so the numbers of epoch e can
 * be recomputed without replaying epochs 0..e-1. Same seed and keys give the
 * same numbers on every platform (only 32-bit integer ops and IEEE doubles).
 */
import { ConfigError } from './errors.js';

const M64 = (1n << 64n) - 1n;

/** SplitMix64's output function (Steele, Lea & Flood 2014) on a 64-bit BigInt. */
function mix64(z: bigint): bigint {
  z = (z + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** FNV-1a 64 of a string (keys that are strings). */
function fnv64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(s)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & M64;
  return h;
}

function keyBits(k: number | string): bigint {
  if (typeof k === 'string') return fnv64(k);
  if (!Number.isSafeInteger(k)) throw new ConfigError(`Rng: keys and seeds must be safe integers or strings, got ${k}`);
  return BigInt.asUintN(64, BigInt(k));
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** A seeded xoshiro128** generator. */
export class Rng {
  readonly #s = new Uint32Array(4);
  #spare: number | null = null;

  /** A generator seeded with an integer seed (any safe integer, negative included). */
  constructor(seed: number | bigint = 0) {
    let z = typeof seed === 'bigint' ? BigInt.asUintN(64, seed) : keyBits(seed);
    for (let i = 0; i < 4; i += 2) {
      z = (z + 0x9e3779b97f4a7c15n) & M64;
      const r = mix64(z);
      this.#s[i] = Number(r & 0xffffffffn);
      this.#s[i + 1] = Number(r >> 32n);
    }
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1;
  }

  /** The generator for `seed` and a path of keys: independent, recomputable streams. */
  static derive(seed: number, ...keys: (number | string)[]): Rng {
    let h = mix64(keyBits(seed));
    for (const k of keys) h = mix64(h ^ keyBits(k));
    return new Rng(h);
  }

  /** A child generator for a sub-task, drawn from this one. */
  fork(): Rng { return new Rng((BigInt(this.u32()) << 32n) | BigInt(this.u32())); }

  /** The next 32-bit unsigned integer. */
  u32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A double uniform in [0, 1) with 53 random bits. */
  float(): number { return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992; }

  /** A double uniform in [lo, hi). */
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.float(); }

  /** An integer uniform in [0, n), unbiased (rejection sampling); n <= 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = this.u32();
    while (x >= limit) x = this.u32();
    return x % n;
  }

  /** true with probability p. */
  bernoulli(p: number): boolean { return this.float() < p; }

  /** A standard normal draw (Box-Muller, the second value cached). */
  normal(): number {
    if (this.#spare !== null) { const v = this.#spare; this.#spare = null; return v; }
    let u = 0;
    while (u === 0) u = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * this.float();
    this.#spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  /** A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 boosted). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`Rng.gamma: shape must be > 0, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.float() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do { x = this.normal(); v = 1 + c * x; } while (v <= 0);
      v = v * v * v;
      const u = this.float();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A Beta(a, b) draw. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x + y === 0 ? 0.5 : x / (x + y);
  }

  /** A Dirichlet(alpha, ..., alpha) draw of length k. */
  dirichlet(alpha: number, k: number): number[] {
    const g = Array.from({ length: k }, () => this.gamma(alpha));
    const s = g.reduce((a, b) => a + b, 0);
    return s === 0 ? g.map(() => 1 / k) : g.map((v) => v / s);
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!; a[i] = a[j]!; a[j] = t;
    }
    return a;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): number[] { return this.shuffle(Array.from({ length: n }, (_, i) => i)); }

  /** The 128-bit state as four uint32 (for checkpoints). */
  getState(): number[] { return [...this.#s]; }

  /** Restores a state from getState(). */
  setState(state: readonly number[]): this {
    if (state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff) || state.every((v) => v === 0)) {
      throw new ConfigError('Rng.setState: state must be four uint32, not all zero');
    }
    this.#s.set(state);
    this.#spare = null;
    return this;
  }
}

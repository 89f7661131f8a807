/**
 * @module RandAugment (Cubuk et al. 2020) and AugMix (Hendrycks et al. 2020) on batches.
 *
 * Op pool (all meaningful for 1- and 3-channel images; Color only for 3):
 * Identity, AutoContrast, Brightness, Contrast, Color, Sharpness, Posterize,
 * Solarize, Rotate, ShearX, ShearY, TranslateX, TranslateY. Equalize is left
 * out (a per-image histogram equalisation has no cheap batched form here).
 * Magnitudes follow torchvision's RandAugment with 31 bins: at magnitude M
 * (0..30) an op uses max * M / 30: Rotate 30 deg, Shear 0.3, Translate 150/331
 * of the side, Brightness/Contrast/Color/Sharpness factor 1 +- 0.9, Solarize
 * threshold 1 - M/30, Posterize 8 - round(4M/30) bits; signed ops get a random
 * sign per example. Every example draws its own ops: each round groups the
 * batch by chosen op and runs each op once on its group (indexSelect /
 * indexCopy), so the cost is about N passes over the batch.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import type { Rng } from '../rng.js';
import { type Transform, num, need, checkBatch, perExample, grayscale, blend, warpAffine } from './base.js';

/** One augmentation op: fn(x, v) with v[b] the signed magnitude of example b, in the op's units. */
export interface AugOp { name: string; max: number; signed: boolean; rgbOnly?: boolean; fn(x: Tensor, v: number[]): Tensor }

const f = (v: number[], x: Tensor): Tensor => perExample(v.map((a) => 1 + a), x.dtype as 'float32');

/** The op table (see the module doc for units). */
export const AUG_OPS: readonly AugOp[] = [
  { name: 'Identity', max: 0, signed: false, fn: (x) => x.clone() },
  {
    name: 'AutoContrast', max: 0, signed: false, fn: (x) => torch.tidy(() => {
      const lo = x.amin([2, 3], true);
      const hi = x.amax([2, 3], true);
      const span = hi.sub(lo);
      const ok = span.gt(1e-6);
      return torch.where(ok, x.sub(lo).div(torch.where(ok, span, 1)), x).clamp(0, 1);
    }),
  },
  { name: 'Brightness', max: 0.9, signed: true, fn: (x, v) => torch.tidy(() => torch.clamp(x.mul(f(v, x)), 0, 1)) },
  { name: 'Contrast', max: 0.9, signed: true, fn: (x, v) => torch.tidy(() => blend(x, grayscale(x).mean([1, 2, 3], true), f(v, x))) },
  { name: 'Color', max: 0.9, signed: true, rgbOnly: true, fn: (x, v) => torch.tidy(() => blend(x, grayscale(x), f(v, x))) },
  {
    name: 'Sharpness', max: 0.9, signed: true, fn: (x, v) => torch.tidy(() => {
      const C = x.shape[1]!;
      const k = torch.tensor(Float32Array.from([1, 1, 1, 1, 5, 1, 1, 1, 1], (a) => a / 13), { shape: [1, 1, 3, 3] }).to(x.dtype).repeat([C, 1, 1, 1]);
      const smooth = torch.conv2d(torch.replicationPad2d(x, [1, 1, 1, 1]), k, null, 1, 0, 1, C);
      return blend(x, smooth, f(v, x));
    }),
  },
  {
    name: 'Posterize', max: 4, signed: false, fn: (x, v) => torch.tidy(() => {
      const step = perExample(v.map((a) => 2 ** Math.round(a)), x.dtype as 'float32'); // 2^(8 - bits)
      return x.mul(255).round().div(step).floor().mul(step).div(255);
    }),
  },
  { name: 'Solarize', max: 1, signed: false, fn: (x, v) => torch.tidy(() => { const t = perExample(v.map((a) => 1 - a), x.dtype as 'float32'); return torch.where(x.ge(t), torch.rsub(x, 1), x); }) },
  { name: 'Rotate', max: 30, signed: true, fn: (x, v) => warpAffine(x, v.map((d) => { const t = (d * Math.PI) / 180; return [Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t), 0, 0]; })) },
  { name: 'ShearX', max: 0.3, signed: true, fn: (x, v) => warpAffine(x, v.map((s) => [1, s, 0, 1, 0, 0])) },
  { name: 'ShearY', max: 0.3, signed: true, fn: (x, v) => warpAffine(x, v.map((s) => [1, 0, s, 1, 0, 0])) },
  { name: 'TranslateX', max: 150 / 331, signed: true, fn: (x, v) => warpAffine(x, v.map((t) => [1, 0, 0, 1, t * x.shape[3]!, 0])) },
  { name: 'TranslateY', max: 150 / 331, signed: true, fn: (x, v) => warpAffine(x, v.map((t) => [1, 0, 0, 1, 0, t * x.shape[2]!])) },
];

/** The ops usable on a C-channel batch from a list of names (all when omitted). */
export function opPool(channels: number, names?: readonly string[]): AugOp[] {
  const pool = AUG_OPS.filter((o) => (!o.rgbOnly || channels === 3) && (!names || names.includes(o.name)));
  return pool;
}

/**
 * Applies one op per example (op[b] from `pool`, signed magnitude v[b] in the op's
 * units) by grouping examples per op; returns a new batch.
 */
export function applyPerExample(x: Tensor, pool: readonly AugOp[], choice: readonly number[], v: readonly number[]): Tensor {
  return torch.tidy(() => {
    let out = x;
    pool.forEach((op, k) => {
      const rows = choice.flatMap((c, b) => (c === k ? [b] : []));
      if (rows.length === 0 || op.name === 'Identity') return;
      const idx = torch.tensor(Int32Array.from(rows)).to('int64');
      const y = op.fn(x.indexSelect(0, idx), rows.map((b) => v[b]!));
      out = out.indexCopy(0, idx, y);
    });
    return out === x ? x.clone() : out;
  });
}

function checkOps(ops: readonly string[] | undefined, where: string): string[] | undefined {
  if (ops === undefined) return undefined;
  const names = AUG_OPS.map((o) => o.name);
  need(Array.isArray(ops) && ops.length > 0 && ops.every((o) => names.includes(o)), where, 'ops', `a non-empty subset of ${names.join(', ')}`, ops);
  return [...ops];
}

/** RandAugment: n ops per example, chosen uniformly from the pool, each at magnitude m (0..30). */
export class RandAugment implements Transform {
  readonly name = 'RandAugment';
  readonly c: { n: number; m: number; ops: string[] | undefined };
  /** n in [1, 10] (default 2), m in [0, 30] (default 9; FixMatch samples it, see randomMagnitude), ops: a subset of AUG_OPS names. */
  constructor(c: { n?: number; m?: number; randomMagnitude?: boolean; ops?: string[] } = {}) {
    this.c = { n: num(c.n ?? 2, 'RandAugment', 'n', 1, 10, true), m: num(c.m ?? 9, 'RandAugment', 'm', 0, 30), ops: checkOps(c.ops, 'RandAugment') };
    this.randomMagnitude = c.randomMagnitude ?? false;
  }
  /** When true each op's magnitude is drawn per example uniform in [0, m] (FixMatch's RandAugment variant). */
  readonly randomMagnitude: boolean;
  apply(x: Tensor, rng: Rng): Tensor {
    const [B, C] = checkBatch(x, 'RandAugment');
    const pool = opPool(C, this.c.ops);
    need(pool.length > 0, 'RandAugment', 'ops', `to contain an op usable on ${C}-channel images`, this.c.ops);
    return torch.tidy(() => {
      let y = x;
      for (let r = 0; r < this.c.n; r++) {
        const choice = Array.from({ length: B }, () => rng.int(pool.length));
        const v = choice.map((k) => {
          const op = pool[k]!;
          const m = this.randomMagnitude ? rng.uniform(0, this.c.m) : this.c.m;
          return op.max * (m / 30) * (op.signed && rng.bernoulli(0.5) ? -1 : 1);
        });
        y = applyPerExample(y, pool, choice, v);
      }
      return y === x ? x.clone() : y;
    });
  }
  config(): Record<string, unknown> { return { ...this.c, randomMagnitude: this.randomMagnitude, pool: AUG_OPS.map((o) => o.name) }; }
}

/**
 * AugMix: `width` chains of 1..3 ops (or `depth`), each op at a magnitude uniform
 * in [0.1, 1] * severity/10 of its maximum; chains mixed with per-example
 * Dirichlet(alpha) weights, then blended with the input by m ~ Beta(alpha, alpha).
 * Default pool: AugMix's (no Brightness/Contrast/Color/Sharpness, which overlap
 * the ImageNet-C corruptions); pass ops to change it.
 */
export class AugMix implements Transform {
  readonly name = 'AugMix';
  readonly c: { severity: number; width: number; depth: number; alpha: number; ops: string[] };
  /** severity in [1, 10] (3), width in [1, 10] (3), depth -1 (random 1..3) or [1, 10], alpha in (0, 10] (1). */
  constructor(c: { severity?: number; width?: number; depth?: number; alpha?: number; ops?: string[] } = {}) {
    const depth = c.depth ?? -1;
    need(depth === -1 || (Number.isInteger(depth) && depth >= 1 && depth <= 10), 'AugMix', 'depth', '-1 or an integer in [1, 10]', depth);
    this.c = {
      severity: num(c.severity ?? 3, 'AugMix', 'severity', 1, 10, true), width: num(c.width ?? 3, 'AugMix', 'width', 1, 10, true), depth,
      alpha: num(c.alpha ?? 1, 'AugMix', 'alpha', 1e-3, 10),
      ops: checkOps(c.ops, 'AugMix') ?? ['AutoContrast', 'Posterize', 'Solarize', 'Rotate', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY'],
    };
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [B, C] = checkBatch(x, 'AugMix');
    const pool = opPool(C, this.c.ops);
    need(pool.length > 0, 'AugMix', 'ops', `to contain an op usable on ${C}-channel images`, this.c.ops);
    const ws = Array.from({ length: B }, () => rng.dirichlet(this.c.alpha, this.c.width));
    const m = Array.from({ length: B }, () => rng.beta(this.c.alpha, this.c.alpha));
    return torch.tidy(() => {
      let mix = torch.zerosLike(x);
      for (let i = 0; i < this.c.width; i++) {
        const depth = this.c.depth > 0 ? this.c.depth : 1 + rng.int(3);
        let chain = x;
        for (let d = 0; d < depth; d++) {
          const choice = Array.from({ length: B }, () => rng.int(pool.length));
          const v = choice.map((k) => {
            const op = pool[k]!;
            return op.max * rng.uniform(0.1, 1) * (this.c.severity / 10) * (op.signed && rng.bernoulli(0.5) ? -1 : 1);
          });
          chain = applyPerExample(chain, pool, choice, v);
        }
        mix = mix.add(chain.mul(perExample(ws.map((w) => w[i]!), x.dtype as 'float32')));
      }
      const mm = perExample(m, x.dtype as 'float32');
      return x.mul(mm).add(mix.mul(torch.rsub(mm, 1)));
    });
  }
  config(): Record<string, unknown> { return { ...this.c }; }
}

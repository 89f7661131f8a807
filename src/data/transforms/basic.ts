/**
 * @module Basic batched transforms: Normalize, RandomCrop, RandomHorizontalFlip,
 * RandomRotation, ColorJitter, Cutout. Per-example parameters come from the rng
 * passed to apply(); the pixel work is libtorch ops on the whole batch.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import type { Rng } from '../rng.js';
import { type Transform, need, num, checkBatch, perExample, grayscale, blend, warpAffine, boxMask } from './base.js';

/** Per-channel (x - mean) / std; inverse() undoes it. Deterministic. */
export class Normalize implements Transform {
  readonly name = 'Normalize';
  readonly mean: number[];
  readonly std: number[];
  /** mean and std: one value per channel (or one for all). */
  constructor(c: { mean: number[]; std: number[] }) {
    need(Array.isArray(c.mean) && c.mean.length >= 1 && c.mean.every(Number.isFinite), 'Normalize', 'mean', 'a non-empty array of finite numbers', c.mean);
    need(Array.isArray(c.std) && c.std.length === c.mean.length && c.std.every((v) => Number.isFinite(v) && v > 0), 'Normalize', 'std', `an array of ${c.mean.length} numbers > 0`, c.std);
    this.mean = [...c.mean];
    this.std = [...c.std];
  }
  #stats(x: Tensor): [Tensor, Tensor] {
    const C = x.shape[1]!;
    need(this.mean.length === 1 || this.mean.length === C, 'Normalize', 'mean', `1 or ${C} values for a ${C}-channel batch`, this.mean);
    const k = (v: number[]): Tensor => torch.tensor(Float32Array.from(this.mean.length === 1 ? new Array(C).fill(v[0]) : v), { shape: [1, C, 1, 1] }).to(x.dtype);
    return [k(this.mean), k(this.std)];
  }
  apply(x: Tensor, _rng?: Rng): Tensor {
    checkBatch(x, 'Normalize');
    return torch.tidy(() => { const [m, s] = this.#stats(x); return x.sub(m).div(s); });
  }
  /** x * std + mean. */
  inverse(x: Tensor): Tensor {
    return torch.tidy(() => { const [m, s] = this.#stats(x); return x.mul(s).add(m); });
  }
  config(): Record<string, unknown> { return { mean: this.mean, std: this.std }; }
}

/** Pads by `padding` then crops a size x size window at a per-example random offset (torchvision RandomCrop). */
export class RandomCrop implements Transform {
  readonly name = 'RandomCrop';
  readonly c: { size: [number, number] | null; padding: number; paddingMode: 'constant' | 'reflect'; fill: number };
  /** size: [h, w] (default: the input's size); padding px on each side; paddingMode 'constant' (fill) or 'reflect'. */
  constructor(c: { size?: [number, number] | number; padding?: number; paddingMode?: 'constant' | 'reflect'; fill?: number } = {}) {
    const size = c.size === undefined ? null : typeof c.size === 'number' ? [c.size, c.size] : c.size;
    need(size === null || (Array.isArray(size) && size.length === 2 && size.every((v) => Number.isInteger(v) && v >= 1)), 'RandomCrop', 'size', 'an integer >= 1 or [h, w]', c.size);
    const padding = num(c.padding ?? 0, 'RandomCrop', 'padding', 0, 1024, true);
    const mode = c.paddingMode ?? 'constant';
    need(mode === 'constant' || mode === 'reflect', 'RandomCrop', 'paddingMode', "'constant' or 'reflect'", mode);
    this.c = { size: size as [number, number] | null, padding, paddingMode: mode, fill: num(c.fill ?? 0, 'RandomCrop', 'fill', 0, 1) };
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [B, C, H, W] = checkBatch(x, 'RandomCrop');
    const p = this.c.padding;
    const [h, w] = this.c.size ?? [H, W];
    if (p > 0 && this.c.paddingMode === 'reflect') need(p < H && p < W, 'RandomCrop', 'padding', `< the image size (${H}x${W}) for 'reflect'`, p);
    const Hp = H + 2 * p;
    const Wp = W + 2 * p;
    need(h <= Hp && w <= Wp, 'RandomCrop', 'size', `at most the padded size [${Hp}, ${Wp}]`, [h, w]);
    const oy = Array.from({ length: B }, () => rng.int(Hp - h + 1));
    const ox = Array.from({ length: B }, () => rng.int(Wp - w + 1));
    return torch.tidy(() => {
      const padded = p === 0 ? x : this.c.paddingMode === 'reflect'
        ? torch.reflectionPad2d(x, [p, p, p, p]) : torch.constantPadNd(x, [p, p, p, p], this.c.fill);
      const offs = (o: number[]): Tensor => torch.tensor(Int32Array.from(o), { shape: [B, 1] }).to('int64');
      const rows = offs(oy).add(torch.arange(0, h).reshape([1, h])); // [B, h]
      const cols = offs(ox).add(torch.arange(0, w).reshape([1, w])); // [B, w]
      const r = padded.gather(2, rows.reshape([B, 1, h, 1]).expand([B, C, h, Wp]));
      return r.gather(3, cols.reshape([B, 1, 1, w]).expand([B, C, h, w]));
    });
  }
  config(): Record<string, unknown> { return { ...this.c }; }
}

/** Flips each example left-right with probability p. */
export class RandomHorizontalFlip implements Transform {
  readonly name = 'RandomHorizontalFlip';
  readonly p: number;
  /** p in [0, 1], default 0.5. */
  constructor(c: { p?: number } = {}) { this.p = num(c.p ?? 0.5, 'RandomHorizontalFlip', 'p', 0, 1); }
  apply(x: Tensor, rng: Rng): Tensor {
    const [B] = checkBatch(x, 'RandomHorizontalFlip');
    const flip = Array.from({ length: B }, () => (rng.bernoulli(this.p) ? 1 : 0));
    return torch.tidy(() => torch.where(perExample(flip).gt(0.5), x.flip([3]), x));
  }
  config(): Record<string, unknown> { return { p: this.p }; }
}

/** Rotates each example by an angle uniform in [-degrees, degrees] about its centre (bilinear, zeros outside). */
export class RandomRotation implements Transform {
  readonly name = 'RandomRotation';
  readonly degrees: number;
  /** degrees in [0, 180]. */
  constructor(c: { degrees: number }) { this.degrees = num(c.degrees, 'RandomRotation', 'degrees', 0, 180); }
  apply(x: Tensor, rng: Rng): Tensor {
    const [B] = checkBatch(x, 'RandomRotation');
    const angles = Array.from({ length: B }, () => rng.uniform(-this.degrees, this.degrees));
    return rotate(x, angles);
  }
  config(): Record<string, unknown> { return { degrees: this.degrees }; }
}

/** Rotates example b by angles[b] degrees (counter-clockwise on screen). */
export function rotate(x: Tensor, angles: readonly number[]): Tensor {
  return warpAffine(x, angles.map((deg) => {
    const t = (deg * Math.PI) / 180;
    const c = Math.cos(t);
    const s = Math.sin(t);
    return [c, -s, s, c, 0, 0];
  }));
}

/**
 * Per-example brightness, contrast and saturation factors uniform in
 * [1 - v, 1 + v], applied in that fixed order (torchvision shuffles the order;
 * hue is not implemented). Saturation is skipped for 1-channel batches.
 */
export class ColorJitter implements Transform {
  readonly name = 'ColorJitter';
  readonly c: { brightness: number; contrast: number; saturation: number };
  /** Each strength in [0, 1]; 0 disables that part. */
  constructor(c: { brightness?: number; contrast?: number; saturation?: number } = {}) {
    this.c = {
      brightness: num(c.brightness ?? 0, 'ColorJitter', 'brightness', 0, 1),
      contrast: num(c.contrast ?? 0, 'ColorJitter', 'contrast', 0, 1),
      saturation: num(c.saturation ?? 0, 'ColorJitter', 'saturation', 0, 1),
    };
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [B, C] = checkBatch(x, 'ColorJitter');
    const draw = (v: number): number[] | null => (v > 0 ? Array.from({ length: B }, () => rng.uniform(1 - v, 1 + v)) : null);
    const fb = draw(this.c.brightness);
    const fc = draw(this.c.contrast);
    const fs = C === 3 ? draw(this.c.saturation) : null;
    return torch.tidy(() => {
      let y = x;
      if (fb) y = torch.clamp(y.mul(perExample(fb, x.dtype as 'float32')), 0, 1);
      if (fc) y = blend(y, grayscale(y).mean([1, 2, 3], true), perExample(fc, x.dtype as 'float32'));
      if (fs) y = blend(y, grayscale(y), perExample(fs, x.dtype as 'float32'));
      return y === x ? x.clone() : y;
    });
  }
  config(): Record<string, unknown> { return { ...this.c }; }
}

/** Cutout (DeVries & Taylor 2017): one size x size square per example, centre uniform over the image, clipped at the borders, set to fill. */
export class Cutout implements Transform {
  readonly name = 'Cutout';
  readonly c: { size: number; p: number; fill: number };
  /** size px in [1, 4096]; p (probability per example) in [0, 1]; fill in [0, 1]. */
  constructor(c: { size: number; p?: number; fill?: number }) {
    this.c = { size: num(c.size, 'Cutout', 'size', 1, 4096, true), p: num(c.p ?? 1, 'Cutout', 'p', 0, 1), fill: num(c.fill ?? 0.5, 'Cutout', 'fill', 0, 1) };
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [B, , H, W] = checkBatch(x, 'Cutout');
    const s = this.c.size;
    const boxes = Array.from({ length: B }, (): [number, number, number, number] => {
      const cy = rng.int(H);
      const cx = rng.int(W);
      const on = rng.bernoulli(this.c.p);
      const y0 = cy - Math.floor(s / 2);
      const x0 = cx - Math.floor(s / 2);
      return on ? [y0, y0 + s, x0, x0 + s] : [0, 0, 0, 0];
    });
    return torch.tidy(() => torch.where(boxMask(H, W, boxes), this.c.fill, x));
  }
  config(): Record<string, unknown> { return { ...this.c }; }
}

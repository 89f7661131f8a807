/**
 * @module nn.functional: PyTorch's torch.nn.functional with option objects for
 * the keyword arguments (F.conv2d(x, w, b, { stride: 2 }) for
 * F.conv2d(x, w, b, stride=2)); names camelCase. Losses live in losses.ts and
 * are re-exported here. Deviations: options objects instead of keyword
 * arguments; softmax/logSoftmax require dim (PyTorch's implicit dim is deprecated).
 */
import * as torch from '../torch.js';
import type { Tensor, DType } from '../torch.js';
import { ShapeError } from '../errors.js';

export * from './losses.js';

type IntOr2 = number | number[];
const pair = (v: IntOr2, what: string): [number, number] => {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2) throw new TypeError(`${what} must be a number or 2 numbers, got [${a}]`);
  return [a[0]!, a[1]!];
};

// --- linear and convolution --------------------------------------------------
/** y = x W^T + b. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor { return torch.linear(x, weight, bias); }

/** Options of conv2d; padding 'valid' is 0, 'same' keeps the size (stride 1 only). */
export interface Conv2dOptions { stride?: IntOr2; padding?: IntOr2 | 'same' | 'valid'; dilation?: IntOr2; groups?: number }
/** 2-D convolution over (N, C, H, W) or (C, H, W). */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv2dOptions = {}): Tensor {
  const stride = o.stride ?? 1;
  const dilation = o.dilation ?? 1;
  const groups = o.groups ?? 1;
  let padding = o.padding ?? 0;
  if (padding === 'valid') padding = 0;
  if (padding === 'same') {
    if (pair(stride, 'stride').some((s) => s !== 1)) throw new TypeError("conv2d: padding='same' is not supported for strided convolutions");
    const [dh, dw] = pair(dilation, 'dilation');
    const [kh, kw] = [weight.size(2), weight.size(3)];
    const th = dh * (kh - 1);
    const tw = dw * (kw - 1);
    if (th % 2 === 0 && tw % 2 === 0) return torch.conv2d(x, weight, bias, stride, [th / 2, tw / 2], dilation, groups);
    return torch.tidy(() => {
      const xp = torch.constantPadNd(x, [Math.floor(tw / 2), tw - Math.floor(tw / 2), Math.floor(th / 2), th - Math.floor(th / 2)], 0);
      return torch.conv2d(xp, weight, bias, stride, 0, dilation, groups);
    });
  }
  return torch.conv2d(x, weight, bias, stride, padding, dilation, groups);
}
/** Options of convTranspose2d. */
export interface ConvTranspose2dOptions { stride?: IntOr2; padding?: IntOr2; outputPadding?: IntOr2; groups?: number; dilation?: IntOr2 }
/** Transposed 2-D convolution (weight shape [Cin, Cout/groups, kH, kW]). */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvTranspose2dOptions = {}): Tensor {
  return torch.convTranspose2d(x, weight, bias, o.stride ?? 1, o.padding ?? 0, o.outputPadding ?? 0, o.groups ?? 1, o.dilation ?? 1);
}

// --- normalisation -------------------------------------------------------------
/** Options of batchNorm; runningMean/runningVar are updated in place when training. */
export interface BatchNormOptions { weight?: Tensor | null; bias?: Tensor | null; training?: boolean; momentum?: number; eps?: number }
/** Batch normalisation (PyTorch's F.batch_norm(input, running_mean, running_var, ...)). */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: BatchNormOptions = {}): Tensor {
  const training = o.training ?? false;
  if (training) {
    const s = x.shape;
    let per = 1;
    s.forEach((v, i) => { if (i !== 1) per *= v; });
    if (per === 1) throw new ShapeError(`batchNorm: expected more than 1 value per channel when training, got input shape [${s}]`);
  }
  return torch.batchNorm(x, o.weight ?? null, o.bias ?? null, runningMean, runningVar, training, o.momentum ?? 0.1, o.eps ?? 1e-5);
}
/** Options of layerNorm/groupNorm. */
export interface NormOptions { weight?: Tensor | null; bias?: Tensor | null; eps?: number }
/** Layer normalisation over the trailing normalizedShape dims. */
export function layerNorm(x: Tensor, normalizedShape: number[] | number, o: NormOptions = {}): Tensor {
  return torch.layerNorm(x, normalizedShape, o.weight ?? null, o.bias ?? null, o.eps ?? 1e-5);
}
/** Group normalisation of (N, C, *) with C divisible by numGroups. */
export function groupNorm(x: Tensor, numGroups: number, o: NormOptions = {}): Tensor {
  return torch.groupNorm(x, numGroups, o.weight ?? null, o.bias ?? null, o.eps ?? 1e-5);
}
/** x / max(||x||_p over dim, eps) (F.normalize). */
export function normalize(x: Tensor, o: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  return torch.tidy(() => {
    const denom = torch.norm(x, o.p ?? 2, [o.dim ?? 1], true).clamp(o.eps ?? 1e-12, null).expandAs(x);
    return x.div(denom);
  });
}

// --- pooling -------------------------------------------------------------------
/** Options of maxPool2d; stride defaults to kernelSize. */
export interface MaxPool2dOptions { stride?: IntOr2 | null; padding?: IntOr2; dilation?: IntOr2; ceilMode?: boolean }
/** 2-D max pooling. */
export function maxPool2d(x: Tensor, kernelSize: IntOr2, o: MaxPool2dOptions = {}): Tensor {
  return torch.maxPool2d(x, kernelSize, o.stride ?? [], o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false);
}
/** Options of avgPool2d; stride defaults to kernelSize. */
export interface AvgPool2dOptions { stride?: IntOr2 | null; padding?: IntOr2; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }
/** 2-D average pooling. */
export function avgPool2d(x: Tensor, kernelSize: IntOr2, o: AvgPool2dOptions = {}): Tensor {
  return torch.avgPool2d(x, kernelSize, o.stride ?? [], o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true, o.divisorOverride ?? null);
}
/** Adaptive average pooling to outputSize; a null entry keeps that input size. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | (number | null)[]): Tensor {
  const [oh, ow] = Array.isArray(outputSize) ? outputSize : [outputSize, outputSize];
  const s = x.shape;
  return torch.adaptiveAvgPool2d(x, [oh ?? s[s.length - 2]!, ow ?? s[s.length - 1]!]);
}

// --- dropout -------------------------------------------------------------------
/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training (default true, as PyTorch). */
export function dropout(x: Tensor, o: { p?: number; training?: boolean } = {}): Tensor {
  const p = o.p ?? 0.5;
  if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  return torch.dropout(x, p, o.training ?? true);
}

// --- activations ---------------------------------------------------------------
/** max(x, 0). */
export const relu = (x: Tensor): Tensor => torch.relu(x);
/** max(x, 0) + negativeSlope * min(x, 0). */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => torch.leakyRelu(x, negativeSlope);
/** GELU, exact ('none') or 'tanh' approximation. */
export const gelu = (x: Tensor, o: { approximate?: 'none' | 'tanh' } = {}): Tensor => torch.gelu(x, o.approximate ?? 'none');
/** x * sigmoid(x). */
export const silu = (x: Tensor): Tensor => torch.silu(x);
/** 1 / (1 + exp(-x)). */
export const sigmoid = (x: Tensor): Tensor => torch.sigmoid(x);
/** tanh(x). */
export const tanh = (x: Tensor): Tensor => torch.tanh(x);
/** log(1 + exp(beta x)) / beta, linear above threshold. */
export const softplus = (x: Tensor, o: { beta?: number; threshold?: number } = {}): Tensor =>
  torch.softplus(x, o.beta ?? 1, o.threshold ?? 20);
/** Softmax along dim (required), optionally computed in dtype. */
export const softmax = (x: Tensor, dim: number, o: { dtype?: DType } = {}): Tensor => torch.softmax(x, dim, o.dtype ?? null);
/** Log-softmax along dim (required). */
export const logSoftmax = (x: Tensor, dim: number, o: { dtype?: DType } = {}): Tensor => torch.logSoftmax(x, dim, o.dtype ?? null);
/** One-hot int64 encoding of class indices (numClasses -1: max + 1). */
export const oneHot = (t: Tensor, numClasses = -1): Tensor => torch.oneHot(t, numClasses);

// --- resampling, padding, unfold ------------------------------------------------
/** Options of interpolate: exactly one of size and scaleFactor. */
export interface InterpolateOptions {
  size?: IntOr2; scaleFactor?: number | number[]; mode?: 'nearest' | 'bilinear' | 'bicubic' | 'area';
  alignCorners?: boolean | null; recomputeScaleFactor?: boolean;
}
/** Resizes (N, C, H, W) like F.interpolate: out = floor(in * scale) when scaleFactor is given. */
export function interpolate(x: Tensor, o: InterpolateOptions): Tensor {
  const mode = o.mode ?? 'nearest';
  if (x.ndim !== 4) throw new ShapeError(`interpolate: only 4-D (N, C, H, W) input is supported, got shape [${x.shape}]`);
  if ((o.size === undefined) === (o.scaleFactor === undefined)) throw new TypeError('interpolate: give exactly one of size and scaleFactor');
  const align = o.alignCorners ?? null;
  if (align !== null && (mode === 'nearest' || mode === 'area')) {
    throw new TypeError('interpolate: alignCorners option can only be set with the interpolating modes: bilinear | bicubic');
  }
  const [h, w] = [x.size(2), x.size(3)];
  let out: [number, number];
  let scales: [number | null, number | null] = [null, null];
  if (o.size !== undefined) out = pair(o.size, 'size');
  else {
    const [sh, sw] = pair(o.scaleFactor!, 'scaleFactor');
    out = [Math.floor(h * sh), Math.floor(w * sw)];
    if (!o.recomputeScaleFactor) scales = [sh, sw];
  }
  if (mode === 'nearest') return torch.upsampleNearest2d(x, out, scales[0], scales[1]);
  if (mode === 'bilinear') return torch.upsampleBilinear2d(x, out, align ?? false, scales[0], scales[1]);
  if (mode === 'bicubic') return torch.upsampleBicubic2d(x, out, align ?? false, scales[0], scales[1]);
  if (mode === 'area') return torch.adaptiveAvgPool2d(x, out);
  throw new TypeError(`interpolate: unsupported mode ${String(mode)}`);
}
/** Pads the last dims: pad = [left, right, top, bottom, ...] as in F.pad; reflect/replicate pad 1 or 2 dims. */
export function pad(x: Tensor, padding: number[], o: { mode?: 'constant' | 'reflect' | 'replicate'; value?: number } = {}): Tensor {
  const mode = o.mode ?? 'constant';
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new ShapeError(`pad: padding length must be even and at most 2 * ndim, got ${padding.length} for shape [${x.shape}]`);
  }
  if (mode === 'constant') return torch.constantPadNd(x, padding, o.value ?? 0);
  if (o.value !== undefined && o.value !== 0) throw new TypeError(`pad: value is only used with mode 'constant'`);
  const n = padding.length / 2;
  if (n === 2 && (x.ndim === 3 || x.ndim === 4)) {
    return mode === 'reflect' ? torch.reflectionPad2d(x, padding) : torch.replicationPad2d(x, padding);
  }
  if (n === 1 && (x.ndim === 2 || x.ndim === 3)) {
    return mode === 'reflect' ? torch.reflectionPad1d(x, padding) : torch.replicationPad1d(x, padding);
  }
  throw new ShapeError(`pad: mode '${mode}' supports padding the last 1 dim of 2-D/3-D input or the last 2 dims of 3-D/4-D input; got ${padding.length} pad values for shape [${x.shape}]`);
}
/** Options of unfold/fold. */
export interface UnfoldOptions { dilation?: IntOr2; padding?: IntOr2; stride?: IntOr2 }
/** Sliding local blocks: (N, C, H, W) -> (N, C*kH*kW, L) (F.unfold, im2col). */
export function unfold(x: Tensor, kernelSize: IntOr2, o: UnfoldOptions = {}): Tensor {
  return torch.im2col(x, pair(kernelSize, 'kernelSize'), pair(o.dilation ?? 1, 'dilation'), pair(o.padding ?? 0, 'padding'),
    pair(o.stride ?? 1, 'stride'));
}
/** The inverse sum of unfold: (N, C*kH*kW, L) -> (N, C, H, W) (F.fold, col2im). */
export function fold(x: Tensor, outputSize: IntOr2, kernelSize: IntOr2, o: UnfoldOptions = {}): Tensor {
  return torch.col2im(x, pair(outputSize, 'outputSize'), pair(kernelSize, 'kernelSize'), pair(o.dilation ?? 1, 'dilation'),
    pair(o.padding ?? 0, 'padding'), pair(o.stride ?? 1, 'stride'));
}
/** A lookup table: rows of weight at indices (F.embedding); paddingIdx rows get no gradient. */
export function embedding(indices: Tensor, weight: Tensor, o: { paddingIdx?: number | null } = {}): Tensor {
  let p = o.paddingIdx ?? -1;
  if (o.paddingIdx !== undefined && o.paddingIdx !== null && p < 0) p += weight.size(0);
  return torch.embedding(weight, indices, p, false);
}

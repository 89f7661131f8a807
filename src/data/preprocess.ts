/**
 * @module Preprocessing as a declarative, JSON-serialisable description (recorded with the weights and in ONNX
 * metadata) and the transforms it stands for, in torchvision's terms:
 *  - decode (decode-fit.ts): every image is decoded with sharp (any size; grayscale, RGB, RGBA flattened on black,
 *    16-bit, palette), resized so its shorter side is `resizeTo` and center-cropped to a resizeTo x resizeTo
 *    square (torchvision's Resize(resizeTo) + CenterCrop(resizeTo)), stored as uint8;
 *  - channels: `channels` is the model's input; gray images for a 3-channel model are replicated to RGB, RGB
 *    images for a 1-channel model become ITU-R 601 luma (PIL's convert('L')); `channelAdapt` records which
 *    happened to the source images;
 *  - evaluation: CenterCrop(imageSize) (so eval = Resize(resizeTo) + CenterCrop(imageSize), torchvision's
 *    ImageNet recipe with resizeTo = round(imageSize * 256 / 224));
 *  - training augmentation `augment`: none (center crop), flip, crop (RandomCrop(imageSize, cropPadding) in the stored
 *    square), crop+flip, randaugment (crop+flip then RandAugment n=2 m=9), trivialaugment (crop+flip then one op
 *    at a magnitude uniform in [0, 30], TrivialAugment's sampling on RandAugment's op pool), mixup and cutmix
 *    (crop+flip, then MixUp / CutMix alpha 1 on the batch). Differences from torchvision: crops are taken in
 *    the stored center square, not RandomResizedCrop of the whole image;
 *  - normalisation (x - mean) / std after augmentation, from the backbone (ImageNet's for torchvision ResNets).
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import type { Rng } from './rng.js';
import { Compose, type Transform } from './transforms/base.js';
import { Normalize, RandomCrop, RandomHorizontalFlip } from './transforms/basic.js';
import { RandAugment } from './transforms/randaugment.js';
import { MixUp, CutMix, type BatchMix } from './transforms/mix.js';

/** Training augmentations by name. */
export const AUGMENTS = ['none', 'flip', 'crop', 'crop+flip', 'randaugment', 'trivialaugment', 'mixup', 'cutmix'] as const;
export type AugmentName = (typeof AUGMENTS)[number];

/** The declarative preprocessing; JSON-serialisable. */
export interface Preprocessing {
  format: 'adaptune-preprocessing/1';
  /** Final [height, width] fed to the model. */
  imageSize: [number, number];
  /** Shorter side after resizing; the stored square is resizeTo x resizeTo (>= imageSize). */
  resizeTo: number;
  /** Model input channels. */
  channels: 1 | 3;
  /** What was done to the source images' channels to get `channels`. */
  channelAdapt: 'none' | 'gray-to-rgb' | 'rgb-to-luminance' | 'mixed';
  /** (x - mean) / std on [0, 1] inputs, or null. */
  normalization: { mean: number[]; std: number[] } | null;
  augment: AugmentName;
  /** Zero padding around the stored square before random crops (torchvision RandomCrop(padding); 2 for the 28x28 tasks). */
  cropPadding: number;
  interpolation: 'lanczos3';
}

/** Options of describePreprocessing (defaults: imageSize 224, resizeTo round(imageSize * 256 / 224), 3 channels, crop+flip). */
export interface PreprocessingOptions {
  imageSize?: number | [number, number];
  resizeTo?: number;
  channels?: 1 | 3;
  normalization?: { mean: number[]; std: number[] } | null;
  augment?: AugmentName;
  cropPadding?: number;
  channelAdapt?: Preprocessing['channelAdapt'];
}

/** Validates options into a Preprocessing (ConfigError naming the field). */
export function describePreprocessing(o: PreprocessingOptions = {}): Preprocessing {
  const bad = (f: string, allowed: string, v: unknown): never => { throw new ConfigError(`preprocessing.${f} must be ${allowed}, got ${JSON.stringify(v)}`); };
  const size = o.imageSize ?? 224;
  const is = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(is) || is.length !== 2 || !is.every((v) => Number.isInteger(v) && v >= 8 && v <= 4096)) bad('imageSize', 'an integer in [8, 4096] or [h, w]', size);
  const resizeTo = o.resizeTo ?? Math.round(Math.max(...is) * 256 / 224);
  if (!Number.isInteger(resizeTo) || resizeTo < Math.max(...is) || resizeTo > 8192) bad('resizeTo', `an integer in [${Math.max(...is)}, 8192] (at least imageSize)`, resizeTo);
  const channels = o.channels ?? 3;
  if (channels !== 1 && channels !== 3) bad('channels', '1 or 3', channels);
  const augment = o.augment ?? 'crop+flip';
  if (!AUGMENTS.includes(augment)) bad('augment', `one of ${AUGMENTS.join(', ')}`, augment);
  const cropPadding = o.cropPadding ?? 0;
  if (!Number.isInteger(cropPadding) || cropPadding < 0 || cropPadding > 64) bad('cropPadding', 'an integer in [0, 64]', cropPadding);
  const n = o.normalization ?? null;
  if (n !== null) {
    const ok = (a: unknown): boolean => Array.isArray(a) && (a.length === 1 || a.length === channels) && a.every(Number.isFinite);
    if (!ok(n.mean)) bad('normalization.mean', `1 or ${channels} numbers`, n.mean);
    if (!ok(n.std) || n.std.length !== n.mean.length || n.std.some((v) => !(v > 0))) bad('normalization.std', `${n.mean.length} numbers > 0`, n.std);
  }
  return {
    format: 'adaptune-preprocessing/1', imageSize: [is[0]!, is[1]!], resizeTo, channels, channelAdapt: o.channelAdapt ?? 'none',
    normalization: n ? { mean: [...n.mean], std: [...n.std] } : null, augment, cropPadding, interpolation: 'lanczos3',
  };
}

/** Crops the center [h, w] of a [B, C, H, W] batch (torchvision's CenterCrop offsets: floor((H - h) / 2 + 0.5)). */
export class CenterCrop implements Transform {
  readonly name = 'CenterCrop';
  constructor(readonly size: [number, number]) {}
  apply(x: Tensor, _rng?: Rng): Tensor {
    const [, , H, W] = x.shape as [number, number, number, number];
    const [h, w] = this.size;
    if (h > H || w > W) throw new ConfigError(`CenterCrop: size [${h}, ${w}] is larger than the images [${H}, ${W}]`);
    const top = Math.round((H - h) / 2);
    const left = Math.round((W - w) / 2);
    return torch.tidy(() => x.narrow(2, top, h).narrow(3, left, w).contiguous());
  }
  config(): Record<string, unknown> { return { size: this.size }; }
}

/** The evaluation transform: center crop to imageSize, then normalisation. */
export function evalTransform(p: Preprocessing): Transform {
  const t: Transform[] = [new CenterCrop(p.imageSize)];
  if (p.normalization) t.push(new Normalize(p.normalization));
  return new Compose(t);
}

/** The training transform and batch mix of `p.augment` (see the module doc); normalisation last. */
export function trainTransform(p: Preprocessing): { transform: Transform; mix: BatchMix | null } {
  const a = p.augment;
  const crop = a === 'none' || a === 'flip' ? new CenterCrop(p.imageSize) : new RandomCrop({ size: p.imageSize, padding: p.cropPadding });
  const t: Transform[] = [crop];
  if (a !== 'none' && a !== 'crop') t.push(new RandomHorizontalFlip());
  if (a === 'randaugment') t.push(new RandAugment({ n: 2, m: 9 }));
  if (a === 'trivialaugment') t.push(new RandAugment({ n: 1, m: 30, randomMagnitude: true }));
  if (p.normalization) t.push(new Normalize(p.normalization));
  const mix = a === 'mixup' ? new MixUp({ alpha: 1 }) : a === 'cutmix' ? new CutMix({ alpha: 1 }) : null;
  return { transform: new Compose(t), mix };
}

/** The metadata key a Preprocessing is recorded under (ONNX metadata_props, weights sidecars). */
export const PREPROCESSING_KEY = 'adaptune.preprocessing';

/** `{ 'adaptune.preprocessing': JSON }`, for exportOnnx's `metadata` option (and `normalize: p.normalization`). */
export function preprocessingMetadata(p: Preprocessing): Record<string, string> {
  return { [PREPROCESSING_KEY]: JSON.stringify(p) };
}

/** Reads a recorded Preprocessing back (a JSON string or object), validated; ConfigError naming `where` and the field. */
export function parsePreprocessing(v: unknown, where = 'preprocessing'): Preprocessing {
  let o: unknown = v;
  if (typeof v === 'string') { try { o = JSON.parse(v); } catch { throw new ConfigError(`${where}: not valid JSON`); } }
  const r = o as Partial<Preprocessing> | null;
  if (!r || typeof r !== 'object' || r.format !== 'adaptune-preprocessing/1') throw new ConfigError(`${where}: not an adaptune-preprocessing/1 description`);
  try {
    return describePreprocessing({ imageSize: r.imageSize, resizeTo: r.resizeTo, channels: r.channels, normalization: r.normalization, augment: r.augment, cropPadding: r.cropPadding, channelAdapt: r.channelAdapt });
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as Error).message}`);
  }
}

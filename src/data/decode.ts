/**
 * @module Decoding image files with sharp into one uint8 [N, C, H, W] tensor.
 * Each file is decoded, alpha flattened onto black, converted to sRGB and
 * resized to exactly [H, W] (fit 'fill', no crop); 1-channel output is PIL's
 * convert('L') luma, (19595 R + 38470 G + 7471 B + 2^15) >> 16 (ITU-R 601, as
 * torchvision's Grayscale on PIL images), computed by libtorch on the batch.
 * Decodes run on libuv's thread pool, a few at a time; pixels are copied into
 * one HWC buffer and permuted to CHW by libtorch (no per-pixel JS loops).
 * sharp (libvips) is loaded on first use, so the core loads without it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError, DataError } from '../core/errors.js';
import type { CorruptPolicy, SkippedFile } from './dataset.js';

/** Output geometry of decoded images. */
export interface ImageSpec {
  /** [height, width] after resizing. */
  size: [number, number];
  /** 1 (greyscale) or 3 (RGB). */
  channels: 1 | 3;
  /** 'fill' (default): stretch to [H, W]; 'cover': resize the shorter side and center-crop (torchvision's Resize + CenterCrop). */
  fit?: 'fill' | 'cover';
}

/** Checks an ImageSpec; errors name the field. */
export function checkImageSpec(s: ImageSpec, where: string): void {
  if (!Array.isArray(s.size) || s.size.length !== 2 || s.size.some((v) => !Number.isInteger(v) || v < 1 || v > 8192)) {
    throw new ConfigError(`${where}.size must be [height, width] with integers in [1, 8192], got ${JSON.stringify(s.size)}`);
  }
  if (s.channels !== 1 && s.channels !== 3) throw new ConfigError(`${where}.channels must be 1 or 3, got ${JSON.stringify(s.channels)}`);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
// The IEND chunk every PNG ends with: length 0, type 'IEND', CRC.
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/**
 * Checks what a decoder may let through or report as "Unknown error": the file is readable and
 * not empty, and a PNG ends with its IEND chunk (libpng accepts a PNG without one). Throws an
 * Error whose message says what is wrong (the caller adds the file name).
 */
export function checkImageFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'file missing (a dangling symlink?)' : `cannot open (${code ?? (e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new Error('empty file');
    const head = new Uint8Array(8);
    const n = readSync(fd, head, 0, 8, 0);
    if (n === 8 && PNG_SIGNATURE.every((b, i) => head[i] === b)) {
      const tail = new Uint8Array(12);
      const m = size >= 20 ? readSync(fd, tail, 0, 12, size - 12) : 0;
      if (m !== 12 || !PNG_IEND.every((b, i) => tail[i] === b)) {
        throw new Error(`truncated or damaged PNG: it does not end with the IEND chunk (${size} bytes)`);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Decodes one file to sRGB HWC uint8 bytes of exactly H*W*3; `nearest` for masks. */
export async function decodeOne(file: string, size: [number, number], nearest = false, fit: 'fill' | 'cover' = 'fill'): Promise<Buffer> {
  const [h, w] = size;
  checkImageFile(file);
  const sharp = (await import('sharp')).default;
  const img = sharp(file, { failOn: 'truncated' }).flatten({ background: { r: 0, g: 0, b: 0 } })
    .resize(w, h, { fit, position: 'centre', kernel: nearest ? 'nearest' : 'lanczos3' }).toColourspace('srgb');
  let out;
  try {
    out = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    const msg = (e as Error).message ?? '';
    // libvips reports some damaged files as "Unknown error" or with an empty message: say what it is.
    if (!msg.trim() || /^unknown error/i.test(msg.trim())) throw new Error('damaged or truncated image data (the decoder gave no reason)');
    throw e;
  }
  const { data, info } = out;
  if (info.width !== w || info.height !== h || info.channels !== 3 || data.length !== h * w * 3) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${w}x${h}x3`);
  }
  return data;
}

/** Result of decoding a list of files: the tensor, and which inputs made it in. */
export interface DecodeResult {
  /** uint8 [M, C, H, W], M = kept.length (the caller owns it). */
  images: Tensor;
  /** Indices (into the input list) of the files decoded, in order. */
  kept: number[];
  skipped: SkippedFile[];
}

/** Decodes files with a policy for corrupt ones ('fail': DataError naming the file; 'skip': listed). */
export async function decodeAll(files: readonly string[], spec: ImageSpec, policy: CorruptPolicy, o: { nearest?: boolean; concurrency?: number } = {}): Promise<DecodeResult> {
  const [h, w] = spec.size;
  const per = h * w * 3;
  const bufs: (Buffer | null)[] = new Array(files.length).fill(null);
  const errors: (string | null)[] = new Array(files.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      try { bufs[i] = await decodeOne(files[i]!, spec.size, o.nearest ?? false, spec.fit ?? 'fill'); } catch (e) { errors[i] = (e as Error).message; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, Math.max(files.length, 1)) }, worker));
  const kept: number[] = [];
  const skipped: SkippedFile[] = [];
  for (let i = 0; i < files.length; i++) {
    if (errors[i] === null) { kept.push(i); continue; }
    if (policy === 'fail') throw new DataError(`${files[i]}: cannot decode image (${errors[i]})`);
    skipped.push({ file: files[i]!, reason: errors[i]! });
  }
  const all = Buffer.allocUnsafe(kept.length * per);
  kept.forEach((i, k) => bufs[i]!.copy(all, k * per));
  const images = torch.tidy(() => {
    const rgb = torch.fromBuffer(all, [kept.length, h, w, 3], 'uint8').permute([0, 3, 1, 2]);
    if (spec.channels === 3) return rgb.contiguous();
    const wts = torch.tensor(Int32Array.from([19595, 38470, 7471]), { shape: [1, 3, 1, 1] });
    return rgb.to('int32').mul(wts).sum(1, true, 'int32').add(32768).floorDivide(65536).to('uint8');
  });
  return { images, kept, skipped };
}

/** Names with an image extension torchvision's ImageFolder would accept here (.jpg, .jpeg, .png; any case). */
export const isImageFile = (name: string): boolean => /\.(jpe?g|png)$/i.test(name);

/** Sorts strings by code point, like Python's sorted() (torchvision's class order). */
export const byCodePoint = (a: string, b: string): number => {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};

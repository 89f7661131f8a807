/**
 * Image trees the tests write with sharp: an ImageFolder of generated RGB-ish images in every mode (RGB JPEG,
 * grayscale PNG, RGBA PNG, 16-bit RGB PNG, palette PNG, lossless WebP) and mixed sizes. Each class has its own
 * colour plus seeded noise, so a classifier can learn it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

export type Mode = 'rgb-jpg' | 'gray-png' | 'rgba-png' | 'rgb16-png' | 'palette-png' | 'rgb-webp';
export const MODES: Mode[] = ['rgb-jpg', 'gray-png', 'rgba-png', 'rgb16-png', 'palette-png', 'rgb-webp'];

function crc32(b: Buffer): number { let c = ~0; for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); } return ~c >>> 0; }
function chunk(type: string, d: Buffer): Buffer {
  const len = Buffer.alloc(4); len.writeUInt32BE(d.length);
  const td = Buffer.concat([Buffer.from(type), d]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A 16-bit RGB PNG written by hand (sharp cannot write one from raw 16-bit input), flat colour. */
export function png16(w: number, h: number, rgb: [number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 16; ihdr[9] = 2;
  const row = Buffer.alloc(1 + w * 6);
  for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) row.writeUInt16BE(rgb[c]! * 257, 1 + x * 6 + c * 2);
  const idat = deflateSync(Buffer.concat(Array.from({ length: h }, () => row)));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** Writes a w x h image of colour [r, g, b] (0..255, plus `noise` seeded by `seed`) in the given mode; returns its path. */
export async function writeImage(file: string, mode: Mode, w: number, h: number, rgb: [number, number, number], noise = 0, seed = 1): Promise<string> {
  let s = seed >>> 0 || 1;
  const rnd = (): number => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  const jitter = (v: number): number => Math.max(0, Math.min(255, Math.round(v + noise * (rnd() * 2 - 1))));
  const px = (c: number, f: (i: number) => number): Buffer => Buffer.from(Array.from({ length: w * h * c }, (_, i) => f(i)));
  const ext = mode.split('-')[1];
  const path = `${file}.${ext}`;
  if (mode === 'rgb16-png') { writeFileSync(path, png16(w, h, rgb)); return path; }
  if (mode === 'gray-png') { const g = Math.round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]); await sharp(px(1, () => jitter(g)), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toFile(path); return path; }
  if (mode === 'rgba-png') { await sharp(px(4, (i) => (i % 4 === 3 ? 255 : jitter(rgb[i % 4]!))), { raw: { width: w, height: h, channels: 4 } }).png().toFile(path); return path; }
  const img = sharp(px(3, (i) => jitter(rgb[i % 3]!)), { raw: { width: w, height: h, channels: 3 } });
  await (mode === 'rgb-jpg' ? img.jpeg({ quality: 95 }) : mode === 'palette-png' ? img.png({ palette: true }) : img.webp({ lossless: true })).toFile(path);
  return path;
}

/** Three colour classes. */
export const TREE_CLASSES: [string, [number, number, number]][] = [['cat', [200, 40, 40]], ['dog', [40, 200, 40]], ['emu', [40, 40, 200]]];

/** DIR/<class>/ with `n` images per class cycling through the modes and sizes (20..., 30...). */
export async function writeClassTree(dir: string, n: number, o: { noise?: number; classes?: [string, [number, number, number]][] } = {}): Promise<void> {
  for (const [k, [c, rgb]] of (o.classes ?? TREE_CLASSES).entries()) {
    mkdirSync(join(dir, c), { recursive: true });
    for (let i = 0; i < n; i++) {
      const mode = MODES[i % MODES.length]!;
      await writeImage(join(dir, c, `${i}`), mode, 20 + 7 * (i % 9), 30 + 3 * (i % 3), rgb, o.noise ?? 0, 1000 * k + i + 1);
    }
  }
}

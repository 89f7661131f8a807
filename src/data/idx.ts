/**
 * @module IDX files (the MNIST / Fashion-MNIST format), raw or gzip. The magic
 * number, the dims and the byte length are validated; every error names the file.
 * Format: 2 zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
 * 0x0C int32, 0x0D float32, 0x0E float64), a rank byte, rank big-endian uint32
 * dims, then the row-major data (big-endian for multi-byte types).
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import * as torch from '../core/torch.js';
import type { Tensor, DType } from '../core/torch.js';
import { DataError, ConfigError } from '../core/errors.js';
import { Dataset } from './dataset.js';

const TYPES: Record<number, { dtype: DType; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 }, 0x09: { dtype: 'int8', size: 1 }, 0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 }, 0x0d: { dtype: 'float32', size: 4 }, 0x0e: { dtype: 'float64', size: 8 },
};

/** A parsed IDX file: its dims, dtype and a tensor over (a copy of) its data. */
export interface IdxArray { file: string; dims: number[]; dtype: DType; tensor: Tensor }

/** Reads the bytes of an IDX file, gunzipping when it starts with the gzip magic (1f 8b). */
function readBytes(file: string): Buffer {
  let raw: Buffer;
  try { raw = readFileSync(file); } catch (e) { throw new DataError(`${file}: cannot read IDX file (${(e as Error).message})`); }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try { return gunzipSync(raw); } catch (e) { throw new DataError(`${file}: corrupt gzip data (${(e as Error).message})`); }
  }
  return raw;
}

/** Parses an IDX file into a tensor of its native dtype; `expectRank` checks the rank. */
export function readIdx(file: string, expectRank?: number): IdxArray {
  const b = readBytes(file);
  if (b.length < 4) throw new DataError(`${file}: too short for an IDX header (${b.length} bytes)`);
  if (b[0] !== 0 || b[1] !== 0 || TYPES[b[2]!] === undefined) {
    throw new DataError(`${file}: bad IDX magic number 0x${b.readUInt32BE(0).toString(16).padStart(8, '0')} (expected 0x0000TTRR with type TT in 08,09,0b,0c,0d,0e)`);
  }
  const { dtype, size } = TYPES[b[2]!]!;
  const rank = b[3]!;
  if (expectRank !== undefined && rank !== expectRank) throw new DataError(`${file}: IDX rank is ${rank}, expected ${expectRank}`);
  if (rank === 0) throw new DataError(`${file}: IDX rank is 0`);
  const head = 4 + 4 * rank;
  if (b.length < head) throw new DataError(`${file}: truncated IDX header (${b.length} bytes, need ${head} for ${rank} dims)`);
  const dims = Array.from({ length: rank }, (_, i) => b.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, d) => a * d, 1);
  const want = head + count * size;
  if (b.length !== want) {
    throw new DataError(`${file}: IDX data length mismatch: dims [${dims.join(', ')}] of ${dtype} need ${want} bytes, file has ${b.length}` +
      (b.length < want ? ' (truncated)' : ' (trailing bytes)'));
  }
  const body = b.subarray(head);
  let data: ArrayBufferView;
  if (size === 1) data = body;
  else {
    const copy = Buffer.from(body);
    if (size === 2) copy.swap16(); else if (size === 4) copy.swap32(); else copy.swap64();
    data = copy;
  }
  return { file, dims, dtype, tensor: torch.fromBuffer(data, dims, dtype) };
}

/** Reads an IDX image file (rank 3, uint8 [N, H, W]) and an IDX label file (rank 1, [N]) into a Dataset. */
export function readIdxDataset(imagesFile: string, labelsFile: string, classes?: string[]): Dataset {
  return torch.tidy(() => {
    const im = readIdx(imagesFile, 3);
    if (im.dtype !== 'uint8') throw new DataError(`${imagesFile}: IDX images must be uint8 (type 0x08), got ${im.dtype}`);
    const lb = readIdx(labelsFile, 1);
    if (lb.dtype === 'float32' || lb.dtype === 'float64') throw new DataError(`${labelsFile}: IDX labels must be integers, got ${lb.dtype}`);
    if (lb.dims[0] !== im.dims[0]) throw new DataError(`${labelsFile}: ${lb.dims[0]} labels but ${imagesFile} has ${im.dims[0]} images`);
    const n = im.dims[0]!;
    const k = classes?.length ?? 10;
    return new Dataset({
      images: im.tensor.unsqueeze(1), labels: lb.tensor, classes: classes ?? Array.from({ length: k }, (_, i) => String(i)),
      source: imagesFile, report: { source: imagesFile, policy: 'fail', loaded: n, skipped: 0, skippedFiles: [] },
    });
  });
}

/** Fashion-MNIST's class names, in label order. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Default location of Debian's Fashion-MNIST files. */
export const FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist';

/** Options of loadFashionMnist. */
export interface FashionMnistOptions {
  /** 'train' (60000) or 'test' (t10k, 10000). */
  split: 'train' | 'test';
  /** Folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. Default FASHION_MNIST_ROOT. */
  root?: string;
}

/** Loads Fashion-MNIST (uint8 [N, 1, 28, 28], 10 classes) from IDX files, gzip or raw. */
export function loadFashionMnist(o: FashionMnistOptions): Dataset {
  if (o.split !== 'train' && o.split !== 'test') throw new ConfigError(`loadFashionMnist.split must be 'train' or 'test', got ${JSON.stringify(o.split)}`);
  const root = o.root ?? FASHION_MNIST_ROOT;
  const stem = o.split === 'train' ? 'train' : 't10k';
  const pick = (kind: string): string => {
    const base = join(root, `${stem}-${kind}-ubyte`);
    for (const f of [`${base}.gz`, base]) if (existsSync(f)) return f;
    throw new DataError(`${base}[.gz]: Fashion-MNIST file not found (root ${root})`);
  };
  return readIdxDataset(pick('images-idx3'), pick('labels-idx1'), FASHION_MNIST_CLASSES);
}

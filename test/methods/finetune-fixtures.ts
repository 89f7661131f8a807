/** @module Fixtures of the finetune tests: a learnable synthetic 3-class 1x8x8 dataset, loaders, tiny models, byte snapshots, temp dirs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import { Dataset } from '../../src/data/dataset.js';
import { DataLoader } from '../../src/data/loader.js';
import { createModel } from '../../src/models/index.js';

const made: string[] = [];
process.on('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
/** A fresh temp directory (removed when the process exits). */
export function tmp(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `adaptune-ft-${tag}-`));
  made.push(d);
  return d;
}

/** n images 1x8x8: noise in [0, 100) (+shift) and a bright 3x3 patch whose corner depends on the class (0, 1, 2). */
export function makeSet(n: number, seed: number, o: { shift?: number } = {}): Dataset {
  return torch.tidy(() => {
    const g = new torch.Generator(seed);
    const labels = torch.randint(0, 3, [n], { generator: g, dtype: 'int64' });
    const img = torch.rand([n, 1, 8, 8], { generator: g }).mul(100).add(o.shift ?? 0);
    const ys = Array.from(labels.data() as BigInt64Array, Number);
    const m = new Float32Array(n * 64);
    const corners = [[0, 0], [0, 5], [5, 2]];
    ys.forEach((y, i) => { const [r, c] = corners[y]!; for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) m[i * 64 + (r! + u) * 8 + c! + v] = 150; });
    const mask = torch.tensor(m).reshape([n, 1, 8, 8]);
    const images = torch.clamp(img.add(mask), 0, 255).to('uint8');
    return new Dataset({ images, labels, classes: ['a', 'b', 'c'] });
  });
}

/** A loader without augmentation. */
export const loaderOf = (ds: Dataset, batchSize = 16, shuffle = true): DataLoader => new DataLoader(ds, { batchSize, seed: 5, shuffle, prefetch: false });

/** A tiny CIFAR ResNet-20 (width 4, 1 channel, BatchNorm everywhere) for 8x8 inputs, fixed init. */
export function tinyResNet(seed = 11) {
  torch.manualSeed(seed);
  return createModel('cifar_resnet20', { numClasses: 3, inChannels: 1, width: 4 });
}
/** A tiny small_cnn (4/8 channels) for 8x8 inputs, fixed init. */
export function tinyCnn(seed = 11, numClasses = 3) {
  torch.manualSeed(seed);
  return createModel('small_cnn', { numClasses, channels: [4, 8], inputSize: 8 });
}

/** Byte copies of tensors by name (for bit-identity checks). */
export function snapshot(entries: Iterable<[string, Tensor]>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, t] of entries) {
    const d = torch.tidy(() => t.detach().contiguous().data() as ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number });
    out.set(k, Buffer.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
  }
  return out;
}
/** Names whose bytes differ between two snapshots. */
export function changed(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  return [...a.keys()].filter((k) => !a.get(k)!.equals(b.get(k)!));
}

/**
 * @module Images that stay on disk until a batch needs them: FileImageSet (file list + labels, decoded on demand
 * by sharp with the spec's geometry) and StreamingLoader (DataLoader's batches, order, augmentation streams and
 * resumable position, from files).
 *
 * Memory bound: a StreamingLoader holds at most two decoded batches, the one handed out and the next one, which
 * is decoded by sharp's threads (libvips; `concurrency` files in flight) while the consumer trains on the
 * current one: 2 x batchSize x C x resizeTo^2 bytes of uint8 pixels plus their float32 copy for the batch handed
 * out (4 x batchSize x C x imageSize^2 bytes), whatever the number of files. E.g. batch 64 at resizeTo 256,
 * imageSize 224, RGB: 25 MB + 39 MB. data.open streams a split when its pixels would exceed maxInMemoryBytes.
 * Corrupt files: a decode failure during training is a DataError naming the file; data.open's verify pass
 * (default) decodes every file once, discarding the pixels, before it returns.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError, DataError } from '../core/errors.js';
import { Rng } from './rng.js';
import { Dataset, type CorruptPolicy, type SkippedFile } from './dataset.js';
import { decodeAll } from './decode.js';
import { toFloat, type Transform } from './transforms/base.js';
import type { BatchMix } from './transforms/mix.js';
import type { Batch, LoaderState } from './loader.js';

/** A labelled list of image files decoded on demand (resizeTo x resizeTo, shorter side resized + center crop). */
export class FileImageSet {
  readonly files: readonly string[];
  readonly classes: string[];
  readonly source: string;
  readonly geometry: { resizeTo: number; channels: 1 | 3; concurrency: number };
  readonly #labels: Int32Array;

  constructor(init: { files: readonly string[]; labels: readonly number[]; classes: string[]; source: string; resizeTo: number; channels: 1 | 3; concurrency?: number }) {
    if (init.files.length !== init.labels.length) throw new DataError(`${init.source}: ${init.files.length} files but ${init.labels.length} labels`);
    this.files = [...init.files];
    this.#labels = Int32Array.from(init.labels);
    this.classes = [...init.classes];
    this.source = init.source;
    this.geometry = { resizeTo: init.resizeTo, channels: init.channels, concurrency: init.concurrency ?? 8 };
  }
  get length(): number { return this.files.length; }
  get numClasses(): number { return this.classes.length; }
  get exampleShape(): number[] { return [this.geometry.channels, this.geometry.resizeTo, this.geometry.resizeTo]; }
  labelArray(): Int32Array { return this.#labels; }
  classCounts(): number[] { const c = new Array<number>(this.numClasses).fill(0); for (const v of this.#labels) c[v]!++; return c; }
  /** Bytes the decoded uint8 pixels of the whole set would take. */
  get pixelBytes(): number { const [c, h, w] = this.exampleShape as [number, number, number]; return this.length * c * h * w; }

  /** Decodes the given examples: uint8 images [B, C, S, S] and int64 labels (caller owns both); a corrupt file is a DataError naming it. */
  async load(indices: readonly number[]): Promise<{ images: Tensor; labels: Tensor }> {
    const s = this.geometry.resizeTo;
    const r = await decodeAll(indices.map((i) => this.files[i]!), { size: [s, s], channels: this.geometry.channels, fit: 'cover' }, 'fail', { concurrency: this.geometry.concurrency });
    const labels = torch.tensor(Int32Array.from(indices, (i) => this.#labels[i]!)).to('int64');
    return { images: r.images, labels };
  }

  /**
   * Decodes every file once, `chunk` at a time, discarding the pixels. 'fail' throws a DataError naming the first
   * file that does not decode; 'skip' returns the set without such files and lists them.
   */
  async verify(policy: CorruptPolicy = 'fail', chunk = 64): Promise<{ set: FileImageSet; skipped: SkippedFile[] }> {
    const s = this.geometry.resizeTo;
    const bad = new Set<number>();
    const skipped: SkippedFile[] = [];
    for (let i = 0; i < this.length; i += chunk) {
      const idx = Array.from({ length: Math.min(chunk, this.length - i) }, (_, k) => i + k);
      const r = await decodeAll(idx.map((j) => this.files[j]!), { size: [s, s], channels: this.geometry.channels, fit: 'cover' }, policy, { concurrency: this.geometry.concurrency });
      r.images.dispose();
      for (const x of r.skipped) { skipped.push(x); bad.add(idx[this.files.slice(i, i + chunk).indexOf(x.file)]!); }
    }
    if (bad.size === 0) return { set: this, skipped };
    const keep = this.files.flatMap((_, j) => (bad.has(j) ? [] : [j]));
    const set = new FileImageSet({ files: keep.map((j) => this.files[j]!), labels: keep.map((j) => this.#labels[j]!), classes: this.classes, source: this.source, resizeTo: s, channels: this.geometry.channels, concurrency: this.geometry.concurrency });
    return { set, skipped };
  }

  /** Everything decoded into an in-memory Dataset; with 'skip', files that do not decode are left out and listed. */
  async toDataset(policy: CorruptPolicy = 'fail'): Promise<{ dataset: Dataset; skipped: SkippedFile[] }> {
    const s = this.geometry.resizeTo;
    const r = await decodeAll(this.files, { size: [s, s], channels: this.geometry.channels, fit: 'cover' }, policy, { concurrency: this.geometry.concurrency });
    if (r.kept.length === 0) { r.images.dispose(); throw new DataError(`${this.source}: no image could be decoded (${r.skipped.length} files)`); }
    const labels = torch.tensor(Int32Array.from(r.kept, (i) => this.#labels[i]!)).to('int64');
    return { dataset: new Dataset({ images: r.images, labels, classes: this.classes, source: this.source }), skipped: r.skipped };
  }
  describe(): { source: string; length: number; shape: number[]; classes: string[]; classCounts: number[]; streamed: true } {
    return { source: this.source, length: this.length, shape: this.exampleShape, classes: this.classes, classCounts: this.classCounts(), streamed: true };
  }
  /** Nothing to free (the pixels live in batches); for symmetry with Dataset. */
  dispose(): void { /* nothing held */ }
}

/** Options of a StreamingLoader (as DataLoader's, without views). */
export interface StreamingLoaderOptions { batchSize: number; seed: number; shuffle?: boolean; dropLast?: boolean; transform?: Transform | null; mix?: BatchMix | null }

/** DataLoader's batches from a FileImageSet: same order (Rng.derive(seed, 'shuffle', epoch)), same augmentation streams. */
export class StreamingLoader {
  readonly set: FileImageSet;
  readonly o: Required<StreamingLoaderOptions>;
  #epoch = 0;
  #index = 0;
  constructor(set: FileImageSet, o: StreamingLoaderOptions) {
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new ConfigError(`StreamingLoader.batchSize must be an integer >= 1, got ${JSON.stringify(o.batchSize)}`);
    if (!Number.isSafeInteger(o.seed)) throw new ConfigError(`StreamingLoader.seed must be a safe integer, got ${JSON.stringify(o.seed)}`);
    if (o.dropLast && o.batchSize > set.length) throw new ConfigError(`StreamingLoader.batchSize must be <= the set size (${set.length}) with dropLast, got ${o.batchSize}`);
    this.set = set;
    this.o = { batchSize: o.batchSize, seed: o.seed, shuffle: o.shuffle ?? true, dropLast: o.dropLast ?? false, transform: o.transform ?? null, mix: o.mix ?? null };
  }
  get numBatches(): number { const n = this.set.length; return this.o.dropLast ? Math.floor(n / this.o.batchSize) : Math.ceil(n / this.o.batchSize); }
  order(epoch: number): number[] {
    const n = this.set.length;
    return this.o.shuffle ? Rng.derive(this.o.seed, 'shuffle', epoch).permutation(n) : Array.from({ length: n }, (_, i) => i);
  }
  state(): LoaderState { return { epoch: this.#epoch, index: this.#index, seed: this.o.seed }; }
  load(s: LoaderState): void {
    if (s.seed !== this.o.seed) throw new ConfigError(`StreamingLoader.load: state.seed ${s.seed} differs from the loader's ${this.o.seed}`);
    if (!Number.isInteger(s.index) || s.index < 0 || s.index > this.numBatches) throw new ConfigError(`StreamingLoader.load: state.index must be in [0, ${this.numBatches}], got ${s.index}`);
    [this.#epoch, this.#index] = s.index === this.numBatches ? [s.epoch + 1, 0] : [s.epoch, s.index];
  }
  #indices(epoch: number, i: number, order: number[]): number[] { return order.slice(i * this.o.batchSize, Math.min((i + 1) * this.o.batchSize, this.set.length)); }
  #finish(raw: { images: Tensor; labels: Tensor }, indices: number[], epoch: number, i: number): Batch {
    try {
      return torch.tidy(() => {
        const f = toFloat(raw.images);
        let x = this.o.transform ? this.o.transform.apply(f, Rng.derive(this.o.seed, 'augment', epoch, i)) : f;
        let y = raw.labels.clone();
        let yB: Tensor | null = null;
        let lambda: number | null = null;
        if (this.o.mix) { const m = this.o.mix.mix(x, y, Rng.derive(this.o.seed, 'mix', epoch, i)); [x, y, yB, lambda] = [m.x, m.yA, m.yB, m.lambda]; }
        return { x, y, mask: null, views: {}, yB, lambda, indices, epoch, index: i };
      });
    } finally { raw.images.dispose(); raw.labels.dispose(); }
  }
  /** Batch i of epoch e (decoded now); the caller owns it. */
  async batchAt(epoch: number, i: number): Promise<Batch> {
    if (!Number.isInteger(i) || i < 0 || i >= this.numBatches) throw new RangeError(`StreamingLoader.batchAt: batch ${i} outside [0, ${this.numBatches})`);
    const idx = this.#indices(epoch, i, this.order(epoch));
    return this.#finish(await this.set.load(idx), idx, epoch, i);
  }
  /** Yields the rest of the current epoch; batch i + 1 is decoded while the consumer works on batch i. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    const epoch = this.#epoch;
    const order = this.order(epoch);
    let ahead: Promise<{ images: Tensor; labels: Tensor }> | null = null;
    try {
      while (this.#epoch === epoch && this.#index < this.numBatches) {
        const i = this.#index;
        const raw = await (ahead ?? this.set.load(this.#indices(epoch, i, order)));
        ahead = i + 1 < this.numBatches ? this.set.load(this.#indices(epoch, i + 1, order)) : null;
        ahead?.catch(() => { /* surfaced when awaited */ });
        [this.#epoch, this.#index] = i + 1 === this.numBatches ? [epoch + 1, 0] : [epoch, i + 1];
        yield this.#finish(raw, this.#indices(epoch, i, order), epoch, i);
      }
    } finally {
      if (ahead) ahead.then((r) => { r.images.dispose(); r.labels.dispose(); }, () => { /* already reported */ });
    }
  }
}

/**
 * @module DataLoader: seeded shuffling, batching, drop-last, augmentation,
 * one-batch-ahead preparation, and a resumable position.
 *
 * Determinism: the order of epoch e is Rng.derive(seed, 'shuffle', e)'s
 * permutation (recomputable without replaying earlier epochs); batch i of
 * epoch e is augmented with Rng.derive(seed, 'augment', e, i) (extra views with
 * Rng.derive(seed, 'augment', name, e, i), mixing with Rng.derive(seed, 'mix', e, i)).
 * So batchAt(e, i) is a pure function of (dataset, config, seed, e, i), and
 * resuming from state() gives exactly the batches an uninterrupted run gives.
 *
 * Position: state() = { epoch, index, seed } where index is the number of
 * batches of `epoch` already handed out (after the last batch of an epoch the
 * state is { epoch + 1, 0 }). load(state) moves there.
 *
 * Iteration: `for await (const b of loader)` yields the rest of the current
 * epoch and then the position moves to the next epoch. Each step awaits a
 * setImmediate turn, so timers, I/O and tensor finalizers run between batches.
 *
 * Prefetch, honestly: the addon's ops are synchronous on the JS thread, so
 * nothing runs in parallel with the consumer's own (synchronous) tensor work.
 * With prefetch on, batch i + 1 is prepared in a setImmediate callback queued
 * when batch i is handed out: it runs whenever the consumer awaits something
 * (I/O, a log write, its own yield) and is otherwise built on demand. The gather
 * and conversion themselves use libtorch's intra-op threads.
 *
 * Ownership: every tensor of a Batch belongs to the consumer, who disposes it
 * (`torch.dispose(batch)`, or run the step inside torch.tidy and dispose after).
 * A batch prepared ahead and never handed out is disposed by the loader when
 * iteration stops (break, return, throw, or load()).
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import { Rng } from './rng.js';
import type { Dataset } from './dataset.js';
import { toFloat, type Transform } from './transforms/base.js';
import type { BatchMix } from './transforms/mix.js';

/** Options of a DataLoader. */
export interface LoaderOptions {
  /** Examples per batch, >= 1. */
  batchSize: number;
  /** Seed of shuffling and augmentation (a safe integer). */
  seed: number;
  /** Shuffle each epoch (default true); false gives 0..N-1. */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Applied to the float [B, C, H, W] batch in [0, 1] (after uint8 -> float). */
  transform?: Transform | null;
  /** More views of the same examples (e.g. { strong } for FixMatch), each from its own stream. */
  views?: Record<string, Transform>;
  /** MixUp/CutMix on x and y after the transform. */
  mix?: BatchMix | null;
  /** Prepare the next batch one step ahead (default true). */
  prefetch?: boolean;
}

/** One batch; every tensor is owned by the consumer. */
export interface Batch {
  /** float32 [B, C, H, W] (transformed, mixed if `mix`). */
  x: Tensor;
  /** int64 [B] labels (yA when mixed). */
  y: Tensor;
  /** uint8 [B, 1, H, W] masks when the dataset has them (not transformed). */
  mask: Tensor | null;
  /** Extra views by name. */
  views: Record<string, Tensor>;
  /** Partner labels and lambda when `mix` is set. */
  yB: Tensor | null;
  lambda: number | null;
  /** Dataset indices of the examples. */
  indices: number[];
  epoch: number;
  /** Batch index within the epoch. */
  index: number;
}

/** A resumable loader position. */
export interface LoaderState { epoch: number; index: number; seed: number }

/** Batches a Dataset; see the module doc for determinism, prefetch and ownership. */
export class DataLoader {
  readonly dataset: Dataset;
  readonly o: Required<Omit<LoaderOptions, 'transform' | 'mix' | 'views'>> & { transform: Transform | null; mix: BatchMix | null; views: Record<string, Transform> };
  #epoch = 0;
  #index = 0;
  #seed: number;
  #orderCache: { epoch: number; order: number[] } | null = null;
  /** Batches handed out by iteration, and how many of them were prepared ahead. */
  readonly stats = { delivered: 0, prefetched: 0 };

  /** Validates options (ConfigError naming the field). */
  constructor(dataset: Dataset, o: LoaderOptions) {
    const bad = (field: string, allowed: string, v: unknown): never => { throw new ConfigError(`DataLoader.${field} must be ${allowed}, got ${JSON.stringify(v)}`); };
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) bad('batchSize', 'an integer >= 1', o.batchSize);
    if (!Number.isSafeInteger(o.seed)) bad('seed', 'a safe integer', o.seed);
    for (const k of ['shuffle', 'dropLast', 'prefetch'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') bad(k, 'a boolean', o[k]);
    if (o.dropLast && o.batchSize > dataset.length) bad('batchSize', `<= the dataset size (${dataset.length}) with dropLast`, o.batchSize);
    this.dataset = dataset;
    this.o = {
      batchSize: o.batchSize, seed: o.seed, shuffle: o.shuffle ?? true, dropLast: o.dropLast ?? false, prefetch: o.prefetch ?? true,
      transform: o.transform ?? null, mix: o.mix ?? null, views: { ...(o.views ?? {}) },
    };
    this.#seed = o.seed;
  }

  /** Batches per epoch. */
  get numBatches(): number {
    const n = this.dataset.length;
    return this.o.dropLast ? Math.floor(n / this.o.batchSize) : Math.ceil(n / this.o.batchSize);
  }

  /** The example order of an epoch (a pure function of seed and epoch). */
  order(epoch: number): number[] {
    if (this.#orderCache?.epoch === epoch) return this.#orderCache.order;
    const n = this.dataset.length;
    const order = this.o.shuffle ? Rng.derive(this.#seed, 'shuffle', epoch).permutation(n) : Array.from({ length: n }, (_, i) => i);
    this.#orderCache = { epoch, order };
    return order;
  }

  /** The current position. */
  state(): LoaderState { return { epoch: this.#epoch, index: this.#index, seed: this.#seed }; }

  /** Moves to a position from state() (its seed included). */
  load(s: LoaderState): void {
    if (!s || !Number.isInteger(s.epoch) || s.epoch < 0) throw new ConfigError(`DataLoader.load: state.epoch must be an integer >= 0, got ${JSON.stringify(s?.epoch)}`);
    if (!Number.isInteger(s.index) || s.index < 0 || s.index > this.numBatches) throw new ConfigError(`DataLoader.load: state.index must be an integer in [0, ${this.numBatches}], got ${JSON.stringify(s.index)}`);
    if (!Number.isSafeInteger(s.seed)) throw new ConfigError(`DataLoader.load: state.seed must be a safe integer, got ${JSON.stringify(s.seed)}`);
    if (s.seed !== this.#seed) this.#orderCache = null;
    this.#seed = s.seed;
    [this.#epoch, this.#index] = s.index === this.numBatches ? [s.epoch + 1, 0] : [s.epoch, s.index];
  }

  /** Builds batch i of epoch e (synchronous, deterministic); the caller owns it. */
  batchAt(epoch: number, i: number): Batch {
    if (!Number.isInteger(i) || i < 0 || i >= this.numBatches) throw new RangeError(`DataLoader.batchAt: batch ${i} outside [0, ${this.numBatches})`);
    const bs = this.o.batchSize;
    const indices = this.order(epoch).slice(i * bs, Math.min((i + 1) * bs, this.dataset.length));
    const seed = this.#seed;
    return torch.tidy(() => {
      const idx = torch.tensor(Int32Array.from(indices)).to('int64');
      const raw = toFloat(this.dataset.images.indexSelect(0, idx));
      let x = this.o.transform ? this.o.transform.apply(raw, Rng.derive(seed, 'augment', epoch, i)) : raw;
      let y = this.dataset.labels.indexSelect(0, idx);
      const views: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(this.o.views)) views[name] = t.apply(raw, Rng.derive(seed, 'augment', name, epoch, i));
      let yB: Tensor | null = null;
      let lambda: number | null = null;
      if (this.o.mix) {
        const m = this.o.mix.mix(x, y, Rng.derive(seed, 'mix', epoch, i));
        [x, y, yB, lambda] = [m.x, m.yA, m.yB, m.lambda];
      }
      const mask = this.dataset.masks ? this.dataset.masks.indexSelect(0, idx) : null;
      return { x, y, mask, views, yB, lambda, indices, epoch, index: i };
    });
  }

  /** Yields the rest of the current epoch (see the module doc). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    const slot: { ahead: Batch | null } = { ahead: null };
    let timer: NodeJS.Immediate | null = null;
    const epoch = this.#epoch;
    try {
      while (this.#epoch === epoch && this.#index < this.numBatches) {
        const i = this.#index;
        if (timer) { clearImmediate(timer); timer = null; }
        let b: Batch;
        const ahead = slot.ahead;
        slot.ahead = null;
        if (ahead && ahead.epoch === epoch && ahead.index === i) { b = ahead; this.stats.prefetched++; }
        else {
          if (ahead) torch.dispose(ahead);
          b = this.batchAt(epoch, i);
        }
        [this.#epoch, this.#index] = i + 1 === this.numBatches ? [epoch + 1, 0] : [epoch, i + 1];
        if (this.o.prefetch && i + 1 < this.numBatches) {
          timer = setImmediate(() => { timer = null; if (!slot.ahead) slot.ahead = keepBatch(this.batchAt(epoch, i + 1)); });
        }
        await new Promise<void>((r) => setImmediate(r));
        this.stats.delivered++;
        yield b;
      }
    } finally {
      if (timer) clearImmediate(timer);
      if (slot.ahead) torch.dispose(slot.ahead);
    }
  }
}

function keepBatch(b: Batch): Batch {
  for (const t of [b.x, b.y, b.mask, b.yB, ...Object.values(b.views)]) if (t) torch.keep(t);
  return b;
}

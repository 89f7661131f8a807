/**
 * @module SemisupSource: the labelled and unlabelled streams as one resumable BatchSource for the engine.
 *
 * An epoch has `stepsPerEpoch` batches (the official per_epoch_steps). Global batch g = epoch * stepsPerEpoch
 * + index takes labelled batch (g mod nL) of pass floor(g / nL) of a shuffled, drop-last DataLoader (batch B,
 * weak view) and likewise unlabelled batch (g mod nU) of pass floor(g / nU) (batch mu x B) with its views: the
 * weak view plus `views` more (FixMatch: the strong view; Pseudo Label / Mean Teacher: a second weak view;
 * MixMatch: K - 1 more weak views). Every batch is a pure function of (datasets, options, seed, g), so the
 * position { epoch, index, seed } is all the state there is, and a resumed run sees the same batches.
 * The unlabelled labels are never read.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { DataLoader } from '../../data/loader.js';
import type { Dataset } from '../../data/dataset.js';
import { Rng } from '../../data/rng.js';
import type { Transform } from '../../data/transforms/index.js';
import type { BatchSource, SourceState } from '../../train/index.js';

/** One training batch; every tensor is owned by the consumer (the engine disposes it). */
export interface SemisupBatch {
  /** Weakly augmented labelled images [B, C, H, W] and their labels (int64 [B]). */
  xl: Tensor;
  yl: Tensor;
  /** Views of the unlabelled batch [muB, C, H, W]: u[0] weak, then the extra views in order ([] without unlabelled data). */
  u: Tensor[];
}

/** Options of the source. */
export interface SemisupSourceOptions {
  batchSize: number;
  mu: number;
  stepsPerEpoch: number;
  seed: number;
  /** Transform of the labelled images and of the unlabelled weak view. */
  weak: Transform;
  /** Further unlabelled views, in order (each from its own random stream). */
  views: Transform[];
}

/** The two streams as one BatchSource (see the module doc). */
export class SemisupSource implements BatchSource<SemisupBatch> {
  #epoch = 0;
  #index = 0;
  #seed: number;
  #l!: DataLoader;
  #u: DataLoader | null = null;

  /** unlabelled null: labelled batches only (the supervised baseline). */
  constructor(readonly labelled: Dataset, readonly unlabelled: Dataset | null, readonly o: SemisupSourceOptions) {
    if (!Number.isInteger(o.stepsPerEpoch) || o.stepsPerEpoch < 1) throw new ConfigError(`SemisupSource.stepsPerEpoch must be an integer >= 1, got ${JSON.stringify(o.stepsPerEpoch)}`);
    if (!Number.isInteger(o.mu) || o.mu < 1) throw new ConfigError(`SemisupSource.mu must be an integer >= 1, got ${JSON.stringify(o.mu)}`);
    if (labelled.length < o.batchSize) throw new ConfigError(`SemisupSource.batchSize (${o.batchSize}) exceeds the labelled set (${labelled.length} images)`);
    if (unlabelled && unlabelled.length < o.batchSize * o.mu) throw new ConfigError(`SemisupSource: mu x batchSize (${o.mu * o.batchSize}) exceeds the unlabelled set (${unlabelled.length} images)`);
    this.#seed = o.seed;
    this.#build();
  }

  #build(): void {
    const { o } = this;
    this.#l = new DataLoader(this.labelled, { batchSize: o.batchSize, seed: this.#seed, dropLast: true, prefetch: false, transform: o.weak });
    if (!this.unlabelled) return;
    const views = Object.fromEntries(o.views.map((t, i) => [`v${i + 1}`, t]));
    const useed = Rng.derive(this.#seed, 'unlabelled').int(2 ** 31);
    this.#u = new DataLoader(this.unlabelled, { batchSize: o.batchSize * o.mu, seed: useed, dropLast: true, prefetch: false, transform: o.weak, views });
  }

  get numBatches(): number { return this.o.stepsPerEpoch; }

  state(): SourceState { return { epoch: this.#epoch, index: this.#index, seed: this.#seed }; }

  load(s: SourceState): void {
    if (!s || !Number.isInteger(s.epoch) || s.epoch < 0) throw new ConfigError(`SemisupSource.load: state.epoch must be an integer >= 0, got ${JSON.stringify(s?.epoch)}`);
    if (!Number.isInteger(s.index) || s.index < 0 || s.index > this.numBatches) throw new ConfigError(`SemisupSource.load: state.index must be an integer in [0, ${this.numBatches}], got ${JSON.stringify(s.index)}`);
    if (!Number.isSafeInteger(s.seed)) throw new ConfigError(`SemisupSource.load: state.seed must be a safe integer, got ${JSON.stringify(s.seed)}`);
    if (s.seed !== this.#seed) { this.#seed = s.seed; this.#build(); }
    [this.#epoch, this.#index] = s.index === this.numBatches ? [s.epoch + 1, 0] : [s.epoch, s.index];
  }

  /** Batch `index` of `epoch` (synchronous, deterministic); the caller owns it. */
  batchAt(epoch: number, index: number): SemisupBatch {
    const g = epoch * this.o.stepsPerEpoch + index;
    const at = (dl: DataLoader) => dl.batchAt(Math.floor(g / dl.numBatches), g % dl.numBatches);
    const l = at(this.#l);
    torch.dispose(l.mask, l.yB);
    if (!this.#u) return { xl: l.x, yl: l.y, u: [] };
    const u = at(this.#u);
    u.y.dispose();
    torch.dispose(u.mask, u.yB);
    return { xl: l.x, yl: l.y, u: [u.x, ...this.o.views.map((_, i) => u.views[`v${i + 1}`]!)] };
  }

  /** Yields the rest of the current epoch, one setImmediate turn per batch. */
  async *[Symbol.asyncIterator](): AsyncGenerator<SemisupBatch, void, undefined> {
    const epoch = this.#epoch;
    while (this.#epoch === epoch && this.#index < this.numBatches) {
      const i = this.#index;
      const b = this.batchAt(epoch, i);
      [this.#epoch, this.#index] = i + 1 === this.numBatches ? [epoch + 1, 0] : [epoch, i + 1];
      await new Promise<void>((r) => setImmediate(r));
      yield b;
    }
  }
}

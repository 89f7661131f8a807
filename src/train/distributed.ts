/**
 * @module Data-parallel training (DDP by hand, over src/core/distributed.ts).
 * The Trainer switches it on by itself when a process group with more than one
 * rank exists (the CLI's `--nproc` launcher creates one), so every method runs
 * under it unchanged:
 * - start: rank 0's parameters and buffers are broadcast to every rank;
 * - data: each rank takes every worldSize-th batch of the task's BatchSource
 *   (ShardedSource): disjoint shares of one seeded order, so global step s
 *   sees exactly the batches s*W .. s*W+W-1 that one process would;
 * - gradients are averaged across ranks in fixed buckets; with `overlap` (the
 *   default where the addon has the autograd hooks) a bucket's all-reduce starts
 *   inside the last micro-batch's backward pass as soon as its gradients are
 *   final (GradientReducer), otherwise after backward; then one small all-reduce
 *   agrees on the loss and the skip/stop flags, so every rank steps, skips and
 *   stops alike (docs/distributed.md);
 * - floating buffers (BatchNorm running statistics) are averaged (or rank 0's
 *   broadcast) before each evaluation and checkpoint; batch statistics inside
 *   the forward pass stay per rank unless `syncBatchNorm` is on;
 * - randomness: the loader's shuffle and augmentation streams are derived per
 *   global batch index, so ranks augment their different batches differently;
 *   libtorch's generator (dropout, random ops in a task) is reseeded at each
 *   step from (seed, rank, step) (rankStepSeed) and the task's JS stream is
 *   Rng.derive(seed, 'task', step, micro, 'rank', rank), so no two ranks draw
 *   the same masks, and a resumed run draws what the uninterrupted one did;
 * - only rank 0 writes (checkpoints, metrics, summaries, events).
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import * as dist from '../core/distributed.js';
import { ConfigError } from '../core/errors.js';
import type { AnyModule } from '../core/nn/module.js';
import { Rng } from '../core/rng.js';
import type { BatchSource, SourceState } from './task.js';
import type { TrainConfig } from './config.js';
import { convertSyncBatchNorm } from './sync-batchnorm.js';

/** The libtorch seed of rank `rank` at step `step` under data parallelism (a 32-bit integer derived from the run's seed). */
export function rankStepSeed(seed: number, rank: number, step: number): number {
  return Rng.derive(seed, 'torch', 'rank', rank, 'step', step).u32();
}

/** Options of the data-parallel mode. */
export interface DataParallelOptions {
  /** Gradient bucket size in MiB (PyTorch DDP's bucket_cap_mb; default 25). */
  bucketMb?: number;
  /** Floating buffers before evaluation and checkpoints: 'average' (default), 'broadcast' (rank 0's) or 'none'. */
  buffers?: 'average' | 'broadcast' | 'none';
  /**
   * Start each bucket's all-reduce inside the backward pass of an accumulation cycle's last micro-batch, as
   * soon as its gradients are final (default: true where the addon has the gradient hooks). false: all
   * buckets go after backward returns.
   */
  overlap?: boolean;
  /**
   * Batch norm statistics over the global batch while training (PyTorch's SyncBatchNorm; src/train/sync-batchnorm.ts):
   * every BatchNorm1d/2d of the model is switched over in start() and back in dispose(). Default false (per-rank statistics).
   */
  syncBatchNorm?: boolean;
}

/**
 * The data-parallel options of a run: the config's `parallel` section (null overlap: the default), with the
 * fields of `explicit` (TrainOptions.parallel, given in code) taking precedence.
 */
export function dataParallelOptions(config: TrainConfig<object>['parallel'], explicit?: DataParallelOptions): DataParallelOptions {
  const { overlap, ...rest } = config;
  return { ...rest, ...(overlap === null ? {} : { overlap }), ...explicit };
}

/** A sharded source's position: the rank's own batch index, plus the world size it was taken with. */
export interface ShardedState extends SourceState { worldSize: number }

type WithBatchAt<B> = BatchSource<B> & { batchAt(epoch: number, i: number): B };
const hasBatchAt = <B>(s: BatchSource<B>): s is WithBatchAt<B> => typeof (s as Partial<WithBatchAt<B>>).batchAt === 'function';

/**
 * Rank r's share of a BatchSource: batches r, r+W, r+2W, ... of each epoch
 * (the last numBatches % W batches of an epoch are dropped, so ranks stay in step).
 * Sources with batchAt(epoch, i) (the DataLoader) build only their own batches;
 * others are positioned with load() and read one batch at a time.
 */
export class ShardedSource<B> implements BatchSource<B> {
  readonly numBatches: number;
  #epoch = 0;
  #index = 0;
  #seed = 0;
  constructor(readonly inner: BatchSource<B>, readonly rank: number, readonly worldSize: number) {
    this.numBatches = Math.floor(inner.numBatches / worldSize);
    if (this.numBatches < 1) throw new ConfigError(`data-parallel: the data source has ${inner.numBatches} batches per epoch, fewer than the ${worldSize} processes; use a smaller batch size or fewer processes`);
    this.#seed = inner.state().seed;
  }

  /** The global batch index of this rank's batch j. */
  globalIndex(j: number): number { return j * this.worldSize + this.rank; }

  state(): ShardedState { return { epoch: this.#epoch, index: this.#index, seed: this.#seed, worldSize: this.worldSize }; }

  load(s: SourceState): void {
    const w = (s as Partial<ShardedState>).worldSize;
    if (w !== undefined && w !== this.worldSize) throw new ConfigError(`data-parallel: this position was taken with ${w} processes; resume with --nproc ${w} (got ${this.worldSize})`);
    if (w === undefined && s.index !== 0) throw new ConfigError(`data-parallel: a single-process position mid-epoch (batch ${s.index}) cannot be sharded; resume it without --nproc`);
    if (!Number.isInteger(s.index) || s.index < 0 || s.index > this.numBatches) throw new ConfigError(`ShardedSource.load: state.index must be an integer in [0, ${this.numBatches}], got ${JSON.stringify(s.index)}`);
    this.#seed = s.seed;
    [this.#epoch, this.#index] = s.index === this.numBatches ? [s.epoch + 1, 0] : [s.epoch, s.index];
    this.inner.load({ epoch: this.#epoch, index: 0, seed: s.seed });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    const epoch = this.#epoch;
    while (this.#epoch === epoch && this.#index < this.numBatches) {
      const j = this.#index;
      const b = await this.#batch(epoch, this.globalIndex(j));
      [this.#epoch, this.#index] = j + 1 === this.numBatches ? [epoch + 1, 0] : [epoch, j + 1];
      yield b;
    }
  }

  async #batch(epoch: number, i: number): Promise<B> {
    if (hasBatchAt(this.inner)) return this.inner.batchAt(epoch, i);
    this.inner.load({ epoch, index: i, seed: this.#seed });
    const it = this.inner[Symbol.asyncIterator]();
    const r = await it.next();
    await it.return?.();
    if (r.done) throw new Error(`data-parallel: the source yielded no batch ${i} of epoch ${epoch}`);
    return r.value;
  }
}

/** What each rank brings to the per-cycle agreement. */
export interface CycleLocal { bad: string | null; stop: boolean; lossSum: number; count: number }
/** What every rank leaves it with. */
export interface CycleAgreed {
  bad: string | null; stop: boolean; lossSum: number; count: number;
  /** Milliseconds reduce() took (the all-reduce time left exposed after backward). */
  commMs: number;
  /** Gradient buckets whose all-reduce started before backward returned (0 without overlap). */
  early: number;
}

/** The data-parallel hooks the Trainer calls. */
export class DataParallel {
  readonly rank: number;
  readonly worldSize: number;
  readonly bucketBytes: number;
  readonly buffers: 'average' | 'broadcast' | 'none';
  /** Whether gradient all-reduces overlap the backward pass (DataParallelOptions.overlap). */
  readonly overlap: boolean;
  /** Milliseconds spent in the gradient all-reduce after backward (summed over steps; for the benchmark). */
  commMs = 0;
  readonly syncBatchNorm: boolean;
  #unsync: (() => void) | null = null;
  /** The hooked reducer of the overlapped path, for the parameter list it was built for. */
  #reducer: { r: dist.GradientReducer; params: Tensor[]; trainable: boolean[] } | null = null;

  constructor(o: DataParallelOptions = {}) {
    this.rank = dist.getRank();
    this.worldSize = dist.getWorldSize();
    const mb = o.bucketMb ?? 25;
    if (!(Number.isFinite(mb) && mb > 0)) throw new ConfigError(`data-parallel: bucketMb must be a number > 0, got ${mb}`);
    this.bucketBytes = mb * 1024 * 1024;
    this.buffers = o.buffers ?? 'average';
    if (!['average', 'broadcast', 'none'].includes(this.buffers)) throw new ConfigError(`data-parallel: buffers must be 'average', 'broadcast' or 'none', got '${this.buffers}'`);
    if (o.overlap !== undefined && typeof o.overlap !== 'boolean') throw new ConfigError(`data-parallel: overlap must be a boolean, got ${JSON.stringify(o.overlap)}`);
    if (o.overlap && !dist.hasGradientHooks()) throw new ConfigError('data-parallel: overlap needs the addon\'s gradient hooks; rebuild it (bash scripts/build-native.sh) or pass overlap: false');
    this.overlap = o.overlap ?? dist.hasGradientHooks();
    if (o.syncBatchNorm !== undefined && typeof o.syncBatchNorm !== 'boolean') throw new ConfigError(`data-parallel: syncBatchNorm must be a boolean, got ${JSON.stringify(o.syncBatchNorm)}`);
    this.syncBatchNorm = o.syncBatchNorm ?? false;
  }

  /** The DataParallel for the current process group, or null when there is none (or it has one rank). */
  static fromProcessGroup(o?: DataParallelOptions): DataParallel | null {
    return dist.isInitialized() && dist.getWorldSize() > 1 ? new DataParallel(o) : null;
  }

  /** Only rank 0 writes run files. */
  get writer(): boolean { return this.rank === 0; }

  shard<B>(src: BatchSource<B>): ShardedSource<B> { return new ShardedSource(src, this.rank, this.worldSize); }

  /** Rank 0's parameters and buffers (the model's and any other trained tensors) on every rank; switches on SyncBatchNorm when asked. */
  async start(model: AnyModule, params: Tensor[]): Promise<void> {
    if (this.syncBatchNorm) {
      this.#unsync?.();
      this.#unsync = convertSyncBatchNorm(model);
    }
    const all = [...new Set([...model.parameters(), ...model.buffers(), ...params])];
    for (const group of this.#buckets(all)) await dist.broadcast(group, 0);
  }

  /**
   * Runs `run`, the backward pass of an accumulation cycle's last micro-batch
   * (`params`: the list later given to reduce()). With overlap on, the buckets'
   * all-reduces start inside it as their gradients become final. Earlier
   * micro-batches call backward() plainly and accumulate locally (like DDP's
   * no_sync); a cycle whose last backward did not run here (e.g. skipped)
   * issues every bucket in reduce(). `roots` (the tensor(s) `run` calls
   * backward() on): parameters their graph does not reach count as ready at once,
   * so they hold no bucket back (see GradientReducer.arm).
   */
  backward<T>(params: Tensor[], run: () => T, roots?: Tensor | Tensor[]): T {
    if (!this.overlap) return run();
    const r = this.#reducerFor(params);
    r.arm(roots === undefined ? undefined : Array.isArray(roots) ? roots : [roots]);
    let ok = false;
    try {
      const out = run();
      ok = true;
      return out;
    } finally {
      r.disarm(!ok);
    }
  }

  /** Removes the gradient hooks (the next cycle installs them again) and undoes SyncBatchNorm. Idempotent. */
  dispose(): void {
    this.#reducer?.r.dispose();
    this.#reducer = null;
    this.#unsync?.();
    this.#unsync = null;
  }

  /**
   * After a cycle's backward: averages the gradients and agrees on skip/stop
   * and the mean loss. A parameter whose gradient is missing on some ranks
   * (unused there) gets zeros on those ranks first; one missing on all ranks
   * stays missing.
   */
  async reduce(params: Tensor[], local: CycleLocal): Promise<CycleAgreed> {
    return this.overlap ? this.#reduceOverlapped(params, local) : this.#reduceAfter(params, local);
  }

  /** The reducer for `params` (re-built when the list or its trainable set changed, e.g. a layer was unfrozen). */
  #reducerFor(params: Tensor[]): dist.GradientReducer {
    const trainable = params.map((p) => p.requiresGrad);
    const cur = this.#reducer;
    if (cur && cur.params.length === params.length && cur.params.every((p, i) => p === params[i]) && cur.trainable.every((t, i) => t === trainable[i])) return cur.r;
    this.#reducer?.r.dispose();
    this.#reducer = null;
    const order = params.map((_, i) => i).filter((i) => trainable[i]).reverse();
    const buckets = this.#bucketIndices(order.map((i) => params[i]!)).map((b) => b.map((k) => order[k]!));
    this.#reducer = { r: new dist.GradientReducer(params, buckets), params: [...params], trainable };
    return this.#reducer.r;
  }

  /**
   * The overlapped path: the buckets not started inside backward go now; the
   * flags all-reduce is issued after them (same order on every rank). A bucketed
   * parameter without a gradient on every rank has its zeros removed again;
   * parameters outside the buckets (not requiring grad) that have a gradient
   * somewhere are averaged after, as in #reduceAfter.
   */
  async #reduceOverlapped(params: Tensor[], local: CycleLocal): Promise<CycleAgreed> {
    const t0 = performance.now();
    const r = this.#reducerFor(params);
    const { have, early } = r.finish();
    const flags = torch.tensor([local.bad ? 1 : 0, local.stop ? 1 : 0, local.lossSum, local.count, ...have], { dtype: 'float64' });
    let f: number[];
    try {
      const settled = await Promise.allSettled([r.wait(), dist.allReduce(flags, 'sum')]);
      for (const s of settled) if (s.status === 'rejected') throw s.reason;
      f = Array.from(flags.data() as Float64Array);
    } finally {
      flags.dispose();
    }
    const [badRanks, stopRanks, lossSum, count] = f as [number, number, number, number];
    const bad = local.bad ?? (badRanks > 0 ? `non-finite values on ${badRanks} of ${this.worldSize} ranks` : null);
    const inBucket = new Set(r.buckets.flat());
    const extra: Tensor[] = [];
    params.forEach((p, i) => {
      const any = f[4 + i]! > 0;
      if (inBucket.has(i)) { if (!any) p.grad = null; return; }
      if (!any || bad) return;
      if (!have[i]) { const z = torch.noGrad(() => torch.zerosLike(p)); p.grad = z; z.dispose(); }
      const g = p.grad!;
      extra.push(g);
    });
    try {
      if (extra.length) await Promise.all(this.#buckets(extra.reverse()).map((b) => dist.allReduce(b, 'avg')));
    } finally {
      for (const g of extra) g.dispose();
    }
    const commMs = performance.now() - t0;
    this.commMs += commMs;
    return { bad, stop: stopRanks > 0, lossSum, count, commMs, early };
  }

  /** The non-overlapped path: flags first, then every bucket after backward. */
  async #reduceAfter(params: Tensor[], local: CycleLocal): Promise<CycleAgreed> {
    const t0 = performance.now();
    const grads = params.map((p) => p.grad);
    try {
      const flags = torch.tensor([local.bad ? 1 : 0, local.stop ? 1 : 0, local.lossSum, local.count, ...grads.map((g) => (g ? 1 : 0))], { dtype: 'float64' });
      let f: number[];
      try {
        await dist.allReduce(flags, 'sum');
        f = Array.from(flags.data() as Float64Array);
      } finally {
        flags.dispose();
      }
      const [badRanks, stopRanks, lossSum, count] = f as [number, number, number, number];
      const bad = local.bad ?? (badRanks > 0 ? `non-finite values on ${badRanks} of ${this.worldSize} ranks` : null);
      if (!bad) {
        const live: Tensor[] = [];
        grads.forEach((g, i) => {
          const have = f[4 + i]!;
          if (have === 0) return;
          if (!g) {
            const p = params[i]!;
            const z = torch.noGrad(() => torch.zerosLike(p));
            p.grad = z;
            z.dispose();
            grads[i] = p.grad;
          }
          live.push(grads[i]!);
        });
        await Promise.all(this.#buckets(live.reverse()).map((b) => dist.allReduce(b, 'avg')));
      }
      const commMs = performance.now() - t0;
      this.commMs += commMs;
      return { bad, stop: stopRanks > 0, lossSum, count, commMs, early: 0 };
    } finally {
      for (const g of grads) g?.dispose();
    }
  }

  /** Floating buffers (BatchNorm running stats) made equal across ranks, per `buffers`. */
  async syncBuffers(model: AnyModule): Promise<void> {
    if (this.buffers === 'none') return;
    const bufs = model.buffers();
    const floating = bufs.filter((b) => torch.isFloating(b.dtype));
    const other = bufs.filter((b) => !torch.isFloating(b.dtype));
    if (this.buffers === 'average') await Promise.all(this.#buckets(floating).map((b) => dist.allReduce(b, 'avg')));
    else await Promise.all(this.#buckets(floating).map((b) => dist.broadcast(b, 0)));
    await Promise.all(this.#buckets(other).map((b) => dist.broadcast(b, 0)));
  }

  /** Tensors split into buckets of one dtype and at most bucketBytes each (order kept). */
  #buckets(ts: Tensor[]): Tensor[][] { return this.#bucketIndices(ts).map((b) => b.map((i) => ts[i]!)); }

  /** #buckets as positions in `ts`. */
  #bucketIndices(ts: Tensor[]): number[][] {
    const out: number[][] = [];
    const open = new Map<string, { list: number[]; bytes: number }>();
    ts.forEach((t, i) => {
      const bytes = t.numel() * torch.DTYPE_SIZE[t.dtype];
      let cur = open.get(t.dtype);
      if (!cur || (cur.bytes > 0 && cur.bytes + bytes > this.bucketBytes)) {
        cur = { list: [], bytes: 0 };
        open.set(t.dtype, cur);
        out.push(cur.list);
      }
      cur.list.push(i);
      cur.bytes += bytes;
    });
    return out;
  }
}

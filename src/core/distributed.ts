/**
 * @module torch.distributed for adaptune: one default process group per
 * process over libtorch's c10d (a TCPStore rendezvous and ProcessGroupGloo;
 * native/src/dist.cc). PyTorch's names in camelCase: initProcessGroup,
 * allReduce, broadcast, allGather, barrier, destroyProcessGroup, getRank,
 * getWorldSize. Collectives work in place on dense CPU tensors and return
 * promises: the op is enqueued at once (so ranks agree on the order) and its
 * completion is awaited off the JS thread. A failure or timeout rejects with a
 * DistributedError that names the rank. GradientReducer overlaps gradient
 * all-reduces with backward (autograd hooks); allReduceSumGrad is a
 * differentiable, blocking all-reduce (SyncBatchNorm).
 */
import { native as N } from './tensor/native.js';
import { wrap, wrapAll, type Tensor } from './tensor/tensor.js';

/** A collective or the rendezvous failed or timed out; the message starts with 'rank R of W: op: '. */
export class DistributedError extends Error {
  override name = 'DistributedError';
  /** This process's rank (-1 before a group exists). */
  readonly rank: number;
  readonly worldSize: number;
  /** The operation, e.g. 'allReduce' or 'initProcessGroup(127.0.0.1:29500)'. */
  readonly op: string;
  /** True when the operation ran out of time (a peer hung or never came). */
  readonly timedOut: boolean;
  constructor(message: string, o: { rank: number; worldSize: number; op: string; timedOut: boolean }) {
    super(message);
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.op = o.op;
    this.timedOut = o.timedOut;
  }
}

/** The reductions of allReduce ('avg' is sum / worldSize; Gloo has no native AVG). */
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';

/** Where and how to rendezvous; each field defaults to the torchrun environment variable. */
export interface InitOptions {
  /** 'gloo' (the only backend of a CPU libtorch). */
  backend?: 'gloo';
  /** Rank 0's host ($MASTER_ADDR, default 127.0.0.1). */
  masterAddr?: string;
  /** The TCPStore port on rank 0 ($MASTER_PORT, default 29500). */
  masterPort?: number;
  /** This process's rank ($RANK). */
  rank?: number;
  /** Number of processes ($WORLD_SIZE). */
  worldSize?: number;
  /** Per-collective timeout in ms ($ADAPTUNE_DIST_TIMEOUT_MS, default 300000). */
  timeoutMs?: number;
  /** How long the rendezvous waits for every rank to start, in ms ($ADAPTUNE_DIST_INIT_TIMEOUT_MS, default max(timeoutMs, 300000)). */
  initTimeoutMs?: number;
}

const NOT_BUILT = 'distributed support not built: install libgloo-dev and rebuild (bash scripts/build-native.sh)';

/** True when the addon was compiled with c10d Gloo support (-DUSE_C10D_GLOO). */
export function isAvailable(): boolean { return typeof N.distAvailable === 'function' && N.distAvailable() === true; }

function need(): void { if (!isAvailable()) throw new Error(NOT_BUILT); }

/** True between initProcessGroup() and destroyProcessGroup(). */
export function isInitialized(): boolean { return isAvailable() && N.distRank!() >= 0; }

function intFrom(value: number | undefined, env: string, fallback: number | null, field: string): number {
  const raw = value ?? (process.env[env] !== undefined && process.env[env] !== '' ? Number(process.env[env]) : fallback);
  if (raw === null) throw new RangeError(`initProcessGroup: ${field} is not set (pass it or set $${env})`);
  if (!Number.isSafeInteger(raw)) throw new RangeError(`initProcessGroup: ${field} must be an integer, got ${String(value ?? process.env[env])}`);
  return raw;
}

/** Converts the addon's tagged rejection into a DistributedError. */
async function typed<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const x = e as Error & { rank?: number; worldSize?: number; op?: string; timedOut?: boolean };
    if (x?.name !== 'DistributedError') throw e;
    throw new DistributedError(x.message, { rank: x.rank ?? -1, worldSize: x.worldSize ?? -1, op: x.op ?? '', timedOut: x.timedOut ?? false });
  }
}

/** Joins (or, as rank 0, hosts) the rendezvous and creates the default Gloo process group. */
export async function initProcessGroup(o: InitOptions = {}): Promise<void> {
  need();
  if ((o.backend ?? 'gloo') !== 'gloo') throw new RangeError(`initProcessGroup: backend must be 'gloo' (this libtorch has no other), got '${o.backend}'`);
  const worldSize = intFrom(o.worldSize, 'WORLD_SIZE', null, 'worldSize');
  const rank = intFrom(o.rank, 'RANK', null, 'rank');
  const port = intFrom(o.masterPort, 'MASTER_PORT', 29500, 'masterPort');
  const timeoutMs = intFrom(o.timeoutMs, 'ADAPTUNE_DIST_TIMEOUT_MS', 300_000, 'timeoutMs');
  if (worldSize < 1 || rank < 0 || rank >= worldSize) throw new RangeError(`initProcessGroup: rank must be in [0, worldSize), got rank ${rank}, worldSize ${worldSize}`);
  const initTimeoutMs = intFrom(o.initTimeoutMs, 'ADAPTUNE_DIST_INIT_TIMEOUT_MS', Math.max(timeoutMs, 300_000), 'initTimeoutMs');
  if (timeoutMs < 1 || initTimeoutMs < 1) throw new RangeError(`initProcessGroup: timeoutMs and initTimeoutMs must be >= 1, got ${timeoutMs} and ${initTimeoutMs}`);
  const addr = o.masterAddr ?? (process.env['MASTER_ADDR'] || '127.0.0.1');
  await typed(N.distInit!(addr, port, rank, worldSize, timeoutMs, initTimeoutMs) as Promise<void>);
}

/** This process's rank in the default group. */
export function getRank(): number {
  need();
  const r = N.distRank!() as number;
  if (r < 0) throw new Error('getRank: no process group: call initProcessGroup() first');
  return r;
}

/** The number of processes in the default group. */
export function getWorldSize(): number {
  need();
  const n = N.distWorldSize!() as number;
  if (n < 0) throw new Error('getWorldSize: no process group: call initProcessGroup() first');
  return n;
}

const list = (t: Tensor | Tensor[]): Tensor[] => (Array.isArray(t) ? t : [t]);

/**
 * Reduces `tensors` across ranks, in place. Several tensors (of one dtype) go
 * as one flattened bucket: one collective, results copied back. Do not touch
 * the tensors until the promise settles.
 */
export async function allReduce(tensors: Tensor | Tensor[], op: ReduceOp = 'sum'): Promise<void> {
  need();
  await typed(N.distAllReduce!(list(tensors).map((t) => t.handle), op) as Promise<void>);
}

/** Copies rank `src`'s values into `tensors` on every rank, in place (several tensors go as one bucket). */
export async function broadcast(tensors: Tensor | Tensor[], src = 0): Promise<void> {
  need();
  await typed(N.distBroadcast!(list(tensors).map((t) => t.handle), src) as Promise<void>);
}

/** Every rank's `tensor`, in rank order (new tensors; the caller owns them). */
export async function allGather(tensor: Tensor): Promise<Tensor[]> {
  need();
  return wrapAll(await typed(N.distAllGather!(tensor.handle) as Promise<never[]>));
}

/** Resolves when every rank has reached it. */
export async function barrier(): Promise<void> {
  need();
  await typed(N.distBarrier!() as Promise<void>);
}

/** Leaves the default group (closes Gloo's connections and the store); a no-op without one. */
export function destroyProcessGroup(): void {
  if (isAvailable()) N.distDestroy!();
}

/** True when the addon has the autograd hooks that overlap gradient all-reduces with backward (GradientReducer). */
export function hasGradientHooks(): boolean { return isAvailable() && typeof N.distReducerNew === 'function'; }

/** What GradientReducer.finish() reports. */
export interface ReducerFinish {
  /** Per parameter: 1 if it had a gradient when backward returned (before zero-filling), else 0. */
  have: number[];
  /** Buckets launched before the backward pass returned (by arm() or from inside it; the rest by finish()). */
  early: number;
}

/**
 * Overlaps the gradient all-reduce with backward (c10d's Reducer, by hand;
 * native/src/dist.cc): a post hook on each bucketed parameter's gradient
 * accumulator marks it ready, and bucket i's all-reduce (a sum) is issued from
 * inside the backward pass once all its parameters are ready and buckets
 * 0..i-1 are issued. `buckets` (parameter indices) must be the same on every
 * rank. Per cycle: arm() before the backward pass, disarm() after it, finish() (gives
 * missing gradients of bucketed parameters zeros, issues the buckets not yet
 * issued), then wait() (the averages land in the gradients). Hooks act only
 * between arm() and disarm(); dispose() removes them.
 */
export class GradientReducer {
  #h: unknown;
  constructor(readonly params: Tensor[], readonly buckets: number[][]) {
    need();
    if (!hasGradientHooks()) throw new Error('GradientReducer: this addon has no gradient hooks; rebuild it (bash scripts/build-native.sh)');
    this.#h = N.distReducerNew!(params.map((p) => p.handle), buckets);
  }

  #handle(op: string): unknown {
    if (this.#h === null) throw new Error(`GradientReducer.${op}: the reducer was disposed`);
    return this.#h;
  }

  /**
   * The next backward pass launches buckets as their gradients become ready (a new cycle; an unfinished one is
   * dropped). `roots`: the tensors that pass starts from (the loss); parameters their graph does not reach get no
   * gradient in it, so they count as ready at once and hold no bucket back (PyTorch's find_unused_parameters).
   * Without roots, such a parameter holds its bucket and all later ones until finish().
   */
  arm(roots?: Tensor[]): void { N.distReducerArm!(this.#handle('arm'), roots ? roots.map((t) => t.handle) : null); }

  /** After that backward pass: the hooks stop acting. `failed`: it threw, and finish() will refuse the cycle. */
  disarm(failed = false): void { N.distReducerDisarm!(this.#handle('disarm'), failed); }

  /** After backward: zero-fills missing bucketed gradients and issues every bucket not issued yet (in order). */
  finish(): ReducerFinish { return N.distReducerFinish!(this.#handle('finish')) as ReducerFinish; }

  /** Resolves once every bucket is reduced, averaged (divided by the world size) and copied into the gradients. */
  async wait(): Promise<void> { await typed(N.distReducerWait!(this.#handle('wait')) as Promise<void>); }

  /** Removes the hooks (idempotent). Buckets in flight keep their own buffers. */
  dispose(): void {
    if (this.#h === null) return;
    N.distReducerRelease!(this.#h);
    this.#h = null;
  }
}

/**
 * The sum of `t` over ranks as a new tensor; differentiable (its backward sums
 * the gradients over ranks, like torch.distributed.nn.functional.all_reduce)
 * and synchronous: the JS thread waits until every rank has contributed. For
 * layers that need the result inside a forward pass (SyncBatchNorm).
 */
export function allReduceSumGrad(t: Tensor): Tensor {
  need();
  return wrap(N.distAllReduceSumGrad!(t.handle) as never);
}

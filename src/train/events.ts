/** @module A run's options, its result, and the events the loop emits (for progress bars, loggers and the CLI). */
import type { PhaseHook } from './checkpoint.js';
import type { BatchSource } from './task.js';
import type { Optimizer, ParamGroup } from '../core/optim/optimizer.js';
import type { LRScheduler } from '../core/optim/lr_scheduler.js';
import type { RunLength } from './build.js';
import type { DataParallelOptions } from './distributed.js';

/** How a run ended: all steps done, early stopping, a requestStop(), a signal, or an error. */
export type TrainStatus = 'completed' | 'early-stopped' | 'stopped' | 'interrupted' | 'failed';

/** One event of a run. */
export type TrainEvent =
  | {
    type: 'start'; step: number; totalSteps: number; epoch: number; epochs: number; stepsPerEpoch?: number; resumedFrom: string | null; runDir: string;
    /** The data-parallel settings in force (null: a single process). */
    parallel?: { worldSize: number; overlap: boolean; syncBatchNorm: boolean; bucketMb: number; buffers: 'average' | 'broadcast' | 'none' } | null;
  }
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number | null; runningLoss: number | null; lr: number; gradNorm: number | null; skipped: boolean }
  | { type: 'eval'; step: number; epoch: number; metrics: Record<string, number> }
  | { type: 'checkpoint'; step: number; path: string; best: boolean }
  | { type: 'warning'; message: string }
  | { type: 'end'; status: TrainStatus; step: number; epoch: number; elapsedMs: number; best: { metric: string; value: number; step: number } | null };

/** Options of a run besides the config. */
export interface TrainOptions<B> {
  /** Where batches come from (a DataLoader or anything of that shape). */
  data: BatchSource<B>;
  /** The run directory (created if absent). */
  runDir: string;
  /** Continue from a checkpoint: true = the newest one that verifies in runDir, or a checkpoint directory. */
  resume?: boolean | string;
  /** Progress events (see createProgress()). */
  onEvent?: (e: TrainEvent) => void;
  /** Catch SIGINT/SIGTERM and stop cleanly (default true). */
  handleSignals?: boolean;
  /** Aborting it stops the run as requestStop() does (the current step finishes, a checkpoint is saved; status 'stopped'). */
  signal?: AbortSignal;
  /** On resume: accept a config whose only binding differences are epochs and maxSteps (an explicit extension of the run). */
  extend?: boolean;
  /** Fault injection for checkpoint writes (tests). */
  onCheckpointPhase?: PhaseHook;
  /**
   * A scheduler built by the method (e.g. a LambdaLR with a custom shape) instead of
   * config.scheduler; it is stepped per config.scheduler.interval and checkpointed like the others.
   */
  scheduler?: (optimizer: Optimizer<ParamGroup>, length: RunLength) => LRScheduler;
  /**
   * Data parallelism (src/train/distributed.ts): on by itself when a process group with
   * several ranks exists (options here override the config's `parallel` section field by field); false turns it off.
   */
  parallel?: DataParallelOptions | false;
}

/** How a run ended. */
export interface TrainResult {
  status: TrainStatus;
  step: number;
  /** Epochs completed (the epoch counter). */
  epoch: number;
  /**
   * Epochs that ran, fractional when the run ended mid-epoch: step / steps per epoch, where an epoch is this
   * process's share of the data in optimizer steps (micro-batches / accumulate; a rank's shard when data-parallel).
   */
  epochsRun?: number;
  signal: NodeJS.Signals | null;
  /** The CLI's exit status: 0, or 130 after SIGINT (0 after SIGTERM). */
  exitCode: number;
  lastCheckpoint: string | null;
  best: { metric: string; value: number; step: number } | null;
  lastEval: Record<string, number> | null;
  skippedSteps: number;
  runDir: string;
}

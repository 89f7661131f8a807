/**
 * @module The Task interface: what a fine-tuning method hands the engine.
 *
 * A method is a Task: it owns a model, says which parameters train (and with
 * what per-group lr scale or weight decay), computes a loss from a batch, and
 * may hook into the step, the epoch end and evaluation. The engine reads only
 * these structural properties and never asks which method is running (G3), so
 * adding a method needs no change under src/train/.
 */
import type { Tensor } from '../core/torch.js';
import type { AnyModule } from '../core/nn/module.js';
import type { Optimizer, ParamGroup } from '../core/optim/optimizer.js';
import type { Rng } from '../core/rng.js';
import type { TrainConfig } from './config.js';

/** What loss() returns: the scalar to minimise, optionally the output and named parts for logging. */
export interface LossOutput {
  /** A scalar tensor with a graph to the trained parameters. */
  loss: Tensor;
  /** The model output, for hooks that want it (not logged). */
  output?: Tensor;
  /** Named components logged next to the loss (tensors are read with item()). */
  parts?: Record<string, Tensor | number>;
}

/** One parameter group as a method declares it; the engine builds the optimizer from these. */
export interface ParamGroupSpec {
  /** The tensors of this group (leaves that require grad). */
  params: Tensor[];
  /** Name for logs (e.g. 'backbone', 'head'). */
  name?: string;
  /** Multiplies the configured lr (e.g. 0.1 for a pre-trained backbone); default 1. */
  lrScale?: number;
  /** Overrides the configured weight decay for this group. */
  weightDecay?: number;
}

/** What every hook and loss() sees about the run. */
export interface StepContext {
  /** Optimizer steps completed so far. */
  readonly step: number;
  /** The current epoch (0-based). */
  readonly epoch: number;
  /** Index of the current batch within the epoch. */
  readonly batchIndex: number;
  /** Index of the current micro-batch within its accumulation cycle, and the cycle's length. */
  readonly micro: number;
  readonly cycleLength: number;
  /** A JS PRNG for this micro-batch, derived from (seed, step, micro): recomputable on resume. */
  readonly rng: Rng;
  /** The resolved configuration (method options under config.method). */
  readonly config: TrainConfig;
  /** The optimizer the engine built from paramGroups(). */
  readonly optimizer: Optimizer<ParamGroup>;
}

/** Tensors and JSON a task keeps across steps (an EMA teacher, a memory bank), saved in checkpoints. */
export interface TaskState {
  tensors: Map<string, Tensor>;
  json: unknown;
}

/** A method, as the engine sees it. */
export interface Task<B = unknown> {
  /** Method id (kebab-case), recorded in checkpoints and checked on resume. */
  readonly name: string;
  /** The trained module: switched between train() and eval(), saved as model.safetensors. */
  readonly model: AnyModule;
  /** The parameter groups to optimise (called once, before the optimizer is built). */
  paramGroups(): ParamGroupSpec[];
  /** The loss of one (micro-)batch; runs synchronously inside torch.tidy with gradients on. */
  loss(batch: B, ctx: StepContext): LossOutput;
  /**
   * After the cycle's backward passes, before clipping and the optimizer step (e.g. gradient surgery, gradient
   * diagnostics). Numbers it returns are logged with the step in metrics.jsonl as they are (not averaged over micro-batches).
   */
  beforeStep?(ctx: StepContext): void | Record<string, number>;
  /** After the optimizer step (e.g. an EMA update). */
  afterStep?(ctx: StepContext): void;
  /** At the end of each epoch, before the epoch's evaluation. */
  onEpochEnd?(ctx: StepContext): void | Promise<void>;
  /** Metrics on held-out data; runs with the model in eval() mode and gradients off. */
  evaluate?(ctx: StepContext): Record<string, number> | Promise<Record<string, number>>;
  /**
   * Switches train/eval mode (default: model.train() / model.eval()). A method that keeps
   * parts in eval mode while training (frozen BatchNorm, a teacher) overrides it; the engine
   * calls it wherever it would switch the model.
   */
  setTrainMode?(training: boolean): void;
  /** Extra state to checkpoint; the engine does not dispose what it returns. */
  stateDict?(): TaskState;
  /** Restores what stateDict() returned (the engine disposes the tensors afterwards). */
  loadStateDict?(state: TaskState): void;
}

/** A resumable position of a batch source (the DataLoader's LoaderState); composite sources may add JSON fields. */
export interface SourceState {
  epoch: number;
  index: number;
  seed: number;
}

/**
 * Where batches come from. The DataLoader of src/data satisfies it; a method
 * with two streams (labelled + unlabelled) wraps them in one object of this shape.
 */
export interface BatchSource<B> {
  /** Batches per epoch. */
  readonly numBatches: number;
  /** The current position (JSON). */
  state(): SourceState;
  /** Moves to a position from state(); the seed sets the data-order stream. */
  load(state: SourceState): void;
  /** Yields the rest of the current epoch; the consumer owns (and disposes) each batch. */
  [Symbol.asyncIterator](): AsyncIterator<B>;
}

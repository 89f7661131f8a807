/**
 * @module Learning-rate schedulers (torch.optim.lr_scheduler, PyTorch 1.13): each sets `lr` on every
 * parameter group of its optimizer. Call step() once per iteration or once per epoch, as you count
 * time; the formulas are PyTorch's (the recursive "chainable" form on step(), the closed form when an
 * epoch is passed), so the sequences match PyTorch's to the last bits.
 */
import { ConfigError, CheckpointError } from '../errors.js';
import type { Optimizer, ParamGroup } from './optimizer.js';

/** A scheduler's state: PyTorch's counters plus the scheduler's own hyperparameters (JSON-friendly). */
export type SchedulerStateDict = Record<string, unknown>;

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const copy = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)) as T);

/** Base class (torch _LRScheduler): subclasses compute the next lrs in getLr(). */
export abstract class LRScheduler {
  /** The lrs the schedule starts from (each group's initialLr). */
  baseLrs: number[];
  /** The index of the last step taken (-1 before the first). */
  lastEpoch: number;
  protected stepCount = 0;
  protected lastLr: number[] = [];
  /** Own fields saved by stateDict() (camelCase; saved under snake_case names). */
  protected saved: string[] = [];

  constructor(readonly optimizer: Optimizer<ParamGroup>, lastEpoch = -1) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new TypeError('scheduler needs an Optimizer');
    optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) g.initialLr ??= g.lr;
      else if (g.initialLr === undefined) {
        throw new ConfigError(`param 'initialLr' is not specified in paramGroups[${i}] when resuming (lastEpoch=${lastEpoch})`);
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** The next lrs, one per group, from the current ones (PyTorch's chainable get_lr). */
  protected abstract getLr(): number[];
  /** The lrs at lastEpoch in closed form, where the scheduler has one (used by step(epoch)). */
  protected closedFormLr(): number[] | null { return null; }
  protected get groups(): ParamGroup[] { return this.optimizer.paramGroups; }

  /** Resets the counters and takes the first step (end of each constructor; SequentialLR restarts with it). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances the schedule one step (or jumps to `epoch`, closed form) and sets every group's lr. */
  step(epoch?: number): void {
    this.stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.groups.forEach((g, i) => { g.lr = values[i]!; });
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The lrs set by the last step(), one per group. */
  getLastLr(): number[] { return [...this.lastLr]; }

  /** The scheduler's state (PyTorch's keys: last_epoch, base_lrs, _step_count, _last_lr, own fields). */
  stateDict(): SchedulerStateDict {
    const sd: SchedulerStateDict = {
      last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs], _step_count: this.stepCount, _last_lr: [...this.lastLr],
    };
    const self = this as unknown as Record<string, unknown>;
    for (const k of this.saved) sd[snake(k)] = copy(self[k]);
    return sd;
  }

  /** Restores a state from stateDict() (the optimizer's lrs come from the optimizer's own state dict). */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!sd || typeof sd['last_epoch'] !== 'number' || !Array.isArray(sd['base_lrs'])) {
      throw new CheckpointError('scheduler state dict needs last_epoch and base_lrs');
    }
    if ((sd['base_lrs'] as number[]).length !== this.groups.length) {
      throw new CheckpointError(`scheduler state has ${(sd['base_lrs'] as number[]).length} base lrs, ` +
        `the optimizer has ${this.groups.length} groups`);
    }
    this.lastEpoch = sd['last_epoch'] as number;
    this.baseLrs = [...(sd['base_lrs'] as number[])];
    this.stepCount = (sd['_step_count'] as number | undefined) ?? this.stepCount;
    this.lastLr = [...((sd['_last_lr'] as number[] | undefined) ?? this.lastLr)];
    const self = this as unknown as Record<string, unknown>;
    for (const k of this.saved) if (snake(k) in sd) self[k] = copy(sd[snake(k)]);
  }
}

function positiveInt(v: unknown, field: string): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) {
    throw new ConfigError(`Invalid ${field}: ${String(v)} (${field} must be a positive integer)`);
  }
}

/** lr = initialLr · lrLambda(epoch); one function for all groups or one per group. */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: Optimizer<ParamGroup>, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[],
    lastEpoch = -1) {
    super(optimizer, lastEpoch);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda) && lrLambda.length !== n) {
      throw new ConfigError(`Expected ${n} lrLambdas, but got ${lrLambda.length}`);
    }
    this.lrLambdas = Array.isArray(lrLambda) ? [...lrLambda] : new Array(n).fill(lrLambda);
    this.initialStep();
  }
  protected getLr(): number[] { return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch)); }
}

/** Multiplies the lr by gamma every stepSize steps. */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer<ParamGroup>, public stepSize: number, public gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    positiveInt(stepSize, 'stepSize');
    this.saved = ['stepSize', 'gamma'];
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiplies the lr by gamma at each milestone (a milestone listed twice applies gamma twice). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  constructor(optimizer: Optimizer<ParamGroup>, milestones: number[], public gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!Array.isArray(milestones) || milestones.some((m) => !Number.isInteger(m))) {
      throw new ConfigError(`Invalid milestones: ${String(milestones)} (milestones must be integers)`);
    }
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.saved = ['milestones', 'gamma'];
    this.initialStep();
  }
  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** count);
  }
  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** Multiplies the lr by gamma every step. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Optimizer<ParamGroup>, public gamma: number, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!Number.isFinite(gamma)) throw new ConfigError(`Invalid gamma: ${gamma} (gamma must be a finite number)`);
    this.saved = ['gamma'];
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] { return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch); }
}

/** Cosine annealing from initialLr to etaMin over tMax steps (then back up, as PyTorch's recursion does). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer<ParamGroup>, public tMax: number, public etaMin = 0, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    positiveInt(tMax, 'tMax');
    this.saved = ['tMax', 'etaMin'];
    this.initialStep();
  }
  protected getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin: m } = this;
    if (e === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => m + (b - m) * (1 + Math.cos(e * Math.PI / T)) / 2);
    }
    if ((e - 1 - T) % (2 * T) === 0) {
      return this.groups.map((g, i) => g.lr + (this.baseLrs[i]! - m) * (1 - Math.cos(Math.PI / T)) / 2);
    }
    return this.groups.map((g) => (1 + Math.cos(Math.PI * e / T)) / (1 + Math.cos(Math.PI * (e - 1) / T)) *
      (g.lr - m) + m);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + (b - this.etaMin) * (1 + Math.cos(Math.PI * this.lastEpoch / this.tMax)) / 2);
  }
}

/** Linear warm-up (or decay): the lr factor goes from startFactor to endFactor over totalIters steps. */
export class LinearLR extends LRScheduler {
  constructor(optimizer: Optimizer<ParamGroup>, o: { startFactor?: number; endFactor?: number; totalIters?: number } = {},
    lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.startFactor = o.startFactor ?? 1 / 3;
    this.endFactor = o.endFactor ?? 1;
    this.totalIters = o.totalIters ?? 5;
    const { startFactor: s, endFactor: e } = this;
    if (!(s > 0 && s <= 1)) throw new ConfigError(`Invalid startFactor: ${s} (startFactor must be in (0, 1])`);
    if (!(e >= 0 && e <= 1)) throw new ConfigError(`Invalid endFactor: ${e} (endFactor must be in [0, 1])`);
    positiveInt(this.totalIters, 'totalIters');
    this.saved = ['startFactor', 'endFactor', 'totalIters'];
    this.initialStep();
  }
  startFactor: number;
  endFactor: number;
  totalIters: number;
  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    if (t === 0) return this.groups.map((g) => g.lr * s);
    if (t > n) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + (e - s) * Math.min(n, this.lastEpoch) / n));
  }
}

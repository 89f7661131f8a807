/** @module SequentialLR (torch.optim.lr_scheduler.SequentialLR, PyTorch 1.13): one scheduler, then the next at each milestone. */
import { ConfigError, CheckpointError } from '../errors.js';
import type { Optimizer, ParamGroup } from './optimizer.js';
import { LRScheduler, type SchedulerStateDict } from './lr_scheduler.js';

/**
 * Runs schedulers[0] until milestones[0], then schedulers[1] (restarted at epoch 0, closed form) and so
 * on: e.g. LinearLR warm-up for 5 steps, then CosineAnnealingLR. All must drive `optimizer`.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  constructor(optimizer: Optimizer<ParamGroup>, schedulers: LRScheduler[], milestones: number[], lastEpoch = -1) {
    super(optimizer, lastEpoch);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new ConfigError(`SequentialLR: scheduler ${i} drives another optimizer than the one passed in`);
      }
    });
    if (schedulers.length === 0 || milestones.length !== schedulers.length - 1) {
      throw new ConfigError(`SequentialLR expects one milestone fewer than schedulers, got ${schedulers.length} ` +
        `schedulers and ${milestones.length} milestones`);
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    for (const g of this.groups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  protected getLr(): number[] { return this.groups.map((g) => g.lr); }

  /** Steps the scheduler in charge (the next one starts at epoch 0 on its milestone). */
  override step(): void {
    this.lastEpoch += 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  /** Own counters plus every wrapped scheduler's state under `_schedulers`. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _milestones: [...this.milestones], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    const subs = sd['_schedulers'];
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new CheckpointError(`SequentialLR state has ${Array.isArray(subs) ? subs.length : 'no'} schedulers, ` +
        `this one has ${this.schedulers.length}`);
    }
    super.loadStateDict(sd);
    subs.forEach((s, i) => this.schedulers[i]!.loadStateDict(s as SchedulerStateDict));
  }
}

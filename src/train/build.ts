/**
 * @module Builds the optimizer from a task's parameter groups and the config,
 * and the lr scheduler from the config and the run length.
 */
import { ConfigError } from '../core/errors.js';
import { Adam, AdamW } from '../core/optim/adam.js';
import { SGD } from '../core/optim/sgd.js';
import type { Optimizer, ParamGroup } from '../core/optim/optimizer.js';
import { CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR, StepLR, type LRScheduler } from '../core/optim/lr_scheduler.js';
import { OneCycleLR } from '../core/optim/one_cycle.js';
import type { TrainConfig } from './config.js';
import type { ParamGroupSpec } from './task.js';

/** The optimizer named by config.optim over the task's groups (lr × lrScale, per-group weight decay). */
export function buildOptimizer(specs: ParamGroupSpec[], c: TrainConfig['optim']): Optimizer<ParamGroup> {
  if (!Array.isArray(specs) || specs.length === 0) throw new ConfigError('task.paramGroups() returned no parameter groups');
  const groups = specs.map((s, i) => {
    if (!Array.isArray(s.params) || s.params.length === 0) throw new ConfigError(`task.paramGroups()[${i}]${s.name ? ` ('${s.name}')` : ''} has no parameters`);
    const scale = s.lrScale ?? 1;
    if (!(Number.isFinite(scale) && scale >= 0)) throw new ConfigError(`task.paramGroups()[${i}].lrScale must be a finite number >= 0, got ${scale}`);
    const g: Record<string, unknown> = { params: s.params, lr: c.lr * scale };
    if (s.weightDecay !== undefined) g['weightDecay'] = s.weightDecay;
    return g as { params: ParamGroup['params'] };
  });
  const wd = c.weightDecay === null ? {} : { weightDecay: c.weightDecay };
  switch (c.name) {
    case 'sgd': return new SGD(groups, { lr: c.lr, momentum: c.momentum, nesterov: c.nesterov, ...wd }) as unknown as Optimizer<ParamGroup>;
    case 'adam': return new Adam(groups, { lr: c.lr, betas: [...c.betas], eps: c.eps, ...wd }) as unknown as Optimizer<ParamGroup>;
    case 'adamw': return new AdamW(groups, { lr: c.lr, betas: [...c.betas], eps: c.eps, ...wd }) as unknown as Optimizer<ParamGroup>;
  }
}

/** Optimizer steps of the whole run and per epoch. */
export interface RunLength { totalSteps: number; stepsPerEpoch: number; epochs: number }

/** The scheduler named by config.scheduler (null for 'none'); lengths count steps or epochs per `interval`. */
export function buildScheduler(opt: Optimizer<ParamGroup>, c: TrainConfig['scheduler'], len: RunLength): LRScheduler | null {
  const span = c.interval === 'step' ? len.totalSteps : Math.ceil(len.totalSteps / len.stepsPerEpoch);
  switch (c.name) {
    case 'none': return null;
    case 'step': return new StepLR(opt, c.stepSize, c.gamma);
    case 'multistep': return new MultiStepLR(opt, c.milestones, c.gamma);
    case 'exponential': return new ExponentialLR(opt, c.gamma);
    case 'cosine': return new CosineAnnealingLR(opt, c.tMax ?? Math.max(1, span), c.etaMin);
    case 'linear': return new LinearLR(opt, { startFactor: c.startFactor, endFactor: c.endFactor, totalIters: c.totalIters });
    case 'onecycle': return new OneCycleLR(opt, { maxLr: c.maxLr ?? opt.paramGroups.map((g) => g.lr), totalSteps: Math.max(1, span), pctStart: c.pctStart });
  }
}

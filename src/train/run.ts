/** @module The two entry points: train() a task from a config, resume() a run directory. */
import { ConfigError } from '../core/errors.js';
import { makeConfig } from './config.js';
import type { TrainOptions, TrainResult } from './events.js';
import { Trainer } from './loop.js';
import { RunDir } from './rundir.js';
import type { Task } from './task.js';

/** Trains `task` with `config` (defaults filled in, validated) on opts.data; see Trainer. */
export async function train<B>(task: Task<B>, config: unknown, opts: TrainOptions<B>): Promise<TrainResult> {
  return new Trainer(task, makeConfig(config), opts).train();
}

/**
 * Continues the run in `runDir` from its newest valid checkpoint, with the
 * run's own config.json (or `opts.config`, checked against the checkpoint).
 */
export async function resume<B>(runDir: string, task: Task<B>, opts: Omit<TrainOptions<B>, 'runDir' | 'resume'> & { config?: unknown; checkpoint?: string }): Promise<TrainResult> {
  const saved = new RunDir(runDir).readConfig();
  if (!saved && !opts.config) throw new ConfigError(`${runDir} has no config.json; pass opts.config`);
  const config = makeConfig(opts.config ?? saved);
  return new Trainer(task, config, { ...opts, runDir, resume: opts.checkpoint ?? true }).train();
}

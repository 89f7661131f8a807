/** @module Config layering of the training commands (command defaults < --config file < flags < --set) and one supervised run through the engine. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { createFinetuneTask, finetuneTrainConfig, type FinetuneConfig, type FinetuneTask } from '../methods/finetune/index.js';
import type { FeatureModel } from '../models/index.js';
import { loadConfigFile, mergeConfig, parseOverrides, resume, train, type TrainConfig, type TrainEvent, type TrainResult } from '../train/index.js';
import type { DataLoader } from '../data/loader.js';
import { CliError } from './flags.js';

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * defaults < file < flags < --set, resolved into an engine config by finetuneTrainConfig (method options validated,
 * lr = elr * (1 - momentum)). A layer that gives one of method.lr / method.elr replaces the other from the layers below.
 */
export async function layeredConfig(defaults: Record<string, unknown>, file: string | null, flags: Record<string, unknown>, set: string[]): Promise<TrainConfig> {
  const layers = [defaults, file ? await loadConfigFile(file) : {}, flags, parseOverrides(set)];
  let merged: Record<string, unknown> = {};
  for (const layer of layers) {
    const m = isPlain(layer['method']) ? layer['method'] : {};
    const hasLr = m['lr'] !== undefined && m['lr'] !== null;
    const hasElr = m['elr'] !== undefined && m['elr'] !== null;
    merged = mergeConfig(merged, layer);
    const mm = merged['method'] as Record<string, unknown> | undefined;
    if (mm && hasLr && !hasElr) mm['elr'] = null;
    if (mm && hasElr && !hasLr) mm['lr'] = null;
  }
  return finetuneTrainConfig({}, merged);
}

/** Drops undefined entries (flags not given). */
export function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Refuses to start a new run in a directory that already holds one. */
export function checkFreshRunDir(dir: string): void {
  if (existsSync(join(dir, 'config.json'))) throw new CliError(`${dir} already holds a run (config.json); choose another --out or continue it with --resume ${dir}`);
}

/** What one supervised run returns. */
export interface SupervisedRun {
  result: TrainResult;
  task: FinetuneTask;
  test: { accuracy: number; loss: number };
  elapsedSec: number;
}

/** Builds the finetune task on `model`, trains it with `config` (or resumes `resumeDir`), then evaluates on `test`. */
export async function supervisedRun(o: {
  model: FeatureModel; config: TrainConfig; train: DataLoader; test: DataLoader; plain: DataLoader; runDir: string;
  onEvent: (e: TrainEvent) => void; resumeDir?: string | null; handleSignals?: boolean;
}): Promise<SupervisedRun> {
  const t0 = Date.now();
  const task = createFinetuneTask(o.model, o.config.method as Partial<FinetuneConfig>, { eval: o.test, imprint: o.plain });
  const opts = { data: o.train, onEvent: o.onEvent, handleSignals: o.handleSignals ?? true };
  const result = o.resumeDir ? await resume(o.resumeDir, task, opts) : await train(task, o.config, { ...opts, runDir: o.runDir });
  if (result.status === 'failed') throw new Error(`training failed; see ${o.runDir}`);
  const m = await task.evaluate();
  return { result, task, test: { accuracy: m['accuracy'] ?? 0, loss: m['loss'] ?? 0 }, elapsedSec: (Date.now() - t0) / 1000 };
}

/** Reads a run directory's summary.json ({} when absent). */
export function readSummary(dir: string): Record<string, unknown> {
  try { return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>; } catch { return {}; }
}

/** Wraps ConfigErrors from config resolution so that main exits 2 with the field named. */
export function asUsage(e: unknown): never {
  if (e instanceof ConfigError) throw new CliError(e.message);
  throw e;
}

/**
 * @module runRobustness: clean, FGSM and PGD-k (restarts) accuracy of a weights file (with its sidecar) on a
 * task's split, an eps sweep, and the gradient-masking sanity check (`adaptune robustness`).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { DataLoader, loadTask, parseTaskSpec, type TaskName } from '../../data/index.js';
import { bundledBackbonePath, loadPretrained, readSidecar } from '../../models/index.js';
import { makeDirs } from '../../train/index.js';
import { evaluateRobustness, type RobustnessReport } from './robustness.js';
import { ROBUSTNESS_DEFAULTS } from './defaults.js';
import { ROBUSTNESS_OPTIONS, type RobustnessOptionValues } from './options.js';
import { checkOptions } from '../../core/options.js';

/** Options of runRobustness (undefined: the default). */
export type RobustnessRunOptions = RobustnessOptionValues & {
  /** The command recorded in the report. */
  command?: string;
};

/** What runRobustness reports. */
export interface RobustnessRunReport extends RobustnessReport {
  weights: string; data: TaskName; split: string; eps: number; norm: string; restarts: number; command: string;
}

/** Evaluates (see module doc). */
export async function runRobustness(opts: RobustnessRunOptions = {}): Promise<RobustnessRunReport> {
  checkOptions(ROBUSTNESS_OPTIONS, opts);
  if (opts.threads !== undefined) torch.setNumThreads(opts.threads);
  const a = { ...ROBUSTNESS_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof ROBUSTNESS_DEFAULTS & RobustnessRunOptions;
  const weights = resolve(opts.weights ?? bundledBackbonePath());
  const side = readSidecar(weights);
  let data = opts.data ?? ROBUSTNESS_DEFAULTS.data;
  if (opts.data === undefined && typeof side.task?.['name'] === 'string') {
    try { data = parseTaskSpec(side.task['name']).name; } catch { /* not a benchmark task: keep the default */ }
  }
  const task = loadTask(data, { labelsPerClass: 'all', seed: 0 });
  const k = Number(side.model.config['numClasses']);
  if (k !== task.numClasses) { task.dispose(); throw new ConfigError(`--weights ${weights}: its head has ${k} classes, ${data} has ${task.numClasses}; evaluate it on its own task (--data ${String(side.task?.['name'] ?? '?')})`); }
  const { model } = loadPretrained(weights);
  const split = a.split === 'train' ? task.train : task.test;
  const n = split.length;
  const sub = a.limit !== undefined && a.limit < n ? split.subset(Array.from({ length: a.limit }, (_, i) => Math.floor((i * n) / a.limit!))) : null;
  try {
    const loader = new DataLoader(sub ?? split, { batchSize: a.batchSize, seed: a.seed, shuffle: false, prefetch: false });
    const r = evaluateRobustness(model, loader, {
      eps: a.eps, norm: a.norm, steps: a.steps, restarts: a.restarts, stepSize: a.stepSize, epsSweep: a.epsSweep, bnMode: a.bnMode, tolerance: a.tolerance, seed: a.seed,
    });
    const report: RobustnessRunReport = { weights, data, split: a.split, eps: a.eps, norm: a.norm, restarts: a.restarts, ...r, command: opts.command ?? '(library) robustness' };
    if (a.out) { makeDirs(a.out); writeFileSync(join(a.out, 'robustness.json'), JSON.stringify(report, null, 2) + '\n'); }
    return report;
  } finally {
    sub?.dispose();
    model.dispose();
    task.dispose();
  }
}

/**
 * @module runRobustness: clean, FGSM and PGD-k (restarts) accuracy of a weights file (any file loadWeights reads;
 * the head must fit the data's classes) on a split of any in-memory data spec, an eps sweep, and the
 * gradient-masking sanity check (`adaptune robustness`). Attacks work on [0, 1] pixels; the weights'
 * normalisation (recorded in their sidecar, or ImageNet's for torchvision ResNets) is applied after the attack.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { DataLoader, Dataset, evalTransform, open, parseTaskSpec } from '../../data/index.js';
import { bundledBackbonePath } from '../../models/index.js';
import { isBuiltinSpec, loadBackbone, makeDirs, preprocessingFor } from '../../train/index.js';
import { normalizer } from './run.js';
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
  weights: string; data: string; split: string; eps: number; norm: string; restarts: number; command: string;
}

/** Evaluates (see module doc). */
export async function runRobustness(opts: RobustnessRunOptions = {}): Promise<RobustnessRunReport> {
  checkOptions(ROBUSTNESS_OPTIONS, opts);
  if (opts.threads !== undefined) torch.setNumThreads(opts.threads);
  const a = { ...ROBUSTNESS_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof ROBUSTNESS_DEFAULTS & RobustnessRunOptions;
  const weights = resolve(opts.weights ?? bundledBackbonePath());
  const b = loadBackbone({ weights, model: opts.model ?? null });
  let data = opts.data ?? ROBUSTNESS_DEFAULTS.data;
  // default: the data the weights were trained or fine-tuned on (their sidecar's task)
  if (opts.data === undefined && b.sourceTask) data = /^(fmnist|textures):/i.test(b.sourceTask) ? parseTaskSpec(b.sourceTask).name : b.sourceTask;
  const pre = { ...preprocessingFor(b, { imageSize: opts.imageSize ?? null, augment: 'none' }, isBuiltinSpec(data)), normalization: null };
  let d;
  try { d = await open(data, { seed: 0, labelsPerClass: 'all', valFraction: 0, testFraction: opts.testFraction ?? 0.2, preprocessing: pre }); } catch (e) { b.model.dispose(); throw e; }
  const model = b.model;
  const k = model.numClasses;
  const split = a.split === 'train' ? d.train : d.test;
  if (k !== d.numClasses || !(split instanceof Dataset)) {
    d.dispose(); model.dispose();
    if (!(split instanceof Dataset)) throw new ConfigError(`${data}: the robustness evaluation needs the split in memory (this one is streamed from disk); use --limit or a smaller image size`);
    throw new ConfigError(`--weights ${weights}: its head has ${k} classes, ${data} has ${d.numClasses}; evaluate it on its own task${b.sourceTask ? ` (--data ${b.sourceTask})` : ''} or fine-tune it first`);
  }
  const n = split.length;
  const sub = a.limit !== undefined && a.limit < n ? split.subset(Array.from({ length: a.limit }, (_, i) => Math.floor((i * n) / a.limit!))) : null;
  try {
    const loader = new DataLoader(sub ?? split, { batchSize: a.batchSize, seed: a.seed, shuffle: false, prefetch: false, transform: evalTransform(d.preprocessing) });
    const r = evaluateRobustness(model, loader, {
      eps: a.eps, norm: a.norm, steps: a.steps, restarts: a.restarts, stepSize: a.stepSize, epsSweep: a.epsSweep, bnMode: a.bnMode, tolerance: a.tolerance, seed: a.seed, normalize: normalizer(b.normalization),
    });
    const report: RobustnessRunReport = { weights, data, split: a.split, eps: a.eps, norm: a.norm, restarts: a.restarts, ...r, command: opts.command ?? '(library) robustness' };
    if (a.out) { makeDirs(a.out); writeFileSync(join(a.out, 'robustness.json'), JSON.stringify(report, null, 2) + '\n'); }
    return report;
  } finally {
    sub?.dispose();
    model.dispose();
    d.dispose();
  }
}

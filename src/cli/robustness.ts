/** @module `adaptune robustness`: clean, FGSM and PGD-k (restarts) accuracy of a model's weights, an eps sweep, and the gradient-masking sanity check. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataLoader } from '../data/loader.js';
import { loadTask, parseTaskSpec, type TaskName } from '../data/tasks/index.js';
import { evaluateRobustness, type RobustnessReport } from '../methods/adversarial/index.js';
import type { RobustnessArgs } from './robustness-args.js';
import { defaultBackbonePath, loadBackbone, readSidecar } from './backbone.js';
import { applyThreads, commandLine } from './common.js';
import { CliError } from './flags.js';

/** What the command reports. */
export interface RobustnessCommandReport extends RobustnessReport {
  weights: string; data: TaskName; split: string; eps: number; norm: string; restarts: number; command: string;
}

/** Runs the evaluation (see module doc). */
export async function runRobustness(a: RobustnessArgs & { dataGiven?: boolean }, o: { argv?: string[] } = {}): Promise<RobustnessCommandReport> {
  applyThreads(a.threads);
  const weights = resolve(a.weights ?? defaultBackbonePath());
  const side = readSidecar(weights);
  let data = a.data;
  if (!a.dataGiven && typeof side.task?.['name'] === 'string') {
    try { data = parseTaskSpec(side.task['name']).name; } catch { /* not a benchmark task: keep --data's default */ }
  }
  const task = loadTask(data, { labelsPerClass: 'all', seed: 0 });
  const k = Number(side.model.config['numClasses']);
  if (k !== task.numClasses) { task.dispose(); throw new CliError(`--weights ${weights}: its head has ${k} classes, ${data} has ${task.numClasses}; evaluate it on its own task (--data ${String(side.task?.['name'] ?? '?')})`); }
  const { model } = loadBackbone(weights);
  const split = a.split === 'train' ? task.train : task.test;
  const n = split.length;
  const sub = a.limit !== undefined && a.limit < n ? split.subset(Array.from({ length: a.limit }, (_, i) => Math.floor((i * n) / a.limit!))) : null;
  try {
    const loader = new DataLoader(sub ?? split, { batchSize: a.batchSize, seed: a.seed, shuffle: false, prefetch: false });
    const r = evaluateRobustness(model, loader, {
      eps: a.eps, norm: a.norm, steps: a.steps, restarts: a.restarts, stepSize: a.stepSize, epsSweep: a.epsSweep, bnMode: a.bnMode, tolerance: a.tolerance, seed: a.seed,
    });
    const report: RobustnessCommandReport = { weights, data, split: a.split, eps: a.eps, norm: a.norm, restarts: a.restarts, ...r, command: commandLine(o.argv) };
    if (a.out) { mkdirSync(a.out, { recursive: true }); writeFileSync(join(a.out, 'robustness.json'), JSON.stringify(report, null, 2) + '\n'); }
    return report;
  } finally {
    sub?.dispose();
    model.dispose();
    task.dispose();
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The human-readable table of a report. */
export function formatRobustness(r: RobustnessCommandReport): string {
  const rows = [
    ['clean', pct(r.clean)], [`FGSM eps ${r.eps}`, pct(r.fgsm)],
    ...r.pgd.map((p) => [`PGD-${p.steps}${r.restarts > 1 ? ` x${r.restarts} restarts` : ''} eps ${r.eps}`, pct(p.accuracy)]),
    ...r.epsSweep.filter((e) => e.eps !== r.eps).map((e) => [`PGD-${r.pgd[r.pgd.length - 1]!.steps} eps ${e.eps}`, pct(e.accuracy)]),
  ];
  const w = Math.max(...rows.map((x) => x[0]!.length));
  return [
    `robustness of ${r.weights} on ${r.data} (${r.split}, ${r.examples} images, ${r.norm}, inputs in [0, 1]):`,
    ...rows.map(([a, b]) => `  ${a!.padEnd(w)}  ${b}`),
    r.maskingFlags.length ? `gradient-masking check: ${r.maskingFlags.length} flag(s)\n${r.maskingFlags.map((f) => `  - ${f}`).join('\n')}` : 'gradient-masking check: passed (accuracy falls as steps and eps grow; PGD at least as strong as FGSM)',
    `${r.cost.forwardExamples} forward + ${r.cost.backwardExamples} backward example passes in ${r.seconds.toFixed(1)} s`,
  ].join('\n') + '\n';
}

/** `adaptune robustness`: prints the table (or one JSON object with --json); exit 0 (flags are reported, not failures). */
export async function robustnessCommand(a: RobustnessArgs): Promise<number> {
  const r = await runRobustness(a);
  process.stdout.write(a.json ? JSON.stringify(r) + '\n' : formatRobustness(r));
  return 0;
}

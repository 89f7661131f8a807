/**
 * @module runSemisup: semi-supervised transfer (`adaptune semisup`) of the bundled backbone or a weights file on a
 * benchmark task: the target model (new head) and, with AKC, the frozen source model; labelled and unlabelled
 * streams in one resumable source; the run directory (new or resumed); and the reported test accuracy (last
 * evaluation and the mean of the last 5, as the official code reports) with the gate ratios.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { DataLoader, loadTask, type LabelsPerClass, type TaskName } from '../../data/index.js';
import { bundledBackbonePath, loadPretrained } from '../../models/index.js';
import { defined, planRun, runConfig, RunSession, type RunHooks } from '../../train/index.js';
import { semisupScheduler, semisupTrainConfig, type ResolvedSemisupConfig, type SemisupConfig } from './config.js';
import { createSemisupTask, extraViews, usesUnlabelled } from './index.js';
import { SemisupSource } from './source.js';
import { strongAugment, weakAugment } from './views.js';
import { SEMISUP_DATA, SEMISUP_DEFAULTS, SEMISUP_OPTIONS, type SemisupOptionValues } from './options.js';
import { checkOptions } from '../../core/options.js';

export { SEMISUP_DATA, SEMISUP_DEFAULTS } from './options.js';

/** Options of runSemisup (undefined: the default, or the resumed run's value): the table of options.ts. */
export type SemisupOptions = SemisupOptionValues & RunHooks;

/** Evaluations averaged for the reported accuracy (the official code reports the mean of the last checkpoints). */
export const LAST_EVALS = 5;

/** What a semisup run reports. */
export interface SemisupReport {
  runDir: string; data: string; labelsPerClass: number | 'all'; weights: string; backboneSha256: string;
  algorithm: string; akc: boolean; arc: boolean; steps: number; status: string; exitCode: number;
  /** Test accuracy of the evaluated (EMA) model: last evaluation, and the mean of the last (up to) 5. */
  testAccuracy: number; meanLastAccuracy: number; evaluations: number; rawAccuracy: number | null; testImages: number;
  /** Mean gate ratios (fraction of examples selected) over the first and the last 10% of steps (null when off). */
  gates: { akc: [number, number] | null; arc: [number, number] | null; ssl: [number, number] | null };
  elapsedSec: number; command: string;
}


/** Mean of a metric over the first and the last 10% of the logged train steps. */
function earlyLate(rows: Record<string, unknown>[], key: string): [number, number] | null {
  const xs = rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  if (!xs.length) return null;
  const k = Math.max(1, Math.round(xs.length / 10));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return [mean(xs.slice(0, k)), mean(xs.slice(-k))];
}

/** Runs (or resumes) a semi-supervised transfer run; see the module doc. */
export async function runSemisup(o: SemisupOptions = {}): Promise<SemisupReport> {
  checkOptions(SEMISUP_OPTIONS, o);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const plan = planRun<{ data: TaskName; labelsPerClass: LabelsPerClass; weights: string }>('semisup', o);
  const { config, extend } = await runConfig(plan, {
    defaults: SEMISUP_DEFAULTS, file: o.config, set: o.set, resolve: (raw) => semisupTrainConfig({}, raw),
    flags: defined({
      seed: o.seed, maxSteps: o.steps, eval: o.evalEvery === undefined ? undefined : { every: o.evalEvery },
      method: defined({
        algorithm: o.algorithm, akc: o.akc, arc: o.arc, lambdaAkc: o.lambdaAkc, lambdaArc: o.lambdaArc, akcScale: o.akcScale, threshold: o.threshold,
        coef: o.coef, batchSize: o.batchSize, mu: o.mu, lr: o.lr, weightDecay: o.weightDecay, emaDecay: o.emaDecay,
      }),
    }),
    given: { data: o.data, labelsPerClass: o.labelsPerClass, weights: o.weights ? resolve(o.weights) : undefined },
  });
  const args = plan.saved?.args ?? { data: o.data ?? SEMISUP_DATA.data, labelsPerClass: o.labelsPerClass ?? SEMISUP_DATA.labelsPerClass, weights: resolve(o.weights ?? bundledBackbonePath()) };
  const m = config.method;
  const task = loadTask(args.data, { labelsPerClass: args.labelsPerClass, seed: config.seed });
  m.numClasses = task.numClasses;
  torch.manualSeed(config.seed);
  const models: { dispose(): void }[] = [];
  try {
    const target = loadPretrained(args.weights, { numClasses: task.numClasses });
    models.push(target.model);
    const source = m.akc ? loadPretrained(args.weights).model : undefined;
    if (source) models.push(source);
    const session = RunSession.open(plan, args, o);
    const dir = session.dir;
    const size = task.train.images.shape[2]!;
    const ev = extraViews(m);
    const views = Array.from({ length: ev.count }, () => (ev.strong ? strongAugment({ size }) : weakAugment({ size })));
    const data = new SemisupSource(task.train, usesUnlabelled(m) ? task.unlabelled : null, { batchSize: m.batchSize, mu: m.mu, stepsPerEpoch: m.stepsPerEpoch, seed: config.seed, weak: weakAugment({ size }), views });
    const plain = (ds: typeof task.train) => new DataLoader(ds, { batchSize: 500, seed: config.seed, shuffle: false, prefetch: false });
    const t0 = Date.now();
    const st = createSemisupTask(target.model, m, {
      labelled: plain(task.train), eval: plain(task.test), source,
      makeModel: () => { const c = loadPretrained(args.weights, { numClasses: task.numClasses }).model; models.push(c); return c; },
    });
    const result = await session.train(st, config, { data, onEvent: session.events(o, 20), handleSignals: o.handleSignals ?? true, ...(o.signal ? { signal: o.signal } : {}), extend, scheduler: semisupScheduler(m.numCycles) });
    const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const evals = rows.filter((r) => r['split'] === 'eval' && typeof r['accuracy'] === 'number');
    let last = evals.at(-1);
    if (!last || last['step'] !== result.step) { last = { step: result.step, ...st.evaluate() }; evals.push(last); }
    const lastK = evals.slice(-LAST_EVALS).map((r) => r['accuracy'] as number);
    const trainRows = rows.filter((r) => r['split'] === 'train');
    const report: SemisupReport = {
      runDir: dir, data: args.data, labelsPerClass: args.labelsPerClass, weights: args.weights, backboneSha256: target.sidecar.sha256,
      algorithm: m.algorithm, akc: m.akc, arc: m.arc, steps: result.step, status: result.status, exitCode: result.exitCode,
      testAccuracy: last['accuracy'] as number, meanLastAccuracy: lastK.reduce((s, x) => s + x, 0) / lastK.length, evaluations: evals.length,
      rawAccuracy: typeof last['rawAccuracy'] === 'number' ? last['rawAccuracy'] : null, testImages: task.test.length,
      gates: { akc: earlyLate(trainRows, 'gate_akc'), arc: earlyLate(trainRows, 'gate_arc'), ssl: earlyLate(trainRows, 'ssl_mask') },
      elapsedSec: (Date.now() - t0) / 1000, command: session.command,
    };
    st.dispose();
    session.writeSummary(report);
    session.log(`test accuracy ${report.testAccuracy.toFixed(4)} (mean of last ${lastK.length}: ${report.meanLastAccuracy.toFixed(4)}); ${result.step} steps in ${report.elapsedSec.toFixed(1)} s`);
    return report;
  } finally {
    for (const x of models) x.dispose();
    task.dispose();
  }
}


/** @module `adaptune semisup`: semi-supervised transfer (src/methods/semisup) of the bundled backbone or --weights FILE on a benchmark task. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import { DataLoader } from '../data/loader.js';
import { loadTask } from '../data/tasks/index.js';
import {
  createSemisupTask, extraViews, semisupScheduler, semisupTrainConfig, SemisupSource, strongAugment, usesUnlabelled, weakAugment, type ResolvedSemisupConfig,
} from '../methods/semisup/index.js';
import { loadConfigFile, mergeConfig, newRunDir, parseOverrides, resume, RunDir, train, type TrainConfig } from '../train/index.js';
import { defaultBackbonePath, loadBackbone } from './backbone.js';
import { applyThreads, commandLine, logLine, runLogger } from './common.js';
import { CliError } from './flags.js';
import { checkFreshRunDir, defined, readSummary } from './runconfig.js';
import type { SemisupArgs } from './semisup-args.js';

/** Defaults of `adaptune semisup` (below --config, the flags and --set). */
export const SEMISUP_DEFAULTS = {
  seed: 0, maxSteps: 1000, eval: { every: 100, atEpochEnd: false }, checkpoint: { atEpochEnd: true, keep: 1 }, log: { every: 1 },
  method: { algorithm: 'fixmatch' },
} as const;

/** Evaluations averaged for the reported accuracy (the official code reports the mean of the last checkpoints). */
const LAST_EVALS = 5;

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

interface SavedArgs { data: string; labelsPerClass: number | 'all'; weights: string }

/** defaults < file < flags < --set, resolved into an engine config (method options validated). */
async function layered(a: SemisupArgs): Promise<TrainConfig> {
  const flags = defined({
    seed: a.seed, maxSteps: a.steps, eval: a.evalEvery === undefined ? undefined : { every: a.evalEvery },
    method: defined({
      algorithm: a.algorithm, akc: a.akc, arc: a.arc, lambdaAkc: a.lambdaAkc, lambdaArc: a.lambdaArc, akcScale: a.akcScale, threshold: a.threshold,
      coef: a.coef, batchSize: a.batchSize, mu: a.mu, lr: a.lr, weightDecay: a.weightDecay, emaDecay: a.emaDecay,
    }),
  });
  const merged = mergeConfig({}, SEMISUP_DEFAULTS, a.config ? await loadConfigFile(a.config) : {}, flags, parseOverrides(a.set));
  return semisupTrainConfig({}, merged);
}

/** Mean of a metric over the first and the last 10% of the logged train steps. */
function earlyLate(rows: Record<string, unknown>[], key: string): [number, number] | null {
  const xs = rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  if (!xs.length) return null;
  const k = Math.max(1, Math.round(xs.length / 10));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return [mean(xs.slice(0, k)), mean(xs.slice(-k))];
}

/** Runs (or resumes) a semi-supervised transfer run; `argv` is recorded as the exact command. */
export async function runSemisup(a: SemisupArgs, o: { argv?: string[]; quiet?: boolean; handleSignals?: boolean } = {}): Promise<SemisupReport> {
  applyThreads(a.threads);
  const command = commandLine(o.argv);
  const runDir = a.resume ? resolve(a.resume) : a.out ? resolve(a.out) : null;
  let args: SavedArgs;
  let config: TrainConfig;
  try {
    if (a.resume) {
      const f = join(runDir!, 'cli.json');
      if (!existsSync(f)) throw new CliError(`--resume ${a.resume}: no cli.json there (not a run of adaptune semisup)`);
      args = JSON.parse(readFileSync(f, 'utf8')) as SavedArgs;
      config = semisupTrainConfig({}, new RunDir(runDir!).readConfig() as Record<string, unknown>);
    } else {
      config = await layered(a);
      if (runDir) checkFreshRunDir(runDir);
      args = { data: a.data, labelsPerClass: a.labelsPerClass, weights: resolve(a.weights ?? defaultBackbonePath()) };
    }
  } catch (e) { if (e instanceof ConfigError) throw new CliError(e.message); throw e; }
  const m = config.method as unknown as ResolvedSemisupConfig;
  const task = loadTask(args.data, { labelsPerClass: args.labelsPerClass as never, seed: config.seed });
  m.numClasses = task.numClasses;
  torch.manualSeed(config.seed);
  const models: { dispose(): void }[] = [];
  try {
    const target = loadBackbone(args.weights, { numClasses: task.numClasses });
    models.push(target.model);
    const source = m.akc ? loadBackbone(args.weights).model : undefined;
    if (source) models.push(source);
    const dir = runDir ?? newRunDir('runs', 'semisup');
    if (!a.resume) { new RunDir(dir); writeFileSync(join(dir, 'cli.json'), JSON.stringify({ ...args, command }, null, 2) + '\n'); }
    const logFile = join(dir, 'log.txt');
    logLine(logFile, `$ ${command}`);
    const size = task.train.images.shape[2]!;
    const ev = extraViews(m);
    const views = Array.from({ length: ev.count }, () => (ev.strong ? strongAugment({ size }) : weakAugment({ size })));
    const data = new SemisupSource(task.train, usesUnlabelled(m) ? task.unlabelled : null, { batchSize: m.batchSize, mu: m.mu, stepsPerEpoch: m.stepsPerEpoch, seed: config.seed, weak: weakAugment({ size }), views });
    const plain = (ds: typeof task.train) => new DataLoader(ds, { batchSize: 500, seed: config.seed, shuffle: false, prefetch: false });
    const t0 = Date.now();
    const st = createSemisupTask(target.model, m, {
      labelled: plain(task.train), eval: plain(task.test), source,
      makeModel: () => { const c = loadBackbone(args.weights, { numClasses: task.numClasses }).model; models.push(c); return c; },
    });
    const opts = { data, onEvent: runLogger(logFile, { quiet: o.quiet ?? false, every: 20 }), handleSignals: o.handleSignals ?? true, scheduler: semisupScheduler(m.numCycles) };
    const result = a.resume ? await resume(dir, st, opts) : await train(st, config, { ...opts, runDir: dir });
    if (result.status === 'failed') throw new Error(`training failed; see ${dir}`);
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
      elapsedSec: (Date.now() - t0) / 1000, command,
    };
    st.dispose();
    new RunDir(dir).writeSummary({ ...readSummary(dir), ...report });
    logLine(logFile, `test accuracy ${report.testAccuracy.toFixed(4)} (mean of last ${lastK.length}: ${report.meanLastAccuracy.toFixed(4)}); ${result.step} steps in ${report.elapsedSec.toFixed(1)} s`);
    return report;
  } finally {
    for (const x of models) x.dispose();
    task.dispose();
  }
}

/** `adaptune semisup`: prints the summary (or one JSON object with --json); returns the exit status. */
export async function semisupCommand(a: SemisupArgs): Promise<number> {
  const r = await runSemisup(a);
  if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    const g = (x: [number, number] | null) => (x ? `${pct(x[0])} -> ${pct(x[1])}` : 'off');
    process.stdout.write(`semisup ${r.status}: ${r.algorithm}${r.akc ? '+AKC' : ''}${r.arc ? '+ARC' : ''} on ${r.data} (${r.labelsPerClass} labels/class), ${r.steps} steps in ${r.elapsedSec.toFixed(1)} s\n`
      + `test accuracy: ${pct(r.testAccuracy)} (mean of the last ${Math.min(LAST_EVALS, r.evaluations)} evaluations ${pct(r.meanLastAccuracy)}) on ${r.testImages} images\n`
      + `gate ratios (first -> last 10% of steps): AKC ${g(r.gates.akc)}, ARC ${g(r.gates.arc)}, SSL mask ${g(r.gates.ssl)}\nrun directory: ${r.runDir}\n`);
  }
  return r.exitCode;
}

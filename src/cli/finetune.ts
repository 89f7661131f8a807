/**
 * @module `adaptune finetune`: standard fine-tuning (src/methods/finetune, the default) or AdaFilter
 * (--method adafilter, src/methods/adafilter) of the bundled backbone or --weights FILE on a benchmark task.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import { loadTask } from '../data/tasks/index.js';
import { createAdafilterTask, adafilterTrainConfig, type GateSummary } from '../methods/adafilter/index.js';
import type { FeatureModel } from '../models/index.js';
import type { DataLoader } from '../data/loader.js';
import { loadConfigFile, mergeConfig, newRunDir, parseOverrides, resume, RunDir, train, type TrainConfig, type TrainEvent } from '../train/index.js';
import type { FinetuneArgs, FinetuneMethod } from './args-train.js';
import { defaultBackbonePath, loadBackbone } from './backbone.js';
import { applyThreads, commandLine, logLine, runLogger, taskLoaders, writeWeights } from './common.js';
import { CliError } from './flags.js';
import { checkFreshRunDir, defined, layeredConfig, readSummary, supervisedRun, type SupervisedRun } from './runconfig.js';

/** Defaults of `adaptune finetune` (below --config, the flags and --set); batch size and epochs are the command's. */
export const FINETUNE_DEFAULTS = {
  batchSize: 32,
  config: {
    seed: 0, epochs: 30, scheduler: { name: 'cosine', interval: 'step' }, eval: { atEpochEnd: false }, checkpoint: { atEpochEnd: true, keep: 1 }, log: { every: 5 },
    method: { strategy: 'full', head: 'reinit', elr: 0.1, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 },
  },
} as const;

/** Defaults of `adaptune finetune --method adafilter`: the same schedule; the method options are AdaFilter's defaults (src/methods/adafilter/config.ts). */
export const ADAFILTER_DEFAULTS = { batchSize: 32, config: { ...FINETUNE_DEFAULTS.config, method: {} } } as const;

/** AdaFilter's gate statistics on the test split: fine-tuned fraction overall, per gated layer (by path), per class; gate entropy (bits). */
export interface GateReport { fraction: number; perLayer: Record<string, number>; perClass: (number | null)[]; entropy: number }

/** What a finetune run reports. */
export interface FinetuneReport {
  runDir: string; data: string; labelsPerClass: number | 'all'; weights: string; backboneSha256: string;
  /** 'finetune' or 'adafilter'; strategy is the finetune strategy, or 'adafilter'. */
  method: FinetuneMethod; gates: GateReport | null;
  strategy: string; steps: number; epochs: number; status: string; exitCode: number;
  testAccuracy: number; testLoss: number; testImages: number; elapsedSec: number; command: string;
}

/** The CLI arguments recorded in a run directory, so that --resume rebuilds the same data and model. */
interface SavedArgs { data: string; labelsPerClass: number | 'all'; batchSize: number; weights: string; method?: FinetuneMethod }

/** AdaFilter's layering: defaults < file < flags < --set, resolved by adafilterTrainConfig (method options validated). */
export async function adafilterConfig(defaults: Record<string, unknown>, file: string | null, flags: Record<string, unknown>, set: string[]): Promise<TrainConfig> {
  return adafilterTrainConfig({}, mergeConfig(defaults, file ? await loadConfigFile(file) : {}, flags, parseOverrides(set)));
}

/** supervisedRun's AdaFilter counterpart: wraps `model`, trains (or resumes), evaluates on `test` (accuracy and the gate statistics). */
export async function adafilterRun(o: { model: FeatureModel; config: TrainConfig; train: DataLoader; test: DataLoader; runDir: string; onEvent: (e: TrainEvent) => void; resumeDir: string | null; handleSignals?: boolean }): Promise<SupervisedRun & { gates: GateReport }> {
  const t0 = Date.now();
  const task = createAdafilterTask(o.model, o.config.method as Record<string, unknown>, { eval: o.test });
  const opts = { data: o.train, onEvent: o.onEvent, handleSignals: o.handleSignals ?? true };
  const result = o.resumeDir ? await resume(o.resumeDir, task, opts) : await train(task, o.config, { ...opts, runDir: o.runDir });
  if (result.status === 'failed') throw new Error(`training failed; see ${o.runDir}`);
  const m = task.evaluate();
  const s = task.lastGateSummary as GateSummary;
  const gates = { fraction: s.fraction, perLayer: Object.fromEntries(task.paths.map((p, i) => [p, s.perLayer[i]!])), perClass: s.perClass, entropy: s.entropy };
  return { result, task: task as unknown as SupervisedRun['task'], test: { accuracy: m['accuracy'] ?? 0, loss: m['loss'] ?? 0 }, elapsedSec: (Date.now() - t0) / 1000, gates };
}

/** Runs (or resumes) a fine-tuning; `argv` is recorded as the exact command. */
export async function runFinetune(a: FinetuneArgs, o: { argv?: string[]; quiet?: boolean; handleSignals?: boolean } = {}): Promise<FinetuneReport> {
  applyThreads(a.threads);
  const command = commandLine(o.argv);
  let args: SavedArgs;
  let config;
  const runDir = a.resume ? resolve(a.resume) : a.out ? resolve(a.out) : null;
  if (a.resume) {
    const f = join(runDir!, 'cli.json');
    if (!existsSync(f)) throw new CliError(`--resume ${a.resume}: no cli.json there (not a run of adaptune finetune)`);
    args = JSON.parse(readFileSync(f, 'utf8')) as SavedArgs;
    const saved = new RunDir(runDir!).readConfig() as Record<string, unknown>;
    config = args.method === 'adafilter' ? await adafilterConfig(saved, null, {}, []) : await layeredConfig(saved, null, {}, []);
  } else if (a.method === 'adafilter') {
    config = await adafilterConfig(ADAFILTER_DEFAULTS.config, a.config, defined({
      seed: a.seed, epochs: a.epochs,
      method: defined({
        lr: a.lr, momentum: a.momentum, weightDecay: a.weightDecay, head: a.head, gate: a.gate, binarize: a.binarize, temperature: a.temperature,
        stages: a.stages, gatedBn: a.gatedBn, usagePenalty: a.usagePenalty, gateLrScale: a.gateLrScale, headLrScale: a.headLrScale,
      }),
    }), a.set);
    if (runDir) checkFreshRunDir(runDir);
    args = { data: a.data, labelsPerClass: a.labelsPerClass, batchSize: a.batchSize ?? ADAFILTER_DEFAULTS.batchSize, weights: resolve(a.weights ?? defaultBackbonePath()), method: 'adafilter' };
  } else {
    config = await layeredConfig(FINETUNE_DEFAULTS.config, a.config, defined({
      seed: a.seed, epochs: a.epochs,
      method: defined({
        strategy: a.strategy, freezeUpTo: a.freezeUpTo, elr: a.elr, lr: a.lr, momentum: a.momentum, regularizer: a.regularizer, alpha: a.alpha, beta: a.beta,
        weightDecay: a.weightDecay, head: a.head, bn: a.bn, headLrScale: a.headLrScale,
      }),
    }), a.set);
    if (runDir) checkFreshRunDir(runDir);
    args = { data: a.data, labelsPerClass: a.labelsPerClass, batchSize: a.batchSize ?? FINETUNE_DEFAULTS.batchSize, weights: resolve(a.weights ?? defaultBackbonePath()) };
  }
  const methodName: FinetuneMethod = args.method ?? 'finetune';
  const method = config.method as { head?: string; numClasses?: number | null; strategy?: string };
  // the task and the weights first: a bad --weights or --data leaves no run directory behind
  const task = loadTask(args.data, { labelsPerClass: args.labelsPerClass as never, seed: config.seed });
  method.numClasses = task.numClasses;
  torch.manualSeed(config.seed);
  let loaded;
  const inChannels = task.train.images.shape[1]!;
  try { loaded = loadBackbone(args.weights, { inChannels, data: args.data, ...(method.head === 'keep' ? {} : { numClasses: task.numClasses }) }); } catch (e) { task.dispose(); throw e; }
  const { model, sidecar } = loaded;
  const dir = runDir ?? newRunDir('runs', 'finetune');
  if (!a.resume) {
    new RunDir(dir);
    writeFileSync(join(dir, 'cli.json'), JSON.stringify({ ...args, command }, null, 2) + '\n');
  }
  const logFile = join(dir, 'log.txt');
  logLine(logFile, `$ ${command}`);
  const loaders = taskLoaders(task, args.batchSize, config.seed);
  try {
    const run = { model, config, ...loaders, runDir: dir, onEvent: runLogger(logFile, { quiet: o.quiet ?? false, every: 20 }), resumeDir: a.resume ? dir : null, handleSignals: o.handleSignals };
    const r = methodName === 'adafilter' ? await adafilterRun(run) : { ...await supervisedRun(run), gates: null };
    r.task.dispose();
    const report: FinetuneReport = {
      runDir: dir, data: args.data, labelsPerClass: args.labelsPerClass, weights: args.weights, backboneSha256: sidecar.sha256,
      method: methodName, gates: r.gates, strategy: method.strategy ?? methodName,
      steps: r.result.step, epochs: Math.round(100 * (r.result.epochsRun ?? r.result.epoch)) / 100, status: r.result.status, exitCode: r.result.exitCode,
      testAccuracy: r.test.accuracy, testLoss: r.test.loss, testImages: task.test.length, elapsedSec: r.elapsedSec, command,
    };
    // an AdaFilter model is no plain backbone (two filter banks and a gate network): its weights stay in checkpoints/
    if (methodName === 'finetune') writeWeights(model, join(dir, 'weights.safetensors'), {
      model: sidecar.model, task: { name: args.data, labelsPerClass: args.labelsPerClass, seed: config.seed }, training: { steps: r.result.step, batchSize: args.batchSize, method: config.method, from: args.weights },
      sourceTestAccuracy: null, command, elapsedSec: r.elapsedSec,
    });
    new RunDir(dir).writeSummary({ ...readSummary(dir), ...report });
    logLine(logFile, `test accuracy ${r.test.accuracy.toFixed(4)} (${task.test.length} images); ${r.result.step} steps in ${r.elapsedSec.toFixed(1)} s`);
    if (r.gates) logLine(logFile, `fine-tuned filters ${(100 * r.gates.fraction).toFixed(1)}% (gate entropy ${r.gates.entropy.toFixed(3)} bits); per layer ${JSON.stringify(r.gates.perLayer)}`);
    return report;
  } finally {
    model.dispose();
    task.dispose();
  }
}

/** `adaptune finetune`: prints the summary (or one JSON object with --json); returns the exit status. */
export async function finetuneCommand(a: FinetuneArgs): Promise<number> {
  const r = await runFinetune(a);
  if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(`finetune ${r.status}: ${r.strategy} on ${r.data} (${r.labelsPerClass} labels/class), ${r.steps} steps (${r.epochs} epoch${r.epochs === 1 ? '' : 's'}) in ${r.elapsedSec.toFixed(1)} s\n`
      + `test accuracy: ${(100 * r.testAccuracy).toFixed(2)}% on ${r.testImages} images (loss ${r.testLoss.toFixed(4)})\n`
      + (r.gates ? `fine-tuned filters: ${(100 * r.gates.fraction).toFixed(1)}% of the gated filters per example (gate entropy ${r.gates.entropy.toFixed(3)} bits)\n` : '')
      + `run directory: ${r.runDir}\n`);
  }
  return r.exitCode;
}

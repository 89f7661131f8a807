/** @module `adaptune finetune`: standard fine-tuning (src/methods/finetune) of the bundled backbone or --weights FILE on a benchmark task. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import { loadTask } from '../data/tasks/index.js';
import { newRunDir, RunDir } from '../train/index.js';
import type { FinetuneArgs } from './args-train.js';
import { defaultBackbonePath, loadBackbone } from './backbone.js';
import { applyThreads, commandLine, logLine, runLogger, taskLoaders, writeWeights } from './common.js';
import { CliError } from './flags.js';
import { checkFreshRunDir, defined, layeredConfig, readSummary, supervisedRun } from './runconfig.js';

/** Defaults of `adaptune finetune` (below --config, the flags and --set); batch size and epochs are the command's. */
export const FINETUNE_DEFAULTS = {
  batchSize: 32,
  config: {
    seed: 0, epochs: 30, scheduler: { name: 'cosine', interval: 'step' }, eval: { atEpochEnd: false }, checkpoint: { atEpochEnd: true, keep: 1 }, log: { every: 5 },
    method: { strategy: 'full', head: 'reinit', elr: 0.1, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 },
  },
} as const;

/** What a finetune run reports. */
export interface FinetuneReport {
  runDir: string; data: string; labelsPerClass: number | 'all'; weights: string; backboneSha256: string;
  strategy: string; steps: number; epochs: number; status: string; exitCode: number;
  testAccuracy: number; testLoss: number; testImages: number; elapsedSec: number; command: string;
}

/** The CLI arguments recorded in a run directory, so that --resume rebuilds the same data and model. */
interface SavedArgs { data: string; labelsPerClass: number | 'all'; batchSize: number; weights: string }

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
    config = await layeredConfig(new RunDir(runDir!).readConfig() as Record<string, unknown>, null, {}, []);
  } else {
    config = await layeredConfig(FINETUNE_DEFAULTS.config, a.config, defined({
      seed: a.seed, epochs: a.epochs,
      method: defined({
        strategy: a.strategy, freezeUpTo: a.freezeUpTo, elr: a.elr, lr: a.lr, momentum: a.momentum, regularizer: a.regularizer, alpha: a.alpha, beta: a.beta,
        weightDecay: a.weightDecay, head: a.head, bn: a.bn,
      }),
    }), a.set);
    if (runDir) checkFreshRunDir(runDir);
    args = { data: a.data, labelsPerClass: a.labelsPerClass, batchSize: a.batchSize ?? FINETUNE_DEFAULTS.batchSize, weights: resolve(a.weights ?? defaultBackbonePath()) };
  }
  const method = config.method as { head?: string; numClasses?: number | null; strategy: string };
  // the task and the weights first: a bad --weights or --data leaves no run directory behind
  const task = loadTask(args.data, { labelsPerClass: args.labelsPerClass as never, seed: config.seed });
  method.numClasses = task.numClasses;
  torch.manualSeed(config.seed);
  let loaded;
  try { loaded = loadBackbone(args.weights, method.head === 'keep' ? {} : { numClasses: task.numClasses }); } catch (e) { task.dispose(); throw e; }
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
    const r = await supervisedRun({ model, config, ...loaders, runDir: dir, onEvent: runLogger(logFile, { quiet: o.quiet ?? false, every: 20 }), resumeDir: a.resume ? dir : null, handleSignals: o.handleSignals });
    r.task.dispose();
    const report: FinetuneReport = {
      runDir: dir, data: args.data, labelsPerClass: args.labelsPerClass, weights: args.weights, backboneSha256: sidecar.sha256, strategy: method.strategy,
      steps: r.result.step, epochs: Math.round((100 * r.result.step) / loaders.train.numBatches) / 100, status: r.result.status, exitCode: r.result.exitCode,
      testAccuracy: r.test.accuracy, testLoss: r.test.loss, testImages: task.test.length, elapsedSec: r.elapsedSec, command,
    };
    writeWeights(model, join(dir, 'weights.safetensors'), {
      model: sidecar.model, task: { name: args.data, labelsPerClass: args.labelsPerClass, seed: config.seed }, training: { steps: r.result.step, batchSize: args.batchSize, method: config.method, from: args.weights },
      sourceTestAccuracy: null, command, elapsedSec: r.elapsedSec,
    });
    new RunDir(dir).writeSummary({ ...readSummary(dir), ...report });
    logLine(logFile, `test accuracy ${r.test.accuracy.toFixed(4)} (${task.test.length} images); ${r.result.step} steps in ${r.elapsedSec.toFixed(1)} s`);
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
      + `test accuracy: ${(100 * r.testAccuracy).toFixed(2)}% on ${r.testImages} images (loss ${r.testLoss.toFixed(4)})\nrun directory: ${r.runDir}\n`);
  }
  return r.exitCode;
}

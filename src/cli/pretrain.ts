/** @module `adaptune pretrain`: supervised training of a backbone on a benchmark task, evaluated on its test split, exported as safetensors + sidecar. */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import { loadTask } from '../data/tasks/index.js';
import { createModel, type FeatureModel, type ModelName } from '../models/index.js';
import { newRunDir, RunDir } from '../train/index.js';
import type { PretrainArgs } from './args-train.js';
import { CliError } from './flags.js';
import { applyThreads, commandLine, logLine, runLogger, taskLoaders, writeWeights, type ModelSpec, type Sidecar } from './common.js';
import { checkFreshRunDir, defined, layeredConfig, readSummary, supervisedRun } from './runconfig.js';

/** Defaults of `adaptune pretrain` (below --config, the flags and --set). */
export const PRETRAIN_DEFAULTS = {
  batchSize: 128, width: 16,
  config: {
    seed: 0, epochs: 8, scheduler: { name: 'cosine', interval: 'step' }, eval: { atEpochEnd: true }, checkpoint: { atEpochEnd: true, keep: 1 }, log: { every: 10 },
    method: { strategy: 'scratch', head: 'reinit', regularizer: 'l2', weightDecay: 5e-4, lr: 0.1, momentum: 0.9 },
  },
} as const;

/** What a pretrain run reports. */
export interface PretrainReport {
  runDir: string;
  weights: string;
  exported: string | null;
  sidecar: Sidecar;
  testAccuracy: number;
  testLoss: number;
  steps: number;
  elapsedSec: number;
  status: string;
  exitCode: number;
}

/** Builds the architecture of a spec (1-channel input, the task's classes). */
export function buildModel(spec: ModelSpec): FeatureModel {
  const { name, config } = spec;
  return createModel(name as ModelName, config as never) as FeatureModel;
}

/** Runs a pretraining (see module doc); `argv` is recorded as the exact command. */
export async function runPretrain(a: PretrainArgs, o: { argv?: string[]; quiet?: boolean; handleSignals?: boolean } = {}): Promise<PretrainReport> {
  applyThreads(a.threads);
  if (a.model === 'small_cnn' && a.width !== undefined) throw new CliError('--width does not apply to small_cnn');
  const config = await layeredConfig(PRETRAIN_DEFAULTS.config, a.config, defined({
    seed: a.seed, epochs: a.epochs,
    method: defined({ lr: a.lr, momentum: a.momentum, weightDecay: a.weightDecay }),
  }), a.set);
  const runDir = a.out ? resolve(a.out) : newRunDir('runs', 'pretrain');
  checkFreshRunDir(runDir);
  const run = new RunDir(runDir);
  const logFile = join(runDir, 'log.txt');
  const command = commandLine(o.argv);
  logLine(logFile, `$ ${command}`);
  const task = loadTask(a.data, { labelsPerClass: a.labelsPerClass, seed: config.seed });
  const batchSize = a.batchSize ?? PRETRAIN_DEFAULTS.batchSize;
  const loaders = taskLoaders(task, batchSize, config.seed);
  const spec: ModelSpec = {
    name: a.model,
    config: a.model === 'small_cnn' ? { inChannels: 1, numClasses: task.numClasses } : { width: a.width ?? PRETRAIN_DEFAULTS.width, inChannels: 1, numClasses: task.numClasses },
  };
  torch.manualSeed(config.seed);
  const model = buildModel(spec);
  config.method['numClasses'] = task.numClasses;
  const log = runLogger(logFile, { quiet: o.quiet ?? false });
  try {
    const r = await supervisedRun({ model, config, ...loaders, runDir, onEvent: log, handleSignals: o.handleSignals });
    r.task.dispose();
    const info = {
      model: spec, task: { name: task.name, labelsPerClass: a.labelsPerClass, seed: config.seed, trainSize: task.train.length, testSize: task.test.length, fingerprints: task.describe().fingerprints },
      training: { epochs: config.epochs, maxSteps: config.maxSteps, steps: r.result.step, batchSize, seed: config.seed, optim: config.optim, scheduler: config.scheduler.name, method: config.method, augmentation: 'RandomCrop(28, padding 2) + RandomHorizontalFlip(0.5)' },
      sourceTestAccuracy: r.test.accuracy, command, elapsedSec: r.elapsedSec,
    };
    const weights = join(runDir, 'weights.safetensors');
    const sidecar = writeWeights(model, weights, info);
    let exported: string | null = null;
    if (a.export) {
      exported = resolve(a.export);
      mkdirSync(dirname(exported), { recursive: true });
      writeWeights(model, exported, info);
    }
    run.writeSummary({ ...readSummary(runDir), command, data: a.data, labelsPerClass: a.labelsPerClass, model: spec, batchSize, test: r.test, weights, weightsSha256: sidecar.sha256, exported, wallSec: r.elapsedSec });
    logLine(logFile, `test accuracy ${r.test.accuracy.toFixed(4)} (${task.test.length} images), loss ${r.test.loss.toFixed(4)}; ${r.result.step} steps in ${r.elapsedSec.toFixed(1)} s`);
    return { runDir, weights, exported, sidecar, testAccuracy: r.test.accuracy, testLoss: r.test.loss, steps: r.result.step, elapsedSec: r.elapsedSec, status: r.result.status, exitCode: r.result.exitCode };
  } finally {
    model.dispose();
    task.dispose();
  }
}

/** `adaptune pretrain`: prints the result (or one JSON object with --json); returns the exit status. */
export async function pretrainCommand(a: PretrainArgs): Promise<number> {
  const r = await runPretrain(a);
  if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(`pretrain ${r.status}: ${r.sidecar.model.name} on ${String(r.sidecar.task['name'])}, ${r.steps} steps in ${r.elapsedSec.toFixed(1)} s\n`
      + `source test accuracy: ${(100 * r.testAccuracy).toFixed(2)}% (loss ${r.testLoss.toFixed(4)})\n`
      + `weights: ${r.weights} (sha256 ${r.sidecar.sha256.slice(0, 16)}...)\n${r.exported ? `exported: ${r.exported} + ${r.exported.replace(/\.safetensors$/, '')}.json\n` : ''}`);
  }
  return r.exitCode;
}

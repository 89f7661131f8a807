/**
 * @module runPretrain: supervised training of a backbone from random init on a benchmark task (the finetune task
 * with strategy 'scratch'), evaluated on its test split, its weights written with a sidecar (and optionally
 * exported elsewhere) so that runFinetune and the other methods can start from it.
 */
import { dirname, join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { loadTask, taskLoaders, type LabelsPerClass, type TaskName } from '../../data/index.js';
import { buildModel, writeWeights, type ModelName, type ModelSpec, type Sidecar } from '../../models/index.js';
import { defined, makeDirs, planRun, runConfig, RunSession, type RunHooks } from '../../train/index.js';
import { LR_PAIR, resolveFinetune, supervisedRun } from './run.js';
import { PRETRAIN_DEFAULTS, PRETRAIN_OPTIONS, type PretrainOptionValues } from './options.js';
import { checkOptions } from '../../core/options.js';

export { PRETRAIN_DEFAULTS } from './options.js';

/** Options of runPretrain: the table of options.ts. */
export type PretrainOptions = PretrainOptionValues & RunHooks;

/** What a pretrain run reports. */
export interface PretrainReport {
  runDir: string; weights: string; exported: string | null; sidecar: Sidecar;
  testAccuracy: number; testLoss: number; steps: number; elapsedSec: number; status: string; exitCode: number;
}

/** Trains a backbone (see module doc). */
export async function runPretrain(o: PretrainOptions = {}): Promise<PretrainReport> {
  checkOptions(PRETRAIN_OPTIONS, o);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const name = o.model ?? PRETRAIN_DEFAULTS.model;
  if (name === 'small_cnn' && o.width !== undefined) throw new ConfigError('--width does not apply to small_cnn');
  if (o.export !== undefined && o.export !== null) {
    // checked before anything trains: an empty or unusable path would only fail after the whole run
    if (typeof o.export !== 'string' || o.export.trim() === '') throw new ConfigError(`--export needs a file path (X.safetensors), got ${JSON.stringify(o.export)}`);
    if (!o.export.endsWith('.safetensors')) throw new ConfigError(`--export ${o.export}: the weights file must end in .safetensors (its sidecar is written beside it as .json)`);
  }
  const plan = planRun<object>('pretrain', o);
  const { config } = await runConfig(plan, {
    defaults: PRETRAIN_DEFAULTS.config, file: o.config, set: o.set, exclusive: LR_PAIR, resolve: resolveFinetune,
    flags: defined({ seed: o.seed, epochs: o.epochs, method: defined({ lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay }) }),
  });
  const data = o.data ?? PRETRAIN_DEFAULTS.data;
  const labelsPerClass = o.labelsPerClass ?? PRETRAIN_DEFAULTS.labelsPerClass;
  const batchSize = o.batchSize ?? PRETRAIN_DEFAULTS.batchSize;
  const session = RunSession.open(plan, { data, labelsPerClass, batchSize, model: name }, o);
  const task = loadTask(data, { labelsPerClass, seed: config.seed });
  const loaders = taskLoaders(task, batchSize, config.seed);
  const spec: ModelSpec = {
    name, config: name === 'small_cnn' ? { inChannels: 1, numClasses: task.numClasses } : { width: o.width ?? PRETRAIN_DEFAULTS.width, inChannels: 1, numClasses: task.numClasses },
  };
  torch.manualSeed(config.seed);
  const model = buildModel(spec);
  config.method.numClasses = task.numClasses;
  try {
    const r = await supervisedRun({ model, config, ...loaders, session, onEvent: session.events(o), handleSignals: o.handleSignals, signal: o.signal });
    r.task.dispose();
    const info = {
      model: spec, task: { name: task.name, labelsPerClass, seed: config.seed, trainSize: task.train.length, testSize: task.test.length, fingerprints: task.describe().fingerprints },
      training: { epochs: config.epochs, maxSteps: config.maxSteps, steps: r.result.step, batchSize, seed: config.seed, optim: config.optim, scheduler: config.scheduler.name, method: config.method, augmentation: 'RandomCrop(28, padding 2) + RandomHorizontalFlip(0.5)' },
      sourceTestAccuracy: r.test.accuracy, command: session.command, elapsedSec: r.elapsedSec,
    };
    const weights = join(session.dir, 'weights.safetensors');
    const sidecar = writeWeights(model, weights, info);
    let exported: string | null = null;
    if (o.export) {
      exported = resolve(o.export);
      makeDirs(dirname(exported));
      writeWeights(model, exported, info);
    }
    session.writeSummary({ command: session.command, data, labelsPerClass, model: spec, batchSize, test: r.test, weights, weightsSha256: sidecar.sha256, exported, wallSec: r.elapsedSec });
    session.log(`test accuracy ${r.test.accuracy.toFixed(4)} (${task.test.length} images), loss ${r.test.loss.toFixed(4)}; ${r.result.step} steps in ${r.elapsedSec.toFixed(1)} s`);
    return { runDir: session.dir, weights, exported, sidecar, testAccuracy: r.test.accuracy, testLoss: r.test.loss, steps: r.result.step, elapsedSec: r.elapsedSec, status: r.result.status, exitCode: r.result.exitCode };
  } finally {
    model.dispose();
    task.dispose();
  }
}

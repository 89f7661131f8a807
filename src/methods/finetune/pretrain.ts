/**
 * @module runPretrain: supervised training of a backbone from random init on a benchmark task or any data spec
 * (the finetune task with strategy 'scratch'); evaluations during training see a validation split of the
 * training images (valFraction; 0: none, as the bundled backbone was trained); the test split is evaluated
 * once at the end; the weights are written with a sidecar (and optionally exported elsewhere) so that
 * runFinetune and the other methods can start from them.
 */
import { dirname, join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { loadersFor, open, type AugmentName, type OpenedData } from '../../data/index.js';
import { buildModel, writeWeights, type ModelName, type ModelSpec, type Sidecar } from '../../models/index.js';
import { defined, isBuiltinSpec, makeDirs, planRun, preprocessingFor, runConfig, RunSession, SUPERVISED_DATA_DEFAULTS, type RunHooks } from '../../train/index.js';
import { LR_PAIR, resolveFinetune, supervisedRun } from './run.js';
import { PRETRAIN_DEFAULTS, PRETRAIN_OPTIONS, type PretrainOptionValues } from './options.js';
import { checkOptions } from '../../core/options.js';

export { PRETRAIN_DEFAULTS } from './options.js';

/** Options of runPretrain: the table of options.ts. */
export type PretrainOptions = PretrainOptionValues & RunHooks;

/** What a pretrain run reports. */
export interface PretrainReport {
  runDir: string; weights: string; exported: string | null; sidecar: Sidecar;
  valAccuracy: number | null; testAccuracy: number; testLoss: number; testMacroF1: number; steps: number; elapsedSec: number; status: string; exitCode: number;
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
    flags: defined({ seed: o.seed, epochs: o.epochs, maxSteps: o.maxSteps, precision: o.precision, method: defined({ optimizer: o.optimizer, lr: o.lr ?? (o.optimizer && o.optimizer !== 'sgd' ? 1e-3 : undefined), momentum: o.momentum, weightDecay: o.weightDecay }) }),
  });
  const data = o.data ?? PRETRAIN_DEFAULTS.data;
  const labelsPerClass = o.labelsPerClass ?? PRETRAIN_DEFAULTS.labelsPerClass;
  const batchSize = o.batchSize ?? PRETRAIN_DEFAULTS.batchSize;
  const valFraction = o.valFraction ?? PRETRAIN_DEFAULTS.valFraction;
  const builtin = isBuiltinSpec(data);
  const inChannels = builtin ? 1 : 3;
  // a probe model of the architecture sizes the preprocessing; the data is read before the run directory exists
  const probe = buildModel({ name, config: name === 'small_cnn' ? { inChannels, numClasses: 2 } : { width: o.width ?? PRETRAIN_DEFAULTS.width, inChannels, numClasses: 2 } });
  const pre = preprocessingFor({ model: probe, spec: { name, config: {} }, file: null, sha256: null, normalization: null, sourceTask: null, imageSize: null, notes: [] }, { imageSize: o.imageSize ?? null, augment: o.augment ?? null }, builtin);
  probe.dispose();
  const d: OpenedData = await open(data, { seed: config.seed, labelsPerClass, valFraction, testFraction: o.testFraction ?? SUPERVISED_DATA_DEFAULTS.testFraction, preprocessing: pre });
  const size = d.preprocessing.imageSize;
  const spec: ModelSpec = {
    name, config: name === 'small_cnn' ? { inChannels, numClasses: d.numClasses, inputSize: size[0] } as never : { width: o.width ?? PRETRAIN_DEFAULTS.width, inChannels, numClasses: d.numClasses },
  };
  let session: RunSession;
  try { session = RunSession.open(plan, { data, labelsPerClass, batchSize, model: name, valFraction }, o); } catch (e) { d.dispose(); throw e; }
  const loaders = loadersFor(d, { batchSize, seed: config.seed });
  torch.manualSeed(config.seed);
  const model = buildModel(name === 'small_cnn' ? { name, config: { ...spec.config, inputSize: [size[0], size[1]] } as never } : spec);
  config.method.numClasses = d.numClasses;
  try {
    const r = await supervisedRun({ model, config, ...loaders, session, onEvent: session.events(o), handleSignals: o.handleSignals, signal: o.signal });
    r.task.dispose();
    const task = d.task;
    const info = {
      model: spec, task: { name: data, labelsPerClass, seed: config.seed, trainSize: d.train.length, valSize: d.val?.length ?? 0, testSize: d.test.length, classes: d.classes, ...(task ? { fingerprints: task.describe().fingerprints } : {}) },
      training: { epochs: config.epochs, maxSteps: config.maxSteps, steps: r.result.step, batchSize, seed: config.seed, optim: config.optim, scheduler: config.scheduler.name, method: config.method, augmentation: d.preprocessing.augment },
      sourceTestAccuracy: r.test.accuracy, command: session.command, elapsedSec: r.elapsedSec, preprocessing: { ...d.preprocessing },
    };
    const weights = join(session.dir, 'weights.safetensors');
    const sidecar = writeWeights(model, weights, info);
    let exported: string | null = null;
    if (o.export) {
      exported = resolve(o.export);
      makeDirs(dirname(exported));
      writeWeights(model, exported, info);
    }
    session.writeSummary({ command: session.command, data, labelsPerClass, model: spec, batchSize, val: r.val, test: r.test, classes: d.classes, weights, weightsSha256: sidecar.sha256, exported, wallSec: r.elapsedSec });
    if (r.val) session.log(`validation accuracy ${r.val.accuracy.toFixed(4)} (${r.val.n} images)`);
    session.log(`test accuracy ${r.test.accuracy.toFixed(4)} (${r.test.n} images), loss ${r.test.loss.toFixed(4)}; ${r.result.step} steps in ${r.elapsedSec.toFixed(1)} s`);
    return { runDir: session.dir, weights, exported, sidecar, valAccuracy: r.val?.accuracy ?? null, testAccuracy: r.test.accuracy, testLoss: r.test.loss, testMacroF1: r.test.macroF1, steps: r.result.step, elapsedSec: r.elapsedSec, status: r.result.status, exitCode: r.result.exitCode };
  } finally {
    model.dispose();
    d.dispose();
  }
}

/**
 * @module The start of a supervised run shared by the run functions, on any data spec (data.open) with any
 * model: the weights first (a forbidden global, a checksum mismatch or weights that do not fit the model fail
 * here), then the data (a corrupt image or an empty class folder fails here, named), then the head sized for the
 * data, then the run directory and the loaders. Nothing is written before the last step, so bad input leaves
 * no run directory behind.
 *
 * The model: `weights` (any file loadWeights reads: safetensors with or without an adaptune sidecar, PyTorch
 * .pth/.pt/.bin state dicts through the weights-only reader) with `model` as the architecture when given (else
 * the sidecar's or the one inferred from the keys); `model` alone: that registry architecture, freshly
 * initialised; neither: the bundled backbone. The preprocessing follows the model: its input channels (gray
 * images replicated for an RGB model, RGB to luminance for a 1-channel one), its normalisation (ImageNet's for
 * torchvision ResNets), and its image size (imageSize, else what its sidecar records, else 28 for weights
 * trained on a 28x28 built-in task, 224 for torchvision ResNets, 32 otherwise).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as torch from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import { open, loadersFor, TASK_NAMES, type AugmentName, type OpenedData, type OpenedLoaders, type Preprocessing, type PreprocessingOptions } from '../data/index.js';
import { BackboneError, bundledBackbonePath, createModel, listModels, loadWeights, sha256File, type FeatureModel, type ModelName } from '../models/index.js';
import type { TrainConfig } from './config.js';
import type { ClassificationMetrics } from './evaluate.js';
import type { TrainResult } from './events.js';
import { RunSession, type RunPlan } from './lifecycle.js';

/** The arguments every supervised run records (cli.json), so that a resume rebuilds the same data and model. */
export interface SupervisedArgs {
  /** A data spec (data.open): a built-in task, imagefolder:DIR, csv:FILE. */
  data: string;
  labelsPerClass: number | 'all';
  batchSize: number;
  /** The weights file (absolute), or null for `model` freshly initialised. */
  weights: string | null;
  /** A registry model name (null: the weights' sidecar or the architecture inferred from them). */
  model?: string | null;
  /** Fraction of the labelled training images held out for validation (when the data has no val split). */
  valFraction?: number;
  /** Fraction held out for testing (when the data has no test split). */
  testFraction?: number;
  /** Input size of the model (null: from the model, see the module doc). */
  imageSize?: number | null;
  /** Training augmentation (null: crop+flip). */
  augment?: AugmentName | null;
}

/** The defaults of the data arguments of every supervised run. */
export const SUPERVISED_DATA_DEFAULTS = { valFraction: 0.1, testFraction: 0.2, augment: 'crop+flip' as AugmentName } as const;

/** A model ready for a run, and how it was built (recorded in the summary and the fine-tuned weights' sidecar). */
export interface Backbone {
  model: FeatureModel;
  /** Registry name and config (enough to rebuild the architecture). */
  spec: { name: string; config: Record<string, number> };
  /** The weights file (null: freshly initialised) and its sha256. */
  file: string | null;
  sha256: string | null;
  normalization: { mean: number[]; std: number[] } | null;
  /** What the weights were trained on (the sidecar's task), when known. */
  sourceTask: string | null;
  /** The image size the weights' sidecar records, when it does. */
  imageSize: number | null;
  /** Notes for the log (architecture inferred, prefixes stripped, keys ignored, head replaced). */
  notes: string[];
}

/** Input channels of a model (its first convolution's). */
export function inputChannels(model: FeatureModel): number {
  const first = model.namedParameters().find(([, p]) => p.ndim === 4);
  return first ? first[1].shape[1]! : 3;
}

/** Loads the model of a run (see the module doc); `builtin`: the data is a 1-channel built-in task (a fresh model takes 1 channel). */
export function loadBackbone(o: { weights: string | null; model?: string | null; builtin?: boolean; imageSize?: number | null }): Backbone {
  const name = o.model ?? null;
  if (name !== null && !listModels().includes(name as ModelName)) throw new ConfigError(`model must be one of ${listModels().join(', ')}; got ${JSON.stringify(name)}`);
  if (o.weights === null) {
    if (name === null) throw new ConfigError('a run needs weights or a model (give weights, model, or neither for the bundled backbone)');
    const config: Record<string, number> = { inChannels: o.builtin ? 1 : 3 };
    const m = createModel(name as ModelName, (name === 'small_cnn' ? { ...config, inputSize: [o.imageSize ?? 28, o.imageSize ?? 28] } : config) as never) as FeatureModel;
    return { model: m, spec: { name, config }, file: null, sha256: null, normalization: null, sourceTask: null, imageSize: null, notes: [`model ${name} freshly initialised (no weights)`] };
  }
  if (!existsSync(o.weights)) throw new BackboneError(`weights file ${o.weights} does not exist`);
  const l = loadWeights(o.weights, name === null ? {} : { model: name as ModelName });
  const notes = [`weights ${l.source.file} (${l.source.format}${l.source.wrapper ? `, inside '${l.source.wrapper}'` : ''}${l.source.prefix ? `, prefix '${l.source.prefix}' stripped` : ''}): ${l.name}, architecture ${l.source.architecture} (${l.source.evidence})`];
  if (l.report.ignored.length) notes.push(`ignored entries: ${l.report.ignored.join(', ')}`);
  let side: { task?: { name?: unknown }; preprocessing?: { imageSize?: unknown } } = {};
  if (l.source.architecture === 'sidecar') {
    try { side = JSON.parse(readFileSync(o.weights.replace(/\.safetensors$/, '.json'), 'utf8')) as typeof side; } catch { side = {}; }
  }
  const sourceTask = typeof side.task?.name === 'string' ? side.task.name : null;
  const recorded = side.preprocessing?.imageSize;
  const imageSize = Array.isArray(recorded) && typeof recorded[0] === 'number' ? recorded[0] : typeof recorded === 'number' ? recorded : sourceTask && (TASK_NAMES as readonly string[]).includes(sourceTask) ? 28 : null;
  return {
    model: l.model, spec: { name: l.name, config: l.config as Record<string, number> }, file: o.weights, sha256: sha256File(o.weights),
    normalization: l.normalization, sourceTask, imageSize, notes,
  };
}

/** The preprocessing options a model asks for (channels, normalisation, image size, augmentation). */
export function preprocessingFor(b: Backbone, a: Pick<SupervisedArgs, 'imageSize' | 'augment'>, builtin: boolean): PreprocessingOptions {
  const size = builtin ? 28 : a.imageSize ?? b.imageSize ?? (b.spec.name.startsWith('resnet') ? 224 : 32);
  const channels = inputChannels(b.model) === 1 ? 1 : 3;
  return { imageSize: size, channels, normalization: b.normalization, augment: a.augment ?? SUPERVISED_DATA_DEFAULTS.augment, ...(builtin ? { resizeTo: 28, cropPadding: 2 } : {}) };
}

/** Whether a data spec names a built-in 28x28 task. */
export const isBuiltinSpec = (spec: string): boolean => /^\s*(fmnist|textures)\s*:/i.test(spec);

/** What openSupervised returns; dispose() frees the model and the data. */
export interface SupervisedStart {
  model: FeatureModel; backbone: Backbone; data: OpenedData; session: RunSession; loaders: OpenedLoaders; dispose(): void;
}

/**
 * Loads the weights, opens the data (labelsPerClass, the val split, the test split), seeds and sizes the head
 * (a new head for the data's classes unless method.head is 'keep'), then opens the run directory and builds the
 * loaders; see the module doc.
 */
export async function openSupervised<A extends SupervisedArgs>(plan: RunPlan<A>, args: A, config: TrainConfig<{ head?: string; numClasses: number | null }>, o: { command?: string; keepHead?: boolean }): Promise<SupervisedStart> {
  const method = config.method;
  const builtin = isBuiltinSpec(args.data);
  torch.manualSeed(config.seed);
  const backbone = loadBackbone({ weights: args.weights, model: args.model ?? null, builtin, imageSize: args.imageSize ?? null });
  const model = backbone.model;
  let data: OpenedData;
  try {
    data = await open(args.data, {
      // a run recorded before validation splits (no valFraction in its cli.json) resumes without one
      seed: config.seed, labelsPerClass: args.labelsPerClass, valFraction: args.valFraction ?? 0,
      testFraction: args.testFraction ?? SUPERVISED_DATA_DEFAULTS.testFraction, preprocessing: preprocessingFor(backbone, args, builtin),
    });
  } catch (e) { model.dispose(); throw e; }
  const dispose = (): void => { model.dispose(); data.dispose(); };
  try {
    method.numClasses = data.numClasses;
    const keep = o.keepHead ?? method.head === 'keep';
    if (keep && model.numClasses !== data.numClasses) throw new ConfigError(`the head of ${backbone.file ?? backbone.spec.name} has ${model.numClasses} outputs but ${args.data} has ${data.numClasses} classes; use a new head`);
    torch.manualSeed(config.seed);
    if (!keep) torch.noGrad(() => model.resetClassifier(data.numClasses));
    const session = RunSession.open(plan, args, o);
    for (const n of backbone.notes) session.log(n);
    const p = data.preprocessing;
    session.log(`data ${args.data}: ${data.numClasses} classes, train ${data.train.length}, val ${data.val?.length ?? 0}, test ${data.test.length}; ${p.channels} channel(s) at ${p.imageSize.join('x')} (resize ${p.resizeTo}, channels ${p.channelAdapt}), normalization ${p.normalization ? JSON.stringify(p.normalization) : 'none'}, augment ${p.augment}`);
    return { model, backbone, data, session, loaders: loadersFor(data, { batchSize: args.batchSize, seed: config.seed }), dispose };
  } catch (e) { dispose(); throw e; }
}

/** The data and model options every supervised run function takes (undefined: the default, or the resumed run's value). */
export interface SupervisedDataOptions {
  /** A data spec: a built-in task (fmnist:target-mid ...), imagefolder:DIR, csv:FILE (data.open). */
  data?: string;
  /** Labelled training images per class (any integer >= 1, or 'all'; default 50 on the built-in tasks, 'all' on other data); the rest are unlabelled. */
  labelsPerClass?: number | 'all';
  /** Fraction of the labelled training images held out for validation when the data has no val/ split (default 0.1; at least one per class). */
  valFraction?: number;
  /** Fraction held out for testing when the data has no test/ split (default 0.2). */
  testFraction?: number;
  /** A registry model name (resnet18/34/50, cifar_resnet*, small_cnn): the architecture of `weights`, or alone a freshly initialised model. */
  model?: string | null;
  /** Weights: safetensors (with or without sidecar) or a PyTorch .pth/.pt/.bin state dict (default: the bundled backbone, unless `model` is given alone). */
  weights?: string | null;
  /** The model's input size (default: from the model; 28 on the built-in tasks). */
  imageSize?: number | null;
  /** Training augmentation: none, flip, crop, crop+flip, randaugment, trivialaugment, mixup, cutmix (default crop+flip). */
  augment?: AugmentName | null;
  batchSize?: number;
}

/** The metrics of a split as reports record them: the classification metrics and the class names. */
export interface SplitMetrics extends ClassificationMetrics { images: number; classes: string[] }

/** The arguments a finetune run records (cli.json), so that a resume rebuilds the same data and model. */
export interface SavedRunArgs extends SupervisedArgs { method?: string }

/** The saved arguments of a new supervised run from its options and defaults (absolute weights path; null weights: `model` freshly initialised; labelsPerClass defaults to the benchmark's budget on built-in tasks, 'all' on other data). */
export function supervisedArgs(o: SupervisedDataOptions, d: { data: string; labelsPerClass: number | 'all'; batchSize: number }, method?: string): SavedRunArgs {
  const weights = o.weights ? resolve(o.weights) : o.model ? null : resolve(bundledBackbonePath());
  const data = o.data ?? d.data;
  return {
    data, labelsPerClass: o.labelsPerClass ?? (isBuiltinSpec(data) ? d.labelsPerClass : 'all'), batchSize: o.batchSize ?? d.batchSize, weights, model: o.model ?? null,
    valFraction: o.valFraction ?? SUPERVISED_DATA_DEFAULTS.valFraction, testFraction: o.testFraction ?? SUPERVISED_DATA_DEFAULTS.testFraction,
    imageSize: o.imageSize ?? null, augment: o.augment ?? SUPERVISED_DATA_DEFAULTS.augment, ...(method ? { method } : {}),
  };
}

/** The data options given now, for the resume check (undefined: not given). */
export function givenDataArgs(o: SupervisedDataOptions): Record<string, unknown> {
  return { data: o.data, labelsPerClass: o.labelsPerClass, batchSize: o.batchSize, weights: o.weights ? resolve(o.weights) : undefined, model: o.model ?? undefined, valFraction: o.valFraction, testFraction: o.testFraction, imageSize: o.imageSize ?? undefined, augment: o.augment ?? undefined };
}

/** A split's metrics for a report. */
export const splitMetrics = (m: ClassificationMetrics, classes: string[]): SplitMetrics => ({ ...m, images: m.n, classes });

/** The log lines of a split's metrics. */
export function metricsLine(name: string, m: ClassificationMetrics): string {
  return `${name} accuracy ${m.accuracy.toFixed(4)}, macro-F1 ${m.macroF1.toFixed(4)}, loss ${m.loss.toFixed(4)} (${m.n} images); per class ${m.perClassAccuracy.map((v) => v.toFixed(3)).join(' ')}`;
}

/** The fields every supervised run's report has (runFinetune's and runAdafilter's add their method's). */
export interface SupervisedReport {
  runDir: string; data: string; labelsPerClass: number | 'all'; weights: string | null; model: string; backboneSha256: string | null;
  steps: number; epochs: number; status: string; exitCode: number;
  /** Validation metrics of the final weights (null without a validation split); selection uses only these. */
  val: SplitMetrics | null;
  /** Test metrics, evaluated once at the end. */
  test: SplitMetrics;
  valAccuracy: number | null;
  testAccuracy: number; testLoss: number; testMacroF1: number; testImages: number; elapsedSec: number; command: string;
  preprocessing: Preprocessing;
}

/**
 * The report of a finished supervised run (the shared fields, then the method's `extra`): merged into the run's
 * summary.json, with the validation and test metrics logged.
 */
export function supervisedReport<E extends object>(s: Pick<SupervisedStart, 'backbone' | 'data' | 'session' | 'loaders'>, args: SupervisedArgs,
  r: { result: TrainResult; val: ClassificationMetrics | null; test: ClassificationMetrics; elapsedSec: number }, extra: E): SupervisedReport & E {
  const test = splitMetrics(r.test, s.data.classes);
  const report = {
    runDir: s.session.dir, data: args.data, labelsPerClass: args.labelsPerClass, weights: args.weights, model: s.backbone.spec.name, backboneSha256: s.backbone.sha256,
    ...extra,
    steps: r.result.step, epochs: Math.round(100 * (r.result.epochsRun ?? r.result.step / s.loaders.train.numBatches)) / 100, status: r.result.status, exitCode: r.result.exitCode,
    val: r.val ? splitMetrics(r.val, s.data.classes) : null, test, valAccuracy: r.val?.accuracy ?? null,
    testAccuracy: test.accuracy, testLoss: test.loss, testMacroF1: test.macroF1, testImages: test.n, elapsedSec: r.elapsedSec, command: s.session.command,
    preprocessing: s.data.preprocessing,
  };
  s.session.writeSummary(report);
  if (r.val) s.session.log(metricsLine('validation', r.val));
  s.session.log(metricsLine('test', r.test));
  return report;
}

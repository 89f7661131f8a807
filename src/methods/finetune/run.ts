/**
 * @module runFinetune: one fine-tuning run of a pre-trained backbone (the bundled one, any weights file loadWeights
 * reads, or a registry model) on any data spec (a built-in task, imagefolder:DIR, csv:FILE), with the
 * `adaptune finetune` recipe as the defaults: 30 epochs, cosine per step, batch 32, full strategy, new head,
 * SGD elr 0.1 / momentum 0.9 (adam/adamw: lr 1e-3), L2 1e-4, crop+flip, 10% of the labelled images held out for
 * validation. It owns the config layering, the run directory (new or resumed), the loaders, training (any
 * evaluation during training, and so the best checkpoint and early stopping, sees the validation split only),
 * the final evaluation (validation, then the test split once) and the fine-tuned weights with their preprocessing.
 * supervisedRun is the piece `pretrain`, quickstart, hparams and the benches share.
 */
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { DataLoader, type AnyLoader } from '../../data/index.js';
import { writeWeights, type FeatureModel } from '../../models/index.js';
import { classificationMetrics, defined, openSupervised, planRun, runConfig, RunSession, type ClassificationMetrics, type ConfigLayers, type RunHooks, type TrainConfig, type TrainEvent, type TrainResult } from '../../train/index.js';
import { finetuneTrainConfig, type FinetuneConfig, type ResolvedFinetuneConfig, type Strategy } from './config.js';
import { createFinetuneTask, type FinetuneTask } from './index.js';
import { FINETUNE_DEFAULTS, FINETUNE_OPTIONS, type FinetuneOptionValues } from './options.js';
import { checkOptions } from '../../core/options.js';

export { FINETUNE_DEFAULTS } from './options.js';

/** lr and elr exclude each other across config layers (lr = elr * (1 - momentum)). */
export const LR_PAIR = [['method.lr', 'method.elr']] as const;

export { givenDataArgs, metricsLine, splitMetrics, supervisedArgs, type SavedRunArgs, type SplitMetrics, type SupervisedDataOptions } from '../../train/supervised.js';
import { givenDataArgs, supervisedArgs, supervisedReport, type SavedRunArgs, type SupervisedDataOptions, type SupervisedReport } from '../../train/supervised.js';

/** Where a run comes from and goes; shared by the supervised run functions. */
export type RunPlacement = Pick<FinetuneOptionValues, 'out' | 'resume' | 'config' | 'set' | 'threads'>;


/** Options of runFinetune (undefined: the default, or the resumed run's value): the table of options.ts. */
export type FinetuneOptions = FinetuneOptionValues & RunHooks;


/** What a finetune run reports (AdaFilter's report has the same shape with its gate statistics). */
export interface FinetuneReport extends SupervisedReport { method: 'finetune'; gates: null; strategy: string; optimizer: string }


/** What one supervised run returns. */
export interface SupervisedRun { result: TrainResult; task: FinetuneTask; val: ClassificationMetrics | null; test: ClassificationMetrics; elapsedSec: number }

/**
 * Builds the finetune task on `model`, trains it with `config` in `session` (new or resumed), then evaluates the
 * final weights on `val` (when given) and once on `test`. Evaluation during training (eval.every / atEpochEnd, and
 * so checkpoint.monitor and earlyStop) sees `val`; callers without a validation split (val undefined) keep the
 * old behaviour of evaluating `test` during training.
 */
export async function supervisedRun(o: {
  model: FeatureModel; config: TrainConfig<ResolvedFinetuneConfig>; train: AnyLoader; test: AnyLoader; val?: AnyLoader | null; plain: AnyLoader; session: RunSession | string;
  onEvent: (e: TrainEvent) => void; handleSignals?: boolean; signal?: AbortSignal; extend?: boolean;
}): Promise<SupervisedRun> {
  const t0 = Date.now();
  const imprint = o.plain instanceof DataLoader ? o.plain : undefined;
  if (o.config.method.head === 'imprint' && !imprint) throw new ConfigError('finetune: head \'imprint\' needs the training images in memory (this data set is streamed from disk); use head \'reinit\'');
  const task = createFinetuneTask(o.model, o.config.method, { eval: o.val === undefined ? o.test : o.val, ...(imprint ? { imprint } : {}) });
  const session = typeof o.session === 'string' ? new RunSession(o.session, false, '') : o.session;
  const result = await session.train(task, o.config, { data: o.train, onEvent: o.onEvent, handleSignals: o.handleSignals ?? true, ...(o.signal ? { signal: o.signal } : {}), extend: o.extend ?? false });
  const k = o.config.method.numClasses ?? undefined;
  const val = o.val ? await classificationMetrics(o.model, o.val, k) : null;
  const test = await classificationMetrics(o.model, o.test, k);
  return { result, task, val, test, elapsedSec: (Date.now() - t0) / 1000 };
}

/** The finetune method's config resolver over raw layers. */
export const resolveFinetune = (raw: Record<string, unknown>): TrainConfig<ResolvedFinetuneConfig> => finetuneTrainConfig({}, raw);


/** How runFinetune layers its config: defaults < file < options < set (lr and elr exclude each other). */
function finetuneLayers(o: FinetuneOptions): ConfigLayers<ResolvedFinetuneConfig> {
  const adamLr = o.optimizer !== undefined && o.optimizer !== 'sgd' && o.lr === undefined && o.elr === undefined ? FINETUNE_DEFAULTS.adamLr : undefined;
  return {
    defaults: FINETUNE_DEFAULTS.config, file: o.config, set: o.set, exclusive: LR_PAIR, resolve: resolveFinetune,
    flags: defined({
      seed: o.seed, epochs: o.epochs, maxSteps: o.maxSteps, precision: o.precision,
      method: defined({ optimizer: o.optimizer, strategy: o.strategy, freezeUpTo: o.freezeUpTo, elr: o.elr, lr: o.lr ?? adamLr, momentum: o.momentum, regularizer: o.regularizer, alpha: o.alpha, beta: o.beta, weightDecay: o.weightDecay, head: o.head, bn: o.bn, headLrScale: o.headLrScale }),
    }),
    given: givenDataArgs(o),
  };
}

function checkL2sp(o: FinetuneOptions, config: TrainConfig<ResolvedFinetuneConfig>): void {
  if ((o.alpha !== undefined || o.beta !== undefined) && config.method.regularizer !== 'l2-sp') {
    throw new ConfigError(`--alpha and --beta are the weights of L2-SP, but the regularizer is '${config.method.regularizer}'; add --regularizer l2-sp or drop them`);
  }
}

/** The engine config a new run with these options gets (defaults < file < options < set), validated; nothing is loaded or written. */
export async function finetuneConfig(o: FinetuneOptions = {}): Promise<TrainConfig<ResolvedFinetuneConfig>> {
  checkOptions(FINETUNE_OPTIONS, o);
  const { config } = await runConfig(planRun('finetune', {}), finetuneLayers(o));
  checkL2sp(o, config);
  return config;
}

/** Runs (or resumes) one fine-tuning; see the module doc. */
export async function runFinetune(o: FinetuneOptions = {}): Promise<FinetuneReport> {
  checkOptions(FINETUNE_OPTIONS, o);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const plan = planRun<SavedRunArgs>('finetune', o);
  if (plan.saved?.args.method !== undefined && plan.saved.args.method !== 'finetune') throw new ConfigError(`--resume ${o.resume}: that is a ${plan.saved.args.method} run (resume it with --method ${plan.saved.args.method} / its own run function)`);
  const { config, extend } = await runConfig(plan, finetuneLayers(o));
  checkL2sp(o, config);
  const args: SavedRunArgs = plan.saved?.args ?? supervisedArgs(o, FINETUNE_DEFAULTS, 'finetune');
  const method = config.method;
  const { model, backbone, data, session, loaders, dispose } = await openSupervised(plan, args, config, o);
  try {
    const r = await supervisedRun({ model, config, ...loaders, session, onEvent: session.events(o, 20), handleSignals: o.handleSignals, signal: o.signal, extend });
    r.task.dispose();
    writeWeights(model, join(session.dir, 'weights.safetensors'), {
      model: backbone.spec, task: { name: args.data, labelsPerClass: args.labelsPerClass, seed: config.seed, classes: data.classes }, training: { steps: r.result.step, batchSize: args.batchSize, method: config.method, from: args.weights },
      sourceTestAccuracy: null, command: session.command, elapsedSec: r.elapsedSec, preprocessing: { ...data.preprocessing },
    });
    const report: FinetuneReport = supervisedReport({ backbone, data, session, loaders }, args, r, { method: 'finetune' as const, gates: null, strategy: method.strategy, optimizer: method.optimizer });
    session.log(`${r.result.step} steps in ${r.elapsedSec.toFixed(1)} s`);
    return report;
  } finally {
    dispose();
  }
}

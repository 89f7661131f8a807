/**
 * @module runFinetune: one fine-tuning run of a pre-trained backbone (the bundled one or any weights file with a
 * sidecar) on a benchmark task, with the `adaptune finetune` recipe as the defaults: 30 epochs, cosine per step,
 * batch 32, full strategy, new head, elr 0.1 / momentum 0.9, L2 1e-4. It owns the config layering, the run
 * directory (new or resumed), the loaders, training, the final test evaluation and the fine-tuned weights.
 * supervisedRun is the piece `pretrain`, quickstart and the benches share.
 */
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { type DataLoader, type LabelsPerClass, type TaskName } from '../../data/index.js';
import { bundledBackbonePath, writeWeights, type FeatureModel } from '../../models/index.js';
import { defined, openSupervised, planRun, runConfig, RunSession, type RunHooks, type TrainConfig, type TrainEvent, type TrainResult } from '../../train/index.js';
import { finetuneTrainConfig, type FinetuneConfig, type ResolvedFinetuneConfig, type Strategy } from './config.js';
import { createFinetuneTask, type FinetuneTask } from './index.js';
import { FINETUNE_DEFAULTS, FINETUNE_OPTIONS, type FinetuneOptionValues } from './options.js';
import { checkOptions } from '../../core/options.js';

export { FINETUNE_DEFAULTS } from './options.js';

/** lr and elr exclude each other across config layers (lr = elr * (1 - momentum)). */
export const LR_PAIR = [['method.lr', 'method.elr']] as const;

/** Where a run comes from and goes; shared by the supervised run functions. */
export type RunPlacement = Pick<FinetuneOptionValues, 'out' | 'resume' | 'config' | 'set' | 'threads'>;

/** Options of runFinetune (undefined: the default, or the resumed run's value): the table of options.ts. */
export type FinetuneOptions = FinetuneOptionValues & RunHooks;

/** What a finetune run reports (AdaFilter's report has the same shape with its gate statistics). */
export interface FinetuneReport {
  runDir: string; data: string; labelsPerClass: number | 'all'; weights: string; backboneSha256: string;
  method: 'finetune'; gates: null;
  strategy: string; steps: number; epochs: number; status: string; exitCode: number;
  testAccuracy: number; testLoss: number; testImages: number; elapsedSec: number; command: string;
}

/** The arguments a finetune run records (cli.json), so that a resume rebuilds the same data and model. */
export interface SavedRunArgs { data: TaskName; labelsPerClass: LabelsPerClass; batchSize: number; weights: string; method?: string }

/** What one supervised run returns. */
export interface SupervisedRun { result: TrainResult; task: FinetuneTask; test: { accuracy: number; loss: number }; elapsedSec: number }

/** Builds the finetune task on `model`, trains it with `config` in `session` (new or resumed), then evaluates on `test`. */
export async function supervisedRun(o: {
  model: FeatureModel; config: TrainConfig<ResolvedFinetuneConfig>; train: DataLoader; test: DataLoader; plain: DataLoader; session: RunSession | string;
  onEvent: (e: TrainEvent) => void; handleSignals?: boolean; signal?: AbortSignal; extend?: boolean;
}): Promise<SupervisedRun> {
  const t0 = Date.now();
  const task = createFinetuneTask(o.model, o.config.method, { eval: o.test, imprint: o.plain });
  const session = typeof o.session === 'string' ? new RunSession(o.session, false, '') : o.session;
  const result = await session.train(task, o.config, { data: o.train, onEvent: o.onEvent, handleSignals: o.handleSignals ?? true, ...(o.signal ? { signal: o.signal } : {}), extend: o.extend ?? false });
  const m = task.evaluate();
  return { result, task, test: { accuracy: m['accuracy'] ?? 0, loss: m['loss'] ?? 0 }, elapsedSec: (Date.now() - t0) / 1000 };
}

/** The finetune method's config resolver over raw layers. */
export const resolveFinetune = (raw: Record<string, unknown>): TrainConfig<ResolvedFinetuneConfig> => finetuneTrainConfig({}, raw);

/** Runs (or resumes) one fine-tuning; see the module doc. */
export async function runFinetune(o: FinetuneOptions = {}): Promise<FinetuneReport> {
  checkOptions(FINETUNE_OPTIONS, o);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const plan = planRun<SavedRunArgs>('finetune', o);
  if (plan.saved?.args.method !== undefined && plan.saved.args.method !== 'finetune') throw new ConfigError(`--resume ${o.resume}: that is a ${plan.saved.args.method} run (resume it with --method ${plan.saved.args.method} / its own run function)`);
  const { config, extend } = await runConfig(plan, {
    defaults: FINETUNE_DEFAULTS.config, file: o.config, set: o.set, exclusive: LR_PAIR, resolve: resolveFinetune,
    flags: defined({
      seed: o.seed, epochs: o.epochs,
      method: defined({ strategy: o.strategy, freezeUpTo: o.freezeUpTo, elr: o.elr, lr: o.lr, momentum: o.momentum, regularizer: o.regularizer, alpha: o.alpha, beta: o.beta, weightDecay: o.weightDecay, head: o.head, bn: o.bn, headLrScale: o.headLrScale }),
    }),
    given: { data: o.data, labelsPerClass: o.labelsPerClass, batchSize: o.batchSize, weights: o.weights ? resolve(o.weights) : undefined },
  });
  if ((o.alpha !== undefined || o.beta !== undefined) && config.method.regularizer !== 'l2-sp') {
    throw new ConfigError(`--alpha and --beta are the weights of L2-SP, but the regularizer is '${config.method.regularizer}'; add --regularizer l2-sp or drop them`);
  }
  const args: SavedRunArgs = plan.saved?.args ?? {
    data: o.data ?? FINETUNE_DEFAULTS.data, labelsPerClass: o.labelsPerClass ?? FINETUNE_DEFAULTS.labelsPerClass, batchSize: o.batchSize ?? FINETUNE_DEFAULTS.batchSize,
    weights: resolve(o.weights ?? bundledBackbonePath()), method: 'finetune',
  };
  const method = config.method;
  const { model, sidecar, task, session, loaders, dispose } = openSupervised(plan, args, config, o);
  try {
    const r = await supervisedRun({ model, config, ...loaders, session, onEvent: session.events(o, 20), handleSignals: o.handleSignals, signal: o.signal, extend });
    r.task.dispose();
    const report: FinetuneReport = {
      runDir: session.dir, data: args.data, labelsPerClass: args.labelsPerClass, weights: args.weights, backboneSha256: sidecar.sha256,
      method: 'finetune', gates: null, strategy: method.strategy,
      steps: r.result.step, epochs: Math.round(100 * (r.result.epochsRun ?? r.result.step / loaders.train.numBatches)) / 100, status: r.result.status, exitCode: r.result.exitCode,
      testAccuracy: r.test.accuracy, testLoss: r.test.loss, testImages: task.test.length, elapsedSec: r.elapsedSec, command: session.command,
    };
    writeWeights(model, join(session.dir, 'weights.safetensors'), {
      model: sidecar.model, task: { name: args.data, labelsPerClass: args.labelsPerClass, seed: config.seed }, training: { steps: r.result.step, batchSize: args.batchSize, method: config.method, from: args.weights },
      sourceTestAccuracy: null, command: session.command, elapsedSec: r.elapsedSec,
    });
    session.writeSummary(report);
    session.log(`test accuracy ${r.test.accuracy.toFixed(4)} (${task.test.length} images); ${r.result.step} steps in ${r.elapsedSec.toFixed(1)} s`);
    return report;
  } finally {
    dispose();
  }
}

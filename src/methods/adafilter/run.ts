/**
 * @module runAdafilter: one AdaFilter run (`adaptune finetune --method adafilter`) of a pre-trained backbone (the
 * bundled one, or any ResNet's weights, e.g. a torchvision .pth) on any in-memory data spec: the finetune command's
 * schedule (30 epochs, cosine per step, batch 32) with AdaFilter's own method defaults; the run directory (new or
 * resumed), loaders, training (evaluation during training sees the validation split only), and the final
 * validation and test metrics with the gate statistics on the test split. An AdaFilter model is no plain backbone (two filter banks and a gate network): its weights stay in
 * the run's checkpoints/.
 */
import { resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { DataLoader, type AnyLoader } from '../../data/index.js';
import { type FeatureModel } from '../../models/index.js';
import { classificationMetrics, defined, openSupervised, planRun, runConfig, RunSession, type ClassificationMetrics, type ConfigLayers, type RunHooks, type TrainConfig, type TrainEvent, type TrainResult } from '../../train/index.js';
import { givenDataArgs, supervisedArgs, supervisedReport, type SavedRunArgs, type SupervisedDataOptions, type SupervisedReport } from '../../train/supervised.js';
import { adafilterTrainConfig, type AdafilterConfig } from './config.js';
import { createAdafilterTask, type AdafilterTask } from './index.js';
import { ADAFILTER_DEFAULTS, ADAFILTER_OPTIONS, type AdafilterOptionValues } from './options.js';
import { checkOptions } from '../../core/options.js';

export { ADAFILTER_DEFAULTS } from './options.js';

/** Options of runAdafilter (undefined: the default, or the resumed run's value): the table of options.ts. */
export type AdafilterOptions = AdafilterOptionValues & RunHooks;

/** AdaFilter's gate statistics on the test split: fine-tuned fraction overall, per gated layer (by path), per class; gate entropy (bits). */
export interface GateReport { fraction: number; perLayer: Record<string, number>; perClass: (number | null)[]; entropy: number }

/** What an AdaFilter run reports (the shape of FinetuneReport, with the gate statistics). */
export interface AdafilterReport extends SupervisedReport { method: 'adafilter'; gates: GateReport; strategy: 'adafilter' }

/** AdaFilter's config resolver over raw layers. */
export const resolveAdafilter = (raw: Record<string, unknown>): TrainConfig<AdafilterConfig> => adafilterTrainConfig({}, raw);

/** Wraps `model`, trains (or resumes) in `session` (evaluating `val` during training), then evaluates val and test: metrics and the gate statistics on test. */
export async function adafilterRun(o: {
  model: FeatureModel; config: TrainConfig<AdafilterConfig>; train: AnyLoader; test: AnyLoader; val?: AnyLoader | null; session: RunSession | string; onEvent: (e: TrainEvent) => void;
  handleSignals?: boolean; signal?: AbortSignal; extend?: boolean;
}): Promise<{ result: TrainResult; task: AdafilterTask; val: ClassificationMetrics | null; test: ClassificationMetrics; elapsedSec: number; gates: GateReport }> {
  const t0 = Date.now();
  const sync = (l: AnyLoader | null | undefined, what: string): DataLoader | undefined => {
    if (!l) return undefined;
    if (!(l instanceof DataLoader)) throw new ConfigError(`adafilter: the ${what} split is streamed from disk, but AdaFilter's gate statistics need it in memory; use a smaller split`);
    return l;
  };
  const testLoader = sync(o.test, 'test')!;
  const valLoader = o.val === undefined ? testLoader : sync(o.val, 'validation');
  const task = createAdafilterTask(o.model, o.config.method, valLoader ? { eval: valLoader } : {});
  const session = typeof o.session === 'string' ? new RunSession(o.session, false, '') : o.session;
  const result = await session.train(task, o.config, { data: o.train, onEvent: o.onEvent, handleSignals: o.handleSignals ?? true, ...(o.signal ? { signal: o.signal } : {}), extend: o.extend ?? false });
  // evalModule: the gate network registered beside the model, so the final metrics run in graph mode too; the test
  // split's metrics and gate statistics come from one pass
  const val = o.val ? await classificationMetrics(task.evalModule, o.val, task.model.numClasses) : null;
  const { metrics: test, gates: s } = await task.evaluateSplit(testLoader);
  const gates = { fraction: s.fraction, perLayer: Object.fromEntries(task.paths.map((p, i) => [p, s.perLayer[i]!])), perClass: s.perClass, entropy: s.entropy };
  return { result, task, val, test, elapsedSec: (Date.now() - t0) / 1000, gates };
}

/** How runAdafilter layers its config: defaults < file < options < set. */
function adafilterLayers(o: AdafilterOptions): ConfigLayers<AdafilterConfig> {
  return {
    defaults: ADAFILTER_DEFAULTS.config, file: o.config, set: o.set, resolve: resolveAdafilter,
    flags: defined({
      seed: o.seed, epochs: o.epochs, maxSteps: o.maxSteps, precision: o.precision,
      method: defined({
        lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, head: o.head, gate: o.gate, binarize: o.binarize, temperature: o.temperature,
        stages: o.stages, gatedBn: o.gatedBn, usagePenalty: o.usagePenalty, gateLrScale: o.gateLrScale, gateWarmupSteps: o.gateWarmupSteps, headLrScale: o.headLrScale,
      }),
    }),
    given: givenDataArgs(o),
  };
}

/** The engine config a new AdaFilter run with these options gets, validated; nothing is loaded or written. */
export async function adafilterConfig(o: AdafilterOptions = {}): Promise<TrainConfig<AdafilterConfig>> {
  checkOptions(ADAFILTER_OPTIONS, o);
  return (await runConfig(planRun('finetune', {}), adafilterLayers(o))).config;
}

/** Runs (or resumes) one AdaFilter fine-tuning; see the module doc. */
export async function runAdafilter(o: AdafilterOptions = {}): Promise<AdafilterReport> {
  checkOptions(ADAFILTER_OPTIONS, o);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const plan = planRun<SavedRunArgs>('finetune', o);
  if (plan.saved && plan.saved.args.method !== 'adafilter') throw new ConfigError(`--resume ${o.resume}: that is a standard fine-tuning run, not AdaFilter`);
  const { config, extend } = await runConfig(plan, adafilterLayers(o));
  const args: SavedRunArgs = plan.saved?.args ?? supervisedArgs(o, ADAFILTER_DEFAULTS, 'adafilter');
  const { model, backbone, data, session, loaders, dispose } = await openSupervised(plan, args, config, o);
  try {
    const r = await adafilterRun({ model, config, ...loaders, session, onEvent: session.events(o, 20), handleSignals: o.handleSignals, signal: o.signal, extend });
    r.task.dispose();
    const report: AdafilterReport = supervisedReport({ backbone, data, session, loaders }, args, r, { method: 'adafilter' as const, gates: r.gates, strategy: 'adafilter' as const });
    session.log(`fine-tuned filters ${(100 * r.gates.fraction).toFixed(1)}% (gate entropy ${r.gates.entropy.toFixed(3)} bits); per layer ${JSON.stringify(r.gates.perLayer)}`);
    return report;
  } finally {
    dispose();
  }
}

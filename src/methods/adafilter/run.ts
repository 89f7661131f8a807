/**
 * @module runAdafilter: one AdaFilter run (`adaptune finetune --method adafilter`) of a pre-trained backbone on a
 * benchmark task: the finetune command's schedule (30 epochs, cosine per step, batch 32) with AdaFilter's own
 * method defaults; the run directory (new or resumed), loaders, training, and the test accuracy with the gate
 * statistics. An AdaFilter model is no plain backbone (two filter banks and a gate network): its weights stay in
 * the run's checkpoints/.
 */
import { resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { type DataLoader, type LabelsPerClass, type TaskName } from '../../data/index.js';
import { bundledBackbonePath, type FeatureModel } from '../../models/index.js';
import { defined, openSupervised, planRun, runConfig, RunSession, type RunHooks, type TrainConfig, type TrainEvent, type TrainResult } from '../../train/index.js';
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
export interface AdafilterReport {
  runDir: string; data: string; labelsPerClass: number | 'all'; weights: string; backboneSha256: string;
  method: 'adafilter'; gates: GateReport; strategy: 'adafilter'; steps: number; epochs: number; status: string; exitCode: number;
  testAccuracy: number; testLoss: number; testImages: number; elapsedSec: number; command: string;
}

/** AdaFilter's config resolver over raw layers. */
export const resolveAdafilter = (raw: Record<string, unknown>): TrainConfig<AdafilterConfig> => adafilterTrainConfig({}, raw);

/** Wraps `model`, trains (or resumes) in `session`, evaluates on `test`: accuracy and the gate statistics. */
export async function adafilterRun(o: {
  model: FeatureModel; config: TrainConfig<AdafilterConfig>; train: DataLoader; test: DataLoader; session: RunSession | string; onEvent: (e: TrainEvent) => void;
  handleSignals?: boolean; signal?: AbortSignal; extend?: boolean;
}): Promise<{ result: TrainResult; task: AdafilterTask; test: { accuracy: number; loss: number }; elapsedSec: number; gates: GateReport }> {
  const t0 = Date.now();
  const task = createAdafilterTask(o.model, o.config.method, { eval: o.test });
  const session = typeof o.session === 'string' ? new RunSession(o.session, false, '') : o.session;
  const result = await session.train(task, o.config, { data: o.train, onEvent: o.onEvent, handleSignals: o.handleSignals ?? true, ...(o.signal ? { signal: o.signal } : {}), extend: o.extend ?? false });
  const m = task.evaluate();
  const s = task.lastGateSummary!;
  const gates = { fraction: s.fraction, perLayer: Object.fromEntries(task.paths.map((p, i) => [p, s.perLayer[i]!])), perClass: s.perClass, entropy: s.entropy };
  return { result, task, test: { accuracy: m['accuracy'] ?? 0, loss: m['loss'] ?? 0 }, elapsedSec: (Date.now() - t0) / 1000, gates };
}

/** Runs (or resumes) one AdaFilter fine-tuning; see the module doc. */
export async function runAdafilter(o: AdafilterOptions = {}): Promise<AdafilterReport> {
  checkOptions(ADAFILTER_OPTIONS, o);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const plan = planRun<{ data: TaskName; labelsPerClass: LabelsPerClass; batchSize: number; weights: string; method?: string }>('finetune', o);
  if (plan.saved && plan.saved.args.method !== 'adafilter') throw new ConfigError(`--resume ${o.resume}: that is a standard fine-tuning run, not AdaFilter`);
  const { config, extend } = await runConfig(plan, {
    defaults: ADAFILTER_DEFAULTS.config, file: o.config, set: o.set, resolve: resolveAdafilter,
    flags: defined({
      seed: o.seed, epochs: o.epochs,
      method: defined({
        lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, head: o.head, gate: o.gate, binarize: o.binarize, temperature: o.temperature,
        stages: o.stages, gatedBn: o.gatedBn, usagePenalty: o.usagePenalty, gateLrScale: o.gateLrScale, headLrScale: o.headLrScale,
      }),
    }),
    given: { data: o.data, labelsPerClass: o.labelsPerClass, batchSize: o.batchSize, weights: o.weights ? resolve(o.weights) : undefined },
  });
  const args = plan.saved?.args ?? {
    data: o.data ?? ADAFILTER_DEFAULTS.data, labelsPerClass: o.labelsPerClass ?? ADAFILTER_DEFAULTS.labelsPerClass, batchSize: o.batchSize ?? ADAFILTER_DEFAULTS.batchSize,
    weights: resolve(o.weights ?? bundledBackbonePath()), method: 'adafilter',
  };
  const { model, sidecar, task, session, loaders, dispose } = openSupervised(plan, args, config, o);
  try {
    const r = await adafilterRun({ model, config, ...loaders, session, onEvent: session.events(o, 20), handleSignals: o.handleSignals, signal: o.signal, extend });
    r.task.dispose();
    const report: AdafilterReport = {
      runDir: session.dir, data: args.data, labelsPerClass: args.labelsPerClass, weights: args.weights, backboneSha256: sidecar.sha256,
      method: 'adafilter', gates: r.gates, strategy: 'adafilter',
      steps: r.result.step, epochs: Math.round(100 * (r.result.epochsRun ?? r.result.step / loaders.train.numBatches)) / 100, status: r.result.status, exitCode: r.result.exitCode,
      testAccuracy: r.test.accuracy, testLoss: r.test.loss, testImages: task.test.length, elapsedSec: r.elapsedSec, command: session.command,
    };
    session.writeSummary(report);
    session.log(`test accuracy ${r.test.accuracy.toFixed(4)} (${task.test.length} images); ${r.result.step} steps in ${r.elapsedSec.toFixed(1)} s`);
    session.log(`fine-tuned filters ${(100 * r.gates.fraction).toFixed(1)}% (gate entropy ${r.gates.entropy.toFixed(3)} bits); per layer ${JSON.stringify(r.gates.perLayer)}`);
    return report;
  } finally {
    dispose();
  }
}

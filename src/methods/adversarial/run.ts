/**
 * @module runAdversarial: PGD adversarial training or fine-tuning (`adaptune adversarial`) of any model/weights on
 * any in-memory data spec, with a held-out robust-accuracy monitor on a validation split of the training images
 * (valImages, or the data's own val/), best-checkpoint selection on it only, a final robustness evaluation on the
 * test split (selected and last weights, optionally training images for the train-test gap) and cost accounting
 * against a from-scratch run. Attacks work on [0, 1] pixels: the backbone's normalisation (ImageNet's for
 * torchvision ResNets) is applied after the attack, before the model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError, DataError } from '../../core/errors.js';
import { DataLoader, Dataset, evalTransform, labelBudget, loadersFor, open, stratifiedSplit, transforms, type AugmentName, type OpenedData, type Preprocessing } from '../../data/index.js';
import { bundledBackbonePath, readSidecar, writeWeights, type Sidecar } from '../../models/index.js';
import { CheckpointReader, Checkpoints, defined, isBuiltinSpec, loadBackbone, makeConfig, withMethod, planRun, preprocessingFor, runConfig, RunSession, SUPERVISED_DATA_DEFAULTS, type RunHooks, type TrainConfig } from '../../train/index.js';
import type { Tensor } from '../../core/torch.js';
import { validateAdversarialConfig, type AdversarialConfig } from './config.js';
import { costRatio, pretrainCost, readRunCost, type CostRatio, type PretrainCost, type RunCost } from './cost.js';
import { createAdversarialTask, type AdversarialTask } from './index.js';
import { evaluateRobustness, type RobustnessReport } from './robustness.js';
import { ADVERSARIAL_DEFAULTS, type AdversarialOptions } from './defaults.js';
import { ADVERSARIAL_OPTIONS } from './options.js';
import { checkOptions } from '../../core/options.js';

/** Batch size of the monitor and the final evaluation (PGD keeps a graph per step: this bounds the memory); images over 64x64 use the training batch. */
const EVAL_BATCH = 100;
const evalBatch = (p: Preprocessing, batchSize: number): number => (p.imageSize[0] * p.imageSize[1] <= 64 * 64 ? EVAL_BATCH : Math.min(EVAL_BATCH, batchSize));

/** The command's arguments a resumed run needs again (saved as cli.json). */
type SavedArgs = {
  data: string; labelsPerClass: number | 'all'; valImages: number; testSteps: number; testRestarts: number; testLimit?: number; gapImages: number; batchSize: number; weights: string | null; trainPerClass?: number | null;
  model?: string | null; testFraction?: number; imageSize?: number | null; augment?: AugmentName | null;
};

/** One robustness row of the report. */
export interface RobustRow { clean: number; fgsm: number; pgd: number; pgdSteps: number; restarts: number; images: number; maskingFlags: string[] }
/** What an adversarial run reports. */
export interface AdversarialReport {
  runDir: string; data: string; init: string; loss: string; eps: number; norm: string; schedule: string; weights: string | null; model: string; head: 'kept' | 'new';
  /** The images' preprocessing (normalisation, when any, is applied after the attack, inside the model's input). */
  preprocessing: Preprocessing; valImages: number;
  steps: number; epochs: number; status: string; exitCode: number;
  /** The checkpoint the monitor selected (null without a monitor: the last weights). */
  best: { step: number; robustAccuracy: number; accuracy: number | null } | null;
  /** Training images per class when --train-per-class drew a subset (null: the whole training split). */
  trainPerClass: number | null; trainImages: number;
  /** Monitor rows (held-out split) from metrics.jsonl. */
  monitor: { step: number; epoch: number; accuracy: number; robustAccuracy: number }[];
  /** Test robustness of the selected weights (null when the run was interrupted), of the last weights when they differ, and on training images (--gap-images). */
  test: RobustRow | null; testLast: RobustRow | null; train: RobustRow | null;
  cost: RunCost; pretrain: PretrainCost | null; costRatio: CostRatio | null; elapsedSec: number; command: string;
}

/** Options with the run's own defaults filled in. */
type Resolved = AdversarialOptions & Required<Pick<AdversarialOptions, keyof typeof ADVERSARIAL_DEFAULTS.args>>;

/** The config layers of an adversarial run (a layer that names another schedule replaces the schedule below instead of merging into it). */
function layers(a: Resolved) {
  const schedule = defined({ name: a.schedule, warmupFraction: a.warmupFraction, warmupShape: a.warmupShape, startFactor: a.startFactor, decayShape: a.decayShape, decayRate: a.decayRate });
  return {
    defaults: ADVERSARIAL_DEFAULTS.config, file: a.config, set: a.set, replace: [{ path: 'method.schedule', key: 'name', fallback: 'slow-start-fast-decay' }],
    resolve: resolveAdversarial,
    flags: defined({
      seed: a.seed, epochs: a.epochs, maxSteps: a.maxSteps, precision: a.precision, optim: defined({ name: a.optimizer, lr: a.lr, momentum: a.momentum, weightDecay: a.weightDecay }),
      eval: defined({ every: a.evalEvery }), ...(a.valImages === 0 ? { checkpoint: { monitor: null } } : a.select === 'robust' ? { checkpoint: { monitor: 'robust_accuracy' } } : {}),
      method: defined({ init: a.init, loss: a.loss, norm: a.norm, eps: a.eps, steps: a.steps, stepSize: a.stepSize, bnMode: a.bnMode, tradesBeta: a.tradesBeta, evalSteps: a.evalSteps, ...(Object.keys(schedule).length ? { schedule } : {}) }),
    }),
  };
}

/** The adversarial method's config resolver over raw layers. */
export function resolveAdversarial(raw: Record<string, unknown>): TrainConfig<AdversarialConfig> {
  const config = makeConfig(raw);
  return withMethod(config, validateAdversarialConfig(config.method));
}

/** The engine config a run with these options gets (defaults < file < options < set), validated. */
export async function adversarialConfig(o: AdversarialOptions = {}): Promise<TrainConfig<AdversarialConfig>> {
  return (await runConfig(planRun('adversarial', {}), layers({ ...ADVERSARIAL_DEFAULTS.args, ...defined(o as Record<string, unknown>) } as Resolved))).config;
}

/** N examples spread evenly over a dataset (the dataset itself when N is absent or not smaller). */
const spread = (d: Dataset, n: number | undefined): Dataset | null => (n !== undefined && n < d.length ? d.subset(Array.from({ length: n }, (_, i) => Math.floor((i * d.length) / n))) : null);

/** The normalisation of a preprocessing as a function applied before the model (null: none). */
export function normalizer(n: { mean: number[]; std: number[] } | null): ((x: Tensor) => Tensor) | null {
  if (!n) return null;
  const t = new transforms.Normalize(n);
  return (x) => t.apply(x);
}

/** Clean, FGSM and PGD-k (restarts) accuracy of the model on a dataset (evaluation crop, then the attack in [0, 1], then the normalisation). */
function robustRow(task: AdversarialTask, d: Dataset, k: number, restarts: number, seed: number, p: Preprocessing, batchSize: number): RobustRow {
  const c = task.config;
  const loader = new DataLoader(d, { batchSize: evalBatch(p, batchSize), seed, shuffle: false, prefetch: false, transform: evalTransform(p) });
  const r: RobustnessReport = evaluateRobustness(task.model, loader, { eps: c.eps, norm: c.norm, steps: [k], restarts, seed, normalize: task.data.normalize ?? null });
  return { clean: r.clean, fgsm: r.fgsm, pgd: r.pgd[0]!.accuracy, pgdSteps: k, restarts, images: r.examples, maskingFlags: r.maskingFlags };
}

/** The monitor's eval rows of a run directory. */
function monitorRows(dir: string): AdversarialReport['monitor'] {
  const f = join(dir, 'metrics.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"split":"eval"')).map((l) => JSON.parse(l) as Record<string, number>)
    .filter((m) => typeof m['robust_accuracy'] === 'number').map((m) => ({ step: m['step']!, epoch: m['epoch']!, accuracy: m['accuracy']!, robustAccuracy: m['robust_accuracy']! }));
}

/** The monitor row of the selected step (robust and clean accuracy). */
function selected(rows: AdversarialReport['monitor'], step: number): NonNullable<AdversarialReport['best']> {
  const r = rows.filter((m) => m.step === step).pop();
  if (!r) throw new Error(`adversarial: the best checkpoint is at step ${step}, but metrics.jsonl has no monitor row there`);
  return { step, robustAccuracy: r.robustAccuracy, accuracy: r.accuracy };
}

/** perClass training images per class drawn with the seed (labelBudget), or the dataset itself when null. */
function trainSubset(d: Dataset, perClass: number | null, seed: number, numClasses: number): Dataset {
  if (perClass === null) return d;
  try {
    return d.subset(labelBudget(d.labelArray(), { perClass, seed, numClasses }).labelled);
  } catch (e) {
    if (e instanceof DataError) throw new ConfigError(`--train-per-class ${perClass}: the training split after --val-images is too small (${e.message})`);
    throw e;
  }
}

/** Loads the best checkpoint's model weights into the task's model; returns its pointer, or null without one. */
function loadBest(task: AdversarialTask, dir: string): { step: number; value: number; key: string } | null {
  const root = join(dir, 'checkpoints');
  const p = new Checkpoints(root).pointer('best');
  if (!p || typeof p.value !== 'number') return null;
  const tensors = new CheckpointReader(join(root, p.checkpoint)).tensors('model');
  try { task.model.loadStateDict(tensors); } finally { for (const t of tensors.values()) t.dispose(); }
  return { step: p.step, value: p.value, key: p.metric ?? 'robust_accuracy' };
}

/** Runs (or resumes) an adversarial training; see the module doc. */
export async function runAdversarial(o: AdversarialOptions = {}): Promise<AdversarialReport> {
  checkOptions(ADVERSARIAL_OPTIONS, o);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const a = { ...ADVERSARIAL_DEFAULTS.args, ...defined(o as Record<string, unknown>) } as Resolved;
  const plan = planRun<SavedArgs>('adversarial', o);
  const { config, extend } = await runConfig(plan, {
    ...layers(a),
    given: { data: o.data, labelsPerClass: o.labelsPerClass, batchSize: o.batchSize, weights: o.weights ? resolve(o.weights) : undefined, model: o.model ?? undefined, testFraction: o.testFraction, imageSize: o.imageSize ?? undefined, augment: o.augment ?? undefined, valImages: o.valImages, trainPerClass: o.trainPerClass, testSteps: o.testSteps, testRestarts: o.testRestarts, testLimit: o.testLimit, gapImages: o.gapImages },
  });
  const args: SavedArgs = plan.saved?.args ?? {
    data: a.data, labelsPerClass: a.labelsPerClass, batchSize: a.batchSize, weights: o.weights ? resolve(o.weights) : o.model ? null : resolve(bundledBackbonePath()), valImages: a.valImages,
    testSteps: a.testSteps, testRestarts: a.testRestarts, ...(a.testLimit !== undefined ? { testLimit: a.testLimit } : {}), gapImages: a.gapImages, trainPerClass: a.trainPerClass,
    model: o.model ?? null, testFraction: o.testFraction ?? SUPERVISED_DATA_DEFAULTS.testFraction, imageSize: o.imageSize ?? null, augment: o.augment ?? null,
  };
  const scratchRun = a.compareTo ? readRunCost(resolve(a.compareTo)) : null;
  if (scratchRun && scratchRun.init !== 'scratch') throw new ConfigError(`--compare-to ${a.compareTo}: that run has init '${scratchRun.init}'; the cost ratio is measured against a from-scratch run (--init scratch)`);
  const method = config.method;
  torch.manualSeed(config.seed);
  const backbone = loadBackbone({ weights: args.weights, model: args.model ?? null, builtin: isBuiltinSpec(args.data), imageSize: args.imageSize ?? null });
  const model = backbone.model;
  let sidecar: Sidecar | null = null;
  if (args.weights) { try { sidecar = readSidecar(args.weights); } catch { sidecar = null; } }
  // the head is kept when the data is the weights' own task (the paper's setting), else replaced
  const keepHead = backbone.sourceTask === args.data;
  // attacks work on [0, 1] pixels: the data carries no normalisation, the task applies it before the model
  const pre = { ...preprocessingFor(backbone, args, isBuiltinSpec(args.data)), normalization: null };
  let d: OpenedData;
  try { d = await open(args.data, { seed: config.seed, labelsPerClass: args.labelsPerClass, valFraction: 0, testFraction: args.testFraction ?? SUPERVISED_DATA_DEFAULTS.testFraction, preprocessing: pre }); } catch (e) { model.dispose(); throw e; }
  const owned: Dataset[] = [];
  const release = (): void => { for (const x of owned.splice(0)) x.dispose(); model.dispose(); d.dispose(); };
  let trainAll: Dataset;
  let valSet: Dataset | null = null;
  try {
    if (!(d.train instanceof Dataset) || !(d.test instanceof Dataset) || (d.val && !(d.val instanceof Dataset))) throw new ConfigError(`${args.data}: adversarial training needs the data in memory (this set is streamed from disk); use a smaller set or image size`);
    trainAll = d.train;
    if (d.val instanceof Dataset) valSet = d.val;
    else if (args.valImages > 0) {
      const n = trainAll.length;
      if (args.valImages >= n) throw new ConfigError(`--val-images ${args.valImages} must be smaller than the ${n} training images of ${args.data}`);
      const sp = stratifiedSplit(trainAll.labelArray(), { valFraction: Math.max(args.valImages / n, 1e-6), seed: config.seed, numClasses: d.numClasses });
      valSet = trainAll.subset(sp.val);
      trainAll = trainAll.subset(sp.train);
      owned.push(valSet, trainAll);
    }
    if (keepHead && model.numClasses !== d.numClasses) throw new ConfigError(`${args.weights}: its head has ${model.numClasses} outputs but ${args.data} has ${d.numClasses} classes`);
    torch.manualSeed(config.seed);
    if (!keepHead) torch.noGrad(() => model.resetClassifier(d.numClasses));
  } catch (e) { release(); throw e; }
  let session: RunSession;
  try { session = RunSession.open(plan, args, o); } catch (e) { release(); throw e; }
  const dir = session.dir;
  const command = session.command;
  for (const line of backbone.notes) session.log(line);
  const p = d.preprocessing;
  // wall time of earlier sessions: our cost record, else the engine's elapsedSec (a process killed after training, before its report)
  const saved = session.resumed ? session.readSummary() : {};
  const prevWall = (saved['cost'] as RunCost | undefined)?.wallSec ?? (typeof saved['elapsedSec'] === 'number' ? saved['elapsedSec'] : 0);
  try {
    const testAll = d.test as Dataset;
    const trainSet = trainSubset(trainAll, args.trainPerClass ?? null, config.seed, d.numClasses);
    if (trainSet !== trainAll) owned.push(trainSet);
    const loaders = loadersFor({ ...d, train: trainSet, val: null, test: testAll }, { batchSize: args.batchSize, seed: config.seed });
    const val = valSet ? new DataLoader(valSet, { batchSize: evalBatch(p, args.batchSize), seed: config.seed, shuffle: false, prefetch: false, transform: evalTransform(p) }) : null;
    const adv = createAdversarialTask(model, method, { eval: val, normalize: normalizer(backbone.normalization) });
    const opts = { data: loaders.train, onEvent: session.events(o, 10), handleSignals: o.handleSignals ?? true, ...(o.signal ? { signal: o.signal } : {}), extend, scheduler: adv.lrScheduler };
    const t0 = Date.now();
    const result = await session.train(adv, config, opts);
    const cost: RunCost = {
      trainForwardPasses: adv.cost.forwardExamples, trainBackwardPasses: adv.cost.backwardExamples,
      monitorForwardPasses: adv.evalCost.forwardExamples, monitorBackwardPasses: adv.evalCost.backwardExamples,
      wallSec: (Date.now() - t0) / 1000 + prevWall, monitorSec: adv.evalSeconds,
    };
    const base = {
      runDir: dir, data: args.data, init: method.init, loss: method.loss, eps: method.eps, norm: method.norm, schedule: method.schedule.name, weights: args.weights, model: backbone.spec.name, head: keepHead ? 'kept' as const : 'new' as const,
      preprocessing: { ...p, normalization: backbone.normalization }, valImages: valSet?.length ?? 0,
      steps: result.step, epochs: Math.round(100 * (result.epochsRun ?? result.step / loaders.train.numBatches)) / 100, status: result.status, exitCode: result.exitCode,
      trainPerClass: args.trainPerClass ?? null, trainImages: trainSet.length, monitor: monitorRows(dir), cost, pretrain: method.init === 'finetune' && sidecar ? pretrainCost(sidecar.training, sidecar.elapsedSec) : null,
    };
    const ratio = (): CostRatio | null => (scratchRun ? costRatio(resolve(a.compareTo!), scratchRun.cost, cost, base.pretrain) : null);
    if (result.status !== 'completed' && result.status !== 'early-stopped') {
      // interrupted or stopped: record the cost so far; --resume continues, and evaluates at the end
      const partial: AdversarialReport = { ...base, best: null, test: null, testLast: null, train: null, costRatio: null, elapsedSec: (Date.now() - t0) / 1000, command };
      session.writeSummary(partial);
      return partial;
    }
    const seed = config.seed;
    const test = spread(testAll, args.testLimit);
    if (test) owned.push(test);
    const gapSubset = args.gapImages > 0 ? spread(trainSet, args.gapImages) : null;
    if (gapSubset) owned.push(gapSubset);
    const gap = args.gapImages > 0 ? gapSubset ?? trainSet : null; // trainSet is owned elsewhere: never pushed twice
    const ptr = val ? new Checkpoints(join(dir, 'checkpoints')).pointer('best') : null;
    const testLast = ptr && ptr.step !== result.step ? robustRow(adv, test ?? testAll, args.testSteps, args.testRestarts, seed, p, args.batchSize) : null;
    const best = val ? loadBest(adv, dir) : null;
    const report: AdversarialReport = {
      ...base, best: best ? selected(base.monitor, best.step) : null,
      test: robustRow(adv, test ?? testAll, args.testSteps, args.testRestarts, seed, p, args.batchSize), testLast, train: gap ? robustRow(adv, gap, args.testSteps, args.testRestarts, seed, p, args.batchSize) : null,
      costRatio: ratio(), elapsedSec: (Date.now() - t0) / 1000, command,
    };
    writeWeights(model, join(dir, 'weights.safetensors'), {
      model: backbone.spec, task: { name: args.data, labelsPerClass: args.labelsPerClass, seed, classes: d.classes }, training: { steps: result.step, batchSize: args.batchSize, method, from: args.weights, selected: best ? `best ${best.key} at step ${best.step}` : 'last' },
      sourceTestAccuracy: null, command, elapsedSec: cost.wallSec, preprocessing: { ...p, normalization: backbone.normalization },
    });
    session.writeSummary(report);
    session.log(`test: clean ${report.test!.clean.toFixed(4)}, PGD-${args.testSteps} ${report.test!.pgd.toFixed(4)} (${report.test!.images} images); ${result.step} steps, training ${cost.wallSec.toFixed(1)} s`);
    return report;
  } finally {
    release();
  }
}


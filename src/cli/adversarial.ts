/** @module `adaptune adversarial`: PGD adversarial training or fine-tuning (src/methods/adversarial) with a held-out robust-accuracy monitor, best-checkpoint selection, a final robustness evaluation and cost accounting. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import { DataError } from '../core/errors.js';
import { DataLoader } from '../data/loader.js';
import type { Dataset } from '../data/dataset.js';
import { loadTask } from '../data/tasks/index.js';
import { labelBudget } from '../data/splits.js';
import { createAdversarialTask, evaluateRobustness, validateAdversarialConfig, type AdversarialConfig, type AdversarialTask, type RobustnessReport } from '../methods/adversarial/index.js';
import { CheckpointReader, Checkpoints, loadConfigFile, makeConfig, mergeConfig, newRunDir, parseOverrides, resume, RunDir, train, type TrainConfig } from '../train/index.js';
import type { AdversarialArgs } from './adversarial-args.js';
import { costRatio, pretrainCost, readRunCost, type CostRatio, type PretrainCost, type RunCost } from './adversarial-cost.js';
import { defaultBackbonePath, loadBackbone, readSidecar } from './backbone.js';
import { applyThreads, commandLine, logLine, runLogger, taskLoaders, writeWeights } from './common.js';
import { CliError } from './flags.js';
import { checkFreshRunDir, defined, readSummary } from './runconfig.js';

/** Engine and method defaults of the command (below --config, the flags and --set). */
export const ADVERSARIAL_DEFAULTS = {
  batchSize: 128,
  config: {
    seed: 0, epochs: 3, optim: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }, scheduler: { name: 'none', interval: 'step' },
    eval: { every: 0, atEpochEnd: true }, checkpoint: { atEpochEnd: true, keep: 1, monitor: 'robust_then_clean', mode: 'max' }, log: { every: 5 },
    method: { init: 'finetune', eps: 0.1, steps: 7, evalSteps: 10 },
  },
} as const;

/** Batch size of the monitor and the final evaluation (PGD keeps a graph per step: this bounds the memory). */
const EVAL_BATCH = 100;

/** The command's arguments a resumed run needs again (saved as cli.json). */
type SavedArgs = Pick<AdversarialArgs, 'data' | 'labelsPerClass' | 'valImages' | 'testSteps' | 'testRestarts' | 'testLimit' | 'gapImages'> & { batchSize: number; weights: string; trainPerClass?: number | null };

/** One robustness row of the report. */
export interface RobustRow { clean: number; fgsm: number; pgd: number; pgdSteps: number; restarts: number; images: number; maskingFlags: string[] }
/** What an adversarial run reports. */
export interface AdversarialReport {
  runDir: string; data: string; init: string; loss: string; eps: number; norm: string; schedule: string; weights: string; head: 'kept' | 'new';
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

/** defaults < file < flags < --set; a layer that names another schedule replaces the schedule below instead of merging into it. */
export async function adversarialConfig(a: AdversarialArgs): Promise<TrainConfig> {
  const schedule = defined({ name: a.schedule, warmupFraction: a.warmupFraction, warmupShape: a.warmupShape, startFactor: a.startFactor, decayShape: a.decayShape, decayRate: a.decayRate });
  const flags = defined({
    seed: a.seed, epochs: a.epochs, maxSteps: a.maxSteps, optim: defined({ lr: a.lr, momentum: a.momentum, weightDecay: a.weightDecay }),
    eval: defined({ every: a.evalEvery }), ...(a.valImages === 0 ? { checkpoint: { monitor: null } } : a.select === 'robust' ? { checkpoint: { monitor: 'robust_accuracy' } } : {}),
    method: defined({ init: a.init, loss: a.loss, norm: a.norm, eps: a.eps, steps: a.steps, stepSize: a.stepSize, bnMode: a.bnMode, tradesBeta: a.tradesBeta, evalSteps: a.evalSteps, ...(Object.keys(schedule).length ? { schedule } : {}) }),
  });
  let merged: Record<string, unknown> = {};
  for (const layer of [ADVERSARIAL_DEFAULTS.config, a.config ? await loadConfigFile(a.config) : {}, flags, parseOverrides(a.set)] as Record<string, unknown>[]) {
    const below = ((merged['method'] as Record<string, unknown> | undefined)?.['schedule'] as { name?: string } | undefined)?.name ?? 'slow-start-fast-decay';
    const mine = ((layer['method'] as Record<string, unknown> | undefined)?.['schedule'] as { name?: string } | undefined)?.name;
    if (mine !== undefined && mine !== below) delete (merged['method'] as Record<string, unknown>)['schedule'];
    merged = mergeConfig(merged, layer);
  }
  const config = makeConfig(merged);
  config.method = validateAdversarialConfig(config.method) as unknown as Record<string, unknown>;
  return config;
}

/** N examples spread evenly over a dataset (the dataset itself when N is absent or not smaller). */
const spread = (d: Dataset, n: number | undefined): Dataset | null => (n !== undefined && n < d.length ? d.subset(Array.from({ length: n }, (_, i) => Math.floor((i * d.length) / n))) : null);

/** Clean, FGSM and PGD-k (restarts) accuracy of the model on a dataset. */
function robustRow(task: AdversarialTask, d: Dataset, k: number, restarts: number, seed: number): RobustRow {
  const c = task.config;
  const r: RobustnessReport = evaluateRobustness(task.model, new DataLoader(d, { batchSize: EVAL_BATCH, seed, shuffle: false, prefetch: false }), { eps: c.eps, norm: c.norm, steps: [k], restarts, seed });
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
    if (e instanceof DataError) throw new CliError(`--train-per-class ${perClass}: the training split after --val-images is too small (${e.message})`);
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

/** Runs (or resumes) an adversarial training; `argv` is recorded as the exact command. */
export async function runAdversarial(a: AdversarialArgs, o: { argv?: string[]; quiet?: boolean; handleSignals?: boolean } = {}): Promise<AdversarialReport> {
  applyThreads(a.threads);
  const command = commandLine(o.argv);
  const runDir = a.resume ? resolve(a.resume) : a.out ? resolve(a.out) : null;
  let args: SavedArgs;
  let config: TrainConfig;
  if (a.resume) {
    const f = join(runDir!, 'cli.json');
    if (!existsSync(f)) throw new CliError(`--resume ${a.resume}: no cli.json there (not a run of adaptune adversarial)`);
    args = JSON.parse(readFileSync(f, 'utf8')) as SavedArgs;
    config = makeConfig(new RunDir(runDir!).readConfig());
  } else {
    config = await adversarialConfig(a);
    if (runDir) checkFreshRunDir(runDir);
    args = { data: a.data, labelsPerClass: a.labelsPerClass, batchSize: a.batchSize ?? ADVERSARIAL_DEFAULTS.batchSize, weights: resolve(a.weights ?? defaultBackbonePath()), valImages: a.valImages, testSteps: a.testSteps, testRestarts: a.testRestarts, testLimit: a.testLimit, gapImages: a.gapImages, trainPerClass: a.trainPerClass };
  }
  const scratchRun = a.compareTo ? readRunCost(resolve(a.compareTo)) : null;
  if (scratchRun && scratchRun.init !== 'scratch') throw new CliError(`--compare-to ${a.compareTo}: that run has init '${scratchRun.init}'; the cost ratio is measured against a from-scratch run (--init scratch)`);
  const method = config.method as unknown as AdversarialConfig;
  // the head is kept when the data is the weights' own task (the paper's setting), else replaced
  const keepHead = readSidecar(args.weights).task?.['name'] === args.data;
  const size = loadTask(args.data, { labelsPerClass: args.labelsPerClass, seed: config.seed });
  const n = size.train.length;
  size.dispose();
  if (args.valImages >= n) throw new CliError(`--val-images ${args.valImages} must be smaller than the ${n} training images of ${args.data}`);
  const task = loadTask(args.data, { labelsPerClass: args.labelsPerClass, seed: config.seed, ...(args.valImages > 0 ? { valFraction: Math.max(args.valImages / n, 1e-6) } : {}) });
  const owned: Dataset[] = [];
  let model;
  let sidecar;
  torch.manualSeed(config.seed);
  try { ({ model, sidecar } = loadBackbone(args.weights, keepHead ? {} : { numClasses: task.numClasses })); } catch (e) { task.dispose(); throw e; }
  const dir = runDir ?? newRunDir('runs', 'adversarial');
  if (!a.resume) { new RunDir(dir); writeFileSync(join(dir, 'cli.json'), JSON.stringify({ ...args, command }, null, 2) + '\n'); }
  const logFile = join(dir, 'log.txt');
  logLine(logFile, `$ ${command}`);
  // wall time of earlier sessions: our cost record, else the engine's elapsedSec (a process killed after training, before its report)
  const saved = a.resume ? readSummary(dir) : {};
  const prevWall = (saved['cost'] as RunCost | undefined)?.wallSec ?? (typeof saved['elapsedSec'] === 'number' ? saved['elapsedSec'] : 0);
  try {
    const trainSet = trainSubset(task.train, args.trainPerClass ?? null, config.seed, task.numClasses);
    if (trainSet !== task.train) owned.push(trainSet);
    const loaders = taskLoaders({ train: trainSet, test: task.test }, args.batchSize, config.seed);
    const val = task.val ? new DataLoader(task.val, { batchSize: EVAL_BATCH, seed: config.seed, shuffle: false, prefetch: false }) : null;
    const adv = createAdversarialTask(model, method, { eval: val });
    const opts = { data: loaders.train, onEvent: runLogger(logFile, { quiet: o.quiet ?? false, every: 10 }), handleSignals: o.handleSignals ?? true, scheduler: adv.lrScheduler };
    const t0 = Date.now();
    const result = a.resume ? await resume(dir, adv, opts) : await train(adv, config, { ...opts, runDir: dir });
    if (result.status === 'failed') throw new Error(`training failed; see ${dir}`);
    const cost: RunCost = {
      trainForwardPasses: adv.cost.forwardExamples, trainBackwardPasses: adv.cost.backwardExamples,
      monitorForwardPasses: adv.evalCost.forwardExamples, monitorBackwardPasses: adv.evalCost.backwardExamples,
      wallSec: (Date.now() - t0) / 1000 + prevWall, monitorSec: adv.evalSeconds,
    };
    const base = {
      runDir: dir, data: args.data, init: method.init, loss: method.loss, eps: method.eps, norm: method.norm, schedule: method.schedule.name, weights: args.weights, head: keepHead ? 'kept' as const : 'new' as const,
      steps: result.step, epochs: Math.round(100 * (result.epochsRun ?? result.epoch)) / 100, status: result.status, exitCode: result.exitCode,
      trainPerClass: args.trainPerClass ?? null, trainImages: trainSet.length, monitor: monitorRows(dir), cost, pretrain: method.init === 'finetune' ? pretrainCost(sidecar.training, sidecar.elapsedSec) : null,
    };
    const ratio = (): CostRatio | null => (scratchRun ? costRatio(resolve(a.compareTo!), scratchRun.cost, cost, base.pretrain) : null);
    if (result.status !== 'completed' && result.status !== 'early-stopped') {
      // interrupted or stopped: record the cost so far; --resume continues, and evaluates at the end
      const partial: AdversarialReport = { ...base, best: null, test: null, testLast: null, train: null, costRatio: null, elapsedSec: (Date.now() - t0) / 1000, command };
      new RunDir(dir).writeSummary({ ...readSummary(dir), ...partial });
      return partial;
    }
    const seed = config.seed;
    const test = spread(task.test, args.testLimit);
    if (test) owned.push(test);
    const gapSubset = args.gapImages > 0 ? spread(trainSet, args.gapImages) : null;
    if (gapSubset) owned.push(gapSubset);
    const gap = args.gapImages > 0 ? gapSubset ?? trainSet : null; // trainSet is owned elsewhere: never pushed twice
    const ptr = val ? new Checkpoints(join(dir, 'checkpoints')).pointer('best') : null;
    const testLast = ptr && ptr.step !== result.step ? robustRow(adv, test ?? task.test, args.testSteps, args.testRestarts, seed) : null;
    const best = val ? loadBest(adv, dir) : null;
    const report: AdversarialReport = {
      ...base, best: best ? selected(base.monitor, best.step) : null,
      test: robustRow(adv, test ?? task.test, args.testSteps, args.testRestarts, seed), testLast, train: gap ? robustRow(adv, gap, args.testSteps, args.testRestarts, seed) : null,
      costRatio: ratio(), elapsedSec: (Date.now() - t0) / 1000, command,
    };
    writeWeights(model, join(dir, 'weights.safetensors'), {
      model: sidecar.model, task: { name: args.data, labelsPerClass: args.labelsPerClass, seed }, training: { steps: result.step, batchSize: args.batchSize, method, from: args.weights, selected: best ? `best ${best.key} at step ${best.step}` : 'last' },
      sourceTestAccuracy: null, command, elapsedSec: cost.wallSec,
    });
    new RunDir(dir).writeSummary({ ...readSummary(dir), ...report });
    logLine(logFile, `test: clean ${report.test!.clean.toFixed(4)}, PGD-${args.testSteps} ${report.test!.pgd.toFixed(4)} (${report.test!.images} images); ${result.step} steps, training ${cost.wallSec.toFixed(1)} s`);
    return report;
  } finally {
    for (const d of owned) d.dispose();
    model.dispose();
    task.dispose();
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The human-readable summary of a report. */
export function formatAdversarial(r: AdversarialReport): string {
  const row = (name: string, x: RobustRow): string => `${name}: clean ${pct(x.clean)}, FGSM ${pct(x.fgsm)}, PGD-${x.pgdSteps}${x.restarts > 1 ? `x${x.restarts}` : ''} ${pct(x.pgd)} (${x.images} images)${x.maskingFlags.length ? `\n  gradient-masking flags: ${x.maskingFlags.join('; ')}` : ''}`;
  const c = r.cost;
  const lines = [
    `adversarial ${r.status}: ${r.loss} ${r.init} on ${r.data}, ${r.norm} eps ${r.eps}, schedule ${r.schedule}, ${r.steps} steps (${r.epochs} epochs)`,
    ...(r.trainPerClass !== null ? [`training images: ${r.trainImages} (${r.trainPerClass} per class, drawn with the seed)`] : []),
    ...(r.best ? [`selected: step ${r.best.step} (held-out robust accuracy ${pct(r.best.robustAccuracy)}${r.best.accuracy !== null ? `, clean ${pct(r.best.accuracy)}` : ''})`] : []),
    ...(r.test ? [row('test', r.test)] : ['test: not evaluated (run interrupted; --resume continues it)']),
    ...(r.testLast ? [row('test (last weights)', r.testLast)] : []),
    ...(r.train ? [row('train images', r.train), `train-test robust gap: ${(100 * (r.train.pgd - r.test!.pgd)).toFixed(2)} points`] : []),
    `cost: ${c.trainForwardPasses} forward + ${c.trainBackwardPasses} backward example passes in training; monitor ${c.monitorForwardPasses} + ${c.monitorBackwardPasses}; wall ${c.wallSec.toFixed(1)} s (monitor ${c.monitorSec.toFixed(1)} s)`,
    ...(r.pretrain ? [`pre-training behind the weights: ${r.pretrain.examplePasses} example passes (${r.pretrain.steps} steps x ${r.pretrain.batchSize}, x2 forward+backward)`] : []),
    ...(r.costRatio ? [`cost ratio vs from-scratch run ${r.costRatio.against}: ${r.costRatio.passes.toFixed(2)}x the passes, ${r.costRatio.trainWall.toFixed(2)}x the training wall time${r.costRatio.passesWithPretrain !== null ? `; ${r.costRatio.passesWithPretrain.toFixed(2)}x counting the pre-training` : ''}`] : []),
    `run directory: ${r.runDir}`,
  ];
  return lines.join('\n') + '\n';
}

/** `adaptune adversarial`: prints the summary (or one JSON object with --json); returns the exit status. */
export async function adversarialCommand(a: AdversarialArgs): Promise<number> {
  const r = await runAdversarial(a);
  process.stdout.write(a.json ? JSON.stringify(r) + '\n' : formatAdversarial(r));
  return r.exitCode;
}

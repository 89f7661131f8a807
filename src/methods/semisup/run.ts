/**
 * @module runSemisup: semi-supervised transfer (`adaptune semisup`) of the bundled backbone, any weights file or a
 * registry model on any in-memory data spec: the target model (new head) and, with AKC, the frozen source model;
 * the labelled images (labelsPerClass per class, less a class-stratified validation split) and the unlabelled
 * pool (the training images beyond the label budget, and the data's unlabeled/ folder) in one resumable source;
 * the run directory (new or resumed). Evaluations during training see the validation split only (the
 * reported validation accuracy is the last one and the mean of the last 5, as the official code reports); the
 * test split is evaluated once, at the end. The backbone's normalisation is applied after the augmentation.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { DataLoader, Dataset, open, transforms, type AugmentName, type OpenedData, type Preprocessing } from '../../data/index.js';
import type { Transform } from '../../data/transforms/base.js';
import { bundledBackbonePath, type FeatureModel } from '../../models/index.js';
import { classificationMetrics, defined, isBuiltinSpec, loadBackbone, planRun, preprocessingFor, runConfig, RunSession, SUPERVISED_DATA_DEFAULTS, type ClassificationMetrics, type ConfigLayers, type RunHooks, type TrainConfig } from '../../train/index.js';
import { semisupScheduler, semisupTrainConfig, type ResolvedSemisupConfig, type SemisupConfig } from './config.js';
import { createSemisupTask, extraViews, usesUnlabelled } from './index.js';
import { SemisupSource } from './source.js';
import { strongAugment, weakAugment } from './views.js';
import { SEMISUP_DATA, SEMISUP_DEFAULTS, SEMISUP_OPTIONS, type SemisupOptionValues } from './options.js';
import { checkOptions } from '../../core/options.js';

export { SEMISUP_DATA, SEMISUP_DEFAULTS } from './options.js';

/** Options of runSemisup (undefined: the default, or the resumed run's value): the table of options.ts. */
export type SemisupOptions = SemisupOptionValues & RunHooks;

/** Evaluations averaged for the reported accuracy (the official code reports the mean of the last checkpoints). */
export const LAST_EVALS = 5;

/** What a semisup run reports. */
export interface SemisupReport {
  runDir: string; data: string; labelsPerClass: number | 'all'; weights: string | null; model: string; backboneSha256: string | null;
  algorithm: string; akc: boolean; arc: boolean; steps: number; status: string; exitCode: number;
  /** Validation accuracy of the evaluated (EMA) model: last evaluation, and the mean of the last (up to) 5 (null without a validation split). */
  valAccuracy: number | null; meanLastValAccuracy: number | null; evaluations: number; valImages: number;
  /** Test metrics of the final evaluated (EMA) model, measured once at the end; rawAccuracy: the raw model's with method.evalRaw. */
  test: ClassificationMetrics & { classes: string[] }; testAccuracy: number; rawAccuracy: number | null; testImages: number;
  preprocessing: Preprocessing;
  /** Mean gate ratios (fraction of examples selected) over the first and the last 10% of steps (null when off). */
  gates: { akc: [number, number] | null; arc: [number, number] | null; ssl: [number, number] | null };
  elapsedSec: number; command: string;
}


/** Mean of a metric over the first and the last 10% of the logged train steps. */
function earlyLate(rows: Record<string, unknown>[], key: string): [number, number] | null {
  const xs = rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  if (!xs.length) return null;
  const k = Math.max(1, Math.round(xs.length / 10));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return [mean(xs.slice(0, k)), mean(xs.slice(-k))];
}

/** How runSemisup layers its config: defaults < file < options < set. */
function semisupLayers(o: SemisupOptions): ConfigLayers<SemisupConfig> {
  return {
    defaults: SEMISUP_DEFAULTS, file: o.config, set: o.set, resolve: (raw) => semisupTrainConfig({}, raw),
    flags: defined({
      seed: o.seed, maxSteps: o.steps, precision: o.precision, eval: o.evalEvery === undefined ? undefined : { every: o.evalEvery },
      method: defined({
        algorithm: o.algorithm, akc: o.akc, arc: o.arc, lambdaAkc: o.lambdaAkc, lambdaArc: o.lambdaArc, akcScale: o.akcScale, threshold: o.threshold,
        coef: o.coef, batchSize: o.batchSize, mu: o.mu, lr: o.lr, weightDecay: o.weightDecay, emaDecay: o.emaDecay,
      }),
    }),
    given: { data: o.data, labelsPerClass: o.labelsPerClass, weights: o.weights ? resolve(o.weights) : undefined, model: o.model ?? undefined, valFraction: o.valFraction, testFraction: o.testFraction, imageSize: o.imageSize ?? undefined },
  };
}

/** The engine config a new semisup run with these options gets, validated; nothing is loaded or written. */
export async function semisupConfig(o: SemisupOptions = {}): Promise<TrainConfig<SemisupConfig>> {
  checkOptions(SEMISUP_OPTIONS, o);
  return (await runConfig(planRun('semisup', {}), semisupLayers(o))).config;
}

/** Runs (or resumes) a semi-supervised transfer run; see the module doc. */
export async function runSemisup(o: SemisupOptions = {}): Promise<SemisupReport> {
  checkOptions(SEMISUP_OPTIONS, o);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const plan = planRun<SavedSemisupArgs>('semisup', o);
  const { config, extend } = await runConfig(plan, semisupLayers(o));
  const args: SavedSemisupArgs = plan.saved?.args ?? {
    data: o.data ?? SEMISUP_DATA.data, labelsPerClass: o.labelsPerClass ?? SEMISUP_DATA.labelsPerClass, weights: o.weights ? resolve(o.weights) : o.model ? null : resolve(bundledBackbonePath()),
    model: o.model ?? null, valFraction: o.valFraction ?? SUPERVISED_DATA_DEFAULTS.valFraction, testFraction: o.testFraction ?? SUPERVISED_DATA_DEFAULTS.testFraction, imageSize: o.imageSize ?? null,
  };
  const m = config.method;
  const builtin = isBuiltinSpec(args.data);
  const load = (): ReturnType<typeof loadBackbone> => loadBackbone({ weights: args.weights, model: args.model ?? null, builtin, imageSize: args.imageSize ?? null });
  torch.manualSeed(config.seed);
  const target = load();
  const models: { dispose(): void }[] = [target.model];
  let d: OpenedData | null = null;
  try {
    // the views crop the stored images with padding: store them at the model's input size
    const pre = preprocessingFor(target, { imageSize: args.imageSize ?? null, augment: 'crop+flip' as AugmentName }, builtin);
    const size = typeof pre.imageSize === 'number' ? pre.imageSize : 28;
    // valFraction absent: a run recorded before validation splits, resumed as it was
    d = await open(args.data, { seed: config.seed, labelsPerClass: args.labelsPerClass, valFraction: args.valFraction ?? 0, testFraction: args.testFraction ?? SUPERVISED_DATA_DEFAULTS.testFraction, preprocessing: { ...pre, resizeTo: size } });
    const inMemory = (x: unknown): x is Dataset => x instanceof Dataset;
    if (!inMemory(d.train) || !inMemory(d.test) || (d.val && !inMemory(d.val)) || (d.unlabelled && !inMemory(d.unlabelled))) throw new ConfigError(`${args.data}: semi-supervised training needs the images in memory (this set is streamed from disk); use a smaller set or image size`);
    const [train, test, val] = [d.train, d.test, d.val as Dataset | null];
    const unlabelled = d.unlabelled as Dataset | null;
    if (usesUnlabelled(m) && !unlabelled) throw new ConfigError(`${args.data}: no unlabelled images (labelsPerClass ${args.labelsPerClass} labels every training image, and there is no unlabeled/ folder); lower labelsPerClass or use algorithm 'supervised'`);
    m.numClasses = d.numClasses;
    torch.manualSeed(config.seed);
    torch.noGrad(() => target.model.resetClassifier(d!.numClasses));
    const source = m.akc ? load().model : undefined;
    if (source) models.push(source);
    const session = RunSession.open(plan, args, o);
    for (const line of target.notes) session.log(line);
    const dir = session.dir;
    const norm = d.preprocessing.normalization ? new transforms.Normalize(d.preprocessing.normalization) : null;
    const withNorm = (t: Transform): Transform => (norm ? new transforms.Compose([t, norm]) : t);
    const ev = extraViews(m);
    const views = Array.from({ length: ev.count }, () => withNorm(ev.strong ? strongAugment({ size }) : weakAugment({ size })));
    const source0 = new SemisupSource(train, usesUnlabelled(m) ? unlabelled : null, { batchSize: m.batchSize, mu: m.mu, stepsPerEpoch: m.stepsPerEpoch, seed: config.seed, weak: withNorm(weakAugment({ size })), views });
    const plain = (ds: Dataset): DataLoader => new DataLoader(ds, { batchSize: size * size <= 64 * 64 ? 500 : m.batchSize, seed: config.seed, shuffle: false, prefetch: false, ...(norm ? { transform: norm } : {}) });
    const t0 = Date.now();
    const st = createSemisupTask(target.model, m, {
      labelled: plain(train), ...(val ? { eval: plain(val) } : {}), source,
      makeModel: () => { const c = load().model; torch.noGrad(() => c.resetClassifier(d!.numClasses)); models.push(c); return c; },
    });
    const result = await session.train(st, config, { data: source0, onEvent: session.events(o, 20), handleSignals: o.handleSignals ?? true, ...(o.signal ? { signal: o.signal } : {}), extend, scheduler: semisupScheduler(m.numCycles) });
    const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const evals = rows.filter((r) => r['split'] === 'eval' && typeof r['accuracy'] === 'number');
    let last = evals.at(-1);
    if (val && (!last || last['step'] !== result.step)) { last = { step: result.step, ...st.evaluate() }; evals.push(last); }
    const lastK = evals.slice(-LAST_EVALS).map((r) => r['accuracy'] as number);
    // the test split, once, on the evaluated model (the EMA copy when method.ema)
    (st.data as { eval?: DataLoader }).eval = plain(test);
    const fin = st.evaluate();
    const evaluated: FeatureModel = m.ema && st.ema ? st.ema.copy as FeatureModel : target.model;
    const tm = await classificationMetrics(evaluated, plain(test), d.numClasses);
    const trainRows = rows.filter((r) => r['split'] === 'train');
    const report: SemisupReport = {
      runDir: dir, data: args.data, labelsPerClass: args.labelsPerClass, weights: args.weights, model: target.spec.name, backboneSha256: target.sha256,
      algorithm: m.algorithm, akc: m.akc, arc: m.arc, steps: result.step, status: result.status, exitCode: result.exitCode,
      valAccuracy: last ? last['accuracy'] as number : null, meanLastValAccuracy: lastK.length ? lastK.reduce((s, x) => s + x, 0) / lastK.length : null, evaluations: evals.length, valImages: val?.length ?? 0,
      test: { ...tm, classes: d.classes }, testAccuracy: tm.accuracy, rawAccuracy: typeof fin['rawAccuracy'] === 'number' ? fin['rawAccuracy'] : null, testImages: test.length,
      preprocessing: d.preprocessing,
      gates: { akc: earlyLate(trainRows, 'gate_akc'), arc: earlyLate(trainRows, 'gate_arc'), ssl: earlyLate(trainRows, 'ssl_mask') },
      elapsedSec: (Date.now() - t0) / 1000, command: session.command,
    };
    st.dispose();
    session.writeSummary(report);
    if (report.valAccuracy !== null) session.log(`validation accuracy ${report.valAccuracy.toFixed(4)} (mean of last ${lastK.length}: ${report.meanLastValAccuracy!.toFixed(4)})`);
    session.log(`test accuracy ${tm.accuracy.toFixed(4)}, macro-F1 ${tm.macroF1.toFixed(4)} (${test.length} images, evaluated once); ${result.step} steps in ${report.elapsedSec.toFixed(1)} s`);
    return report;
  } finally {
    for (const x of models) x.dispose();
    d?.dispose();
  }
}

/** The arguments a semisup run records (cli.json). */
interface SavedSemisupArgs { data: string; labelsPerClass: number | 'all'; weights: string | null; model?: string | null; valFraction?: number; testFraction?: number; imageSize?: number | null }


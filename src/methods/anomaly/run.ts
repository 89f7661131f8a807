/**
 * @module runAnomaly (`adaptune anomaly`): per category, Gaussian anomaly detection on pre-trained features, optionally
 * its Mahalanobis fine-tuning with the forgetting-aware validation (selected and last weights, the oracle epoch),
 * baselines, and PaDiM-style segmentation with overlays; on the procedural defect set, an MVTec-AD tree, one-class
 * Fashion-MNIST, or a data spec (`mvtec:DIR`, `anomaly:DIR`: a normal-only training folder), with any weights file
 * (the backbone's normalisation, e.g. ImageNet's for torchvision ResNets, is applied to every batch). The
 * fine-tuning selects its epoch on a validation split of the normal training images (plus synthetic anomalies);
 * the test AUROC of every epoch is recorded as the oracle, for the report only. Results in OUT/results.json.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { basename } from 'node:path';
import { DataLoader, Dataset, open, transforms } from '../../data/index.js';
import { generateDefectSet } from '../../data/defects.js';
import { loadMvtec } from '../../data/folders.js';
import { fmnistOneClass } from '../../data/oneclass.js';
import { bundledBackbonePath, type FeatureModel } from '../../models/index.js';
import { defaultTrainConfig, defined, inputChannels, layerConfig, loadBackbone, mergeConfig, withMethod, makeDirs, newRunDir, RunSession, train, validateConfig, type RunHooks, type TrainConfig } from '../../train/index.js';
import { ANOMALY_ARGS, type AnomalyOptions } from './defaults.js';
import { validateAnomalyFinetuneConfig, type AnomalyFinetuneConfig } from './config.js';
import { compareBaselines, imageMetrics, segmentationMetrics, type ImageMetrics } from './evaluate.js';
import { GaussianAD, type GaussianADOptions } from './detector.js';
import { collect, createAnomalyFinetuneTask, type EpochRecord } from './finetune.js';
import { writeOverlay } from './overlay.js';
import { Padim } from './segment.js';
import { ANOMALY_OPTIONS, anomalyCategories } from './options.js';
import { checkOptions } from '../../core/options.js';

/** Engine defaults of the fine-tuning (below --config and the flags). */
export const ANOMALY_DEFAULTS = {
  seed: 0, epochs: 20, optim: { name: 'adam', lr: 1e-4 }, earlyStop: { metric: 'val_auroc', mode: 'max', patience: 5 },
  eval: { atEpochEnd: true }, checkpoint: { atEpochEnd: false, keep: 1, monitor: 'val_auroc', mode: 'max' }, log: { every: 5, tensorboard: false }, method: {},
} as const;

/** Segmentation results without the maps. */
interface SegmentRow { pixelAuroc: number; pro: number; imageAuroc: number; channels: number }
/** Fine-tuning results: test AUROCs refitted on all normal training images with the selected / last weights, the validation's history. */
interface FinetuneRow {
  selectedEpoch: number; selectedValAuroc: number; selected: ImageMetrics; last: ImageMetrics; lastEpoch: number;
  oracleEpoch: number; oracleTestAuroc: number; history: EpochRecord[]; status: string; runDir: string;
}
/** One category's results. */
export interface AnomalyRow { category: string; trainImages: number; valImages: number; testImages: number; gaussianAD: ImageMetrics; baselines?: Record<string, ImageMetrics>; finetune?: FinetuneRow; segmentation?: { pretrained: SegmentRow; finetuned?: SegmentRow } }
/** What the command reports. */
export interface AnomalyReport { data: string; weights: string; model: string; normalization: { mean: number[]; std: number[] } | null; seed: number; config: TrainConfig<AnomalyFinetuneConfig>; rows: AnomalyRow[]; outDir: string; elapsedSec: number; command: string }

/** Whether `data` is a data spec (mvtec:DIR, anomaly:DIR) rather than one of the built-in sources. */
const isSpec = (data: string): boolean => data.includes(':');

/** One category's data; `types` names each test image's kind ('good' or the anomaly's), where the source knows it. */
interface CategoryData { train: Dataset; test: Dataset; types?: string[] }

/** Loads one category: normal training images and the labelled test split with masks (none for anomaly:DIR). */
async function loadCategory(a: Resolved, category: string, channels: 1 | 3): Promise<CategoryData> {
  if (isSpec(a.data)) {
    const size = a.imageSize ?? a.size ?? 224;
    const d = await open(a.data, { seed: a.seed, valFraction: 0, preprocessing: { imageSize: size, resizeTo: size, channels, augment: 'none' } });
    if (!(d.train instanceof Dataset) || !(d.test instanceof Dataset)) { d.dispose(); throw new ConfigError(`${a.data}: anomaly detection needs the images in memory (this set is streamed from disk); use a smaller image size`); }
    return { train: d.train, test: d.test };
  }
  if (a.data === 'fmnist') return fmnistOneClass(Number(category), a.seed);
  if (a.data === 'synthetic') {
    const s = generateDefectSet({ category, seed: a.seed, train: a.trainSize, testGood: a.testGood, testDefect: a.testDefect });
    return { train: s.train, test: s.test, types: s.defects };
  }
  const spec = { root: resolve(a.root!), category, size: [a.size ?? 28, a.size ?? 28] as [number, number], channels };
  const train = (await loadMvtec({ ...spec, split: 'train' })).dataset;
  const test = await loadMvtec({ ...spec, split: 'test' });
  return { train, test: test.dataset, types: test.defects };
}

/** How batches reach the model: the backbone's normalisation (null: none) and the evaluation batch (256 up to 64x64 images, 16 above: a forward pass keeps its intermediates until the batch ends). */
interface Feed { norm: transforms.Normalize | null; batch: number }
const plain = (ds: Dataset, seed: number, f: Feed): DataLoader => new DataLoader(ds, { batchSize: f.batch, seed, shuffle: false, prefetch: false, ...(f.norm ? { transform: f.norm } : {}) });
/** Pixels for overlays in [0, 1] (undoing the normalisation). */
function unnormalize(px: Float32Array, c: number, hw: number, n: { mean: number[]; std: number[] } | null): Float32Array {
  if (!n) return px;
  const out = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) { const ch = Math.floor(i / hw) % c; const k = n.mean.length === 1 ? 0 : ch; out[i] = px[i]! * n.std[k]! + n.mean[k]!; }
  return out;
}

/** Image metrics of a Gaussian fitted on `fit` with the model's current weights. */
async function gaussianMetrics(model: FeatureModel, o: GaussianADOptions, fit: Dataset, test: Dataset, seed: number, f: Feed, types?: string[]): Promise<ImageMetrics> {
  const ad = new GaussianAD(model, o);
  try { await ad.fit(plain(fit, seed, f)); return await imageMetrics(ad, plain(test, seed, f), types); } finally { ad.dispose(); }
}

/** PaDiM on the model's current weights; overlays of the first `n` test images (defective ones first) when dir is given. */
async function segment(model: FeatureModel, fit: Dataset, test: Dataset, seed: number, channels: AnomalyFinetuneConfig['padimChannels'], overlays: { dir: string; n: number } | null, f: Feed): Promise<SegmentRow> {
  const padim = new Padim(model, { channels, channelSeed: seed });
  const { x, y } = collect(plain(test, seed, f));
  try {
    const loader = plain(fit, seed, f);
    for (let i = 0; i < loader.numBatches; i++) { const b = loader.batchAt(0, i); try { padim.partialFit(b.x); } finally { torch.dispose(b); } }
    padim.finalize();
    const labels = Int32Array.from(y!.data() as ArrayLike<number | bigint>, Number);
    const r = segmentationMetrics(padim, x, test.masks!, labels);
    if (overlays && overlays.n > 0) {
      makeDirs(overlays.dir);
      const order = [...labels.keys()].sort((p, q) => labels[q]! - labels[p]! || p - q).slice(0, overlays.n);
      const all = r.maps.flatMap((m) => Array.from(m)).sort((p, q) => p - q);
      const range: [number, number] = [all[Math.floor(0.01 * (all.length - 1))]!, all[Math.floor(0.99 * (all.length - 1))]!];
      const [, c, h, w] = x.shape as [number, number, number, number];
      const px = unnormalize(torch.tidy(() => x.contiguous().data() as Float32Array), c, h * w, f.norm);
      const mk = torch.tidy(() => test.masks!.contiguous().data() as Uint8Array);
      for (const i of order) {
        await writeOverlay(join(overlays.dir, `${String(i).padStart(4, '0')}-${labels[i] ? 'defect' : 'good'}.png`), {
          image: px.subarray(i * c * h * w, (i + 1) * c * h * w), channels: c, height: h, width: w, scores: r.maps[i]!, mask: mk.subarray(i * h * w, (i + 1) * h * w),
        }, range);
      }
    }
    return { pixelAuroc: r.pixelAuroc, pro: r.pro, imageAuroc: r.imageAuroc, channels: padim.channelIndex!.length };
  } finally { padim.dispose(); torch.dispose(x, y); }
}

/** Fine-tunes on `fit` with validation on `val`; returns the row and leaves the selected weights in the model. */
async function finetune(model: FeatureModel, config: TrainConfig<AnomalyFinetuneConfig>, o: GaussianADOptions, d: { train: Dataset; fit: Dataset; val: Dataset; test: Dataset; types?: string[] }, a: Resolved, runDir: string, hooks: RunHooks, f: Feed): Promise<FinetuneRow> {
  const task = createAnomalyFinetuneTask(model, config.method, { fit: plain(d.fit, config.seed, f), val: plain(d.val, config.seed, f), test: plain(d.test, config.seed, f) });
  try {
    const bs = Math.min(a.batchSize, d.fit.length);
    const loader = new DataLoader(d.fit, { batchSize: bs, seed: config.seed, shuffle: true, dropLast: d.fit.length >= 2 * bs, ...(f.norm ? { transform: f.norm } : {}) });
    makeDirs(runDir);
    const session = new RunSession(runDir, false, '', 'train.log');
    const result = await train(task, config, { data: loader, runDir, onEvent: session.events(hooks), handleSignals: hooks.handleSignals ?? true, ...(hooks.signal ? { signal: hooks.signal } : {}) });
    if (result.status === 'failed') throw new Error(`fine-tuning failed; see ${runDir}`);
    const last = await gaussianMetrics(model, o, d.train, d.test, config.seed, f, d.types);
    const lastEpoch = task.history[task.history.length - 1]!.epoch;
    const oracle = task.history.reduce((b, h) => ((h.testAuroc ?? -1) > (b.testAuroc ?? -1) ? h : b));
    task.restoreBest();
    const selected = await gaussianMetrics(model, o, d.train, d.test, config.seed, f, d.types);
    return {
      selectedEpoch: task.best.epoch, selectedValAuroc: task.best.valAuroc, selected, last, lastEpoch,
      oracleEpoch: oracle.epoch, oracleTestAuroc: oracle.testAuroc!, history: task.history, status: result.status, runDir,
    };
  } finally { task.dispose(); }
}

/** The engine config: defaults < file < options < set; method options validated here (errors name the field). */
export async function anomalyConfig(a: AnomalyOptions): Promise<TrainConfig<AnomalyFinetuneConfig>> {
  const flags = defined({
    seed: a.seed, epochs: a.epochs, optim: defined({ lr: a.lr }), earlyStop: a.toEnd ? { metric: null } : defined({ patience: a.patience }),
    method: defined({ objective: a.objective, bn: a.bn, covariance: a.covariance, projection: a.projection, stages: a.stages, validationSeed: a.seed ?? ANOMALY_ARGS.seed }),
  });
  const merged = await layerConfig({ defaults: ANOMALY_DEFAULTS, file: a.config, flags, set: a.set });
  if (a.toEnd) (merged['checkpoint'] as Record<string, unknown>)['monitor'] = null;
  const config = validateConfig(mergeConfig(defaultTrainConfig, merged));
  return withMethod(config, validateAnomalyFinetuneConfig(config.method));
}

/** ' (by type: kind 0.9123, ...)' for a log line, or '' without types. */
const byTypeText = (m: ImageMetrics): string => (m.byType ? ` (by type: ${Object.entries(m.byType).map(([t, v]) => `${t} ${v.toFixed(4)}`).join(', ')})` : '');

/** Options with the defaults filled in. */
type Resolved = Omit<AnomalyOptions & typeof ANOMALY_ARGS, 'data'> & { data: string; categories: string[] };

/** Runs the experiment (see module doc). */
export async function runAnomaly(opts: AnomalyOptions = {}): Promise<AnomalyReport> {
  checkOptions(ANOMALY_OPTIONS, opts);
  if (opts.threads !== undefined) torch.setNumThreads(opts.threads);
  const data = opts.data ?? ANOMALY_ARGS.data;
  const a = { ...ANOMALY_ARGS, ...defined(opts as Record<string, unknown>), categories: isSpec(data) ? [basename(data.slice(data.indexOf(':') + 1).replace(/\/+$/, '')) || 'data'] : anomalyCategories(data as 'synthetic' | 'mvtec' | 'fmnist', opts.categories) } as Resolved;
  if (isSpec(data) && !/^(mvtec|anomaly):/i.test(data)) throw new ConfigError(`anomaly: data ${JSON.stringify(data)} must be synthetic, fmnist, mvtec (with root), mvtec:DIR or anomaly:DIR`);
  if (/^anomaly:/i.test(data) && a.segment) throw new ConfigError('anomaly: --segment needs pixel masks, which anomaly:DIR has not; use mvtec:DIR');
  if (a.data === 'mvtec' && !a.root) throw new ConfigError('anomaly: data mvtec needs root (the folder holding the category folders)');
  const o = opts;
  const t0 = Date.now();
  const config = await anomalyConfig(a);
  const m = config.method as { stages: string[] | null; covariance: GaussianADOptions['covariance']; eps: number; projection: GaussianADOptions['projection']; varianceThreshold: number; combine: GaussianADOptions['combine'] };
  const adOpts: GaussianADOptions = { covariance: m.covariance, eps: m.eps, projection: m.projection, varianceThreshold: m.varianceThreshold, combine: m.combine, ...(m.stages ? { stages: m.stages } : {}) };
  const weights = resolve(a.weights ?? bundledBackbonePath());
  const probe = loadBackbone({ weights, model: a.model ?? null }); // checks the file before creating the output directory
  const channels: 1 | 3 = inputChannels(probe.model) === 1 ? 1 : 3;
  const normalization = probe.normalization;
  const modelName = probe.spec.name;
  probe.model.dispose();
  if (a.out !== undefined && a.out !== null && a.out.trim() === '') throw new ConfigError("--out must name a directory, got ''");
  // a data spec is one category: read (and check) it before anything is written
  let preloaded: CategoryData | null = isSpec(data) ? await loadCategory(a, a.categories[0]!, channels) : null;
  const outDir = a.out ? resolve(a.out) : newRunDir('runs', 'anomaly');
  makeDirs(outDir);
  const log = (s: string): void => { if (!o.quiet) process.stderr.write(s + '\n'); };
  const rows: AnomalyRow[] = [];
  for (const category of a.categories) {
    torch.manualSeed(config.seed);
    const { model } = loadBackbone({ weights, model: a.model ?? null });
    let data: CategoryData;
    try { data = preloaded ?? await loadCategory(a, category, channels); } catch (e) { model.dispose(); throw e; }
    const [, , ih, iw] = data.train.images.shape as number[];
    const feed: Feed = { norm: normalization ? new transforms.Normalize(normalization) : null, batch: ih! * iw! <= 64 * 64 ? 256 : 16 };
    preloaded = null;
    const perm = Rng.derive(a.seed, 'anomaly-split', category).permutation(data.train.length);
    const nVal = Math.max(2, Math.round(a.valFraction * data.train.length));
    const val = data.train.subset(perm.slice(0, nVal));
    const fit = data.train.subset(perm.slice(nVal));
    try {
      log(`anomaly ${category}: ${data.train.length} normal training images (${fit.length} fit + ${val.length} validation), ${data.test.length} test images`);
      const row: AnomalyRow = { category, trainImages: data.train.length, valImages: val.length, testImages: data.test.length, gaussianAD: await gaussianMetrics(model, adOpts, data.train, data.test, a.seed, feed, data.types) };
      log(`  Gaussian AD: image AUROC ${row.gaussianAD.auroc.toFixed(4)}${byTypeText(row.gaussianAD)}`);
      if (a.baselines) row.baselines = await compareBaselines(model, plain(data.train, a.seed, feed), plain(data.test, a.seed, feed), m.stages ?? undefined);
      const catDir = join(outDir, category);
      if (a.segment) row.segmentation = { pretrained: await segment(model, data.train, data.test, a.seed, config.method.padimChannels, a.finetune ? null : { dir: join(catDir, 'overlays'), n: a.overlays }, feed) };
      if (a.finetune) {
        row.finetune = await finetune(model, config, adOpts, { train: data.train, fit, val, test: data.test, ...(data.types ? { types: data.types } : {}) }, a, join(catDir, 'finetune'), o, feed);
        log(`  fine-tuned: selected epoch ${row.finetune.selectedEpoch} AUROC ${row.finetune.selected.auroc.toFixed(4)}${byTypeText(row.finetune.selected)}; last epoch ${row.finetune.lastEpoch} ${row.finetune.last.auroc.toFixed(4)}`);
        if (a.segment) row.segmentation!.finetuned = await segment(model, data.train, data.test, a.seed, config.method.padimChannels, { dir: join(catDir, 'overlays'), n: a.overlays }, feed);
      }
      rows.push(row);
    } finally {
      for (const d of [data.train, data.test, val, fit]) d.dispose();
      model.dispose();
    }
  }
  const report: AnomalyReport = { data: a.data === 'mvtec' ? `mvtec:${resolve(a.root!)}` : a.data, weights, model: modelName, normalization, seed: a.seed, config, rows, outDir, elapsedSec: (Date.now() - t0) / 1000, command: o.command ?? '(library) anomaly' };
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  return report;
}


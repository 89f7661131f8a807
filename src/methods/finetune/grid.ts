/**
 * @module runHparams (`adaptune hparams`): a resumable grid of fine-tuning runs over effective learning rate x
 * momentum (x L2 / L2-SP) on any data spec and model/weights, each cell its own run directory OUT/<cell>/
 * (completed cells are reused, an interrupted one restarts), with an accuracy table, OUT/results.md,
 * OUT/summary.json and a heat-map report. Cells are ranked on the validation split only (valAccuracy; the
 * table and heat-map show it); each cell's test accuracy is measured once at its end and reported beside it,
 * never used to choose.
 */
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { Dataset, loadersFor, open, type AugmentName } from '../../data/index.js';
import { bundledBackbonePath } from '../../models/index.js';
import { defined, isBuiltinSpec, layerConfig, loadBackbone, makeDirs, preprocessingFor, readSummary, RunSession, SUPERVISED_DATA_DEFAULTS, writeReport } from '../../train/index.js';
import { FINETUNE_DEFAULTS, LR_PAIR, resolveFinetune, supervisedRun } from './run.js';
import { DEFAULT_STRENGTH } from './study.js';

export type GridRegularizer = 'l2' | 'l2-sp';

/** Options of runHparams (`adaptune hparams`, a grid run). */
export interface HparamsGridOptions {
  /** A data spec (a built-in task, imagefolder:DIR, csv:FILE). */
  data: string;
  labelsPerClass: number | 'all';
  /** Validation fraction of the labelled images (default 0.1; the data's own val/ split when it has one): the ranking's split. */
  valFraction?: number;
  testFraction?: number;
  /** Registry model (the architecture of `weights`, or alone a fresh one). */
  model?: string | null;
  imageSize?: number | null;
  augment?: AugmentName | null;
  elrs: number[];
  momenta: number[];
  regularizers: GridRegularizer[];
  /** L2-SP alphas of the l2-sp cells (default [0.01]); a cell whose alpha is not the default carries it in its id (-a<alpha>). */
  alphas?: number[];
  /** Plain L2 coefficients of the l2 cells (default [1e-4]); a cell whose coefficient is not the default carries it in its id (-wd<coef>). */
  weightDecays?: number[];
  epochs?: number;
  seed: number;
  batchSize: number;
  out: string;
  weights: string | null;
  threads?: number;
  /** Testing/smoke budget: at most this many steps per cell (hidden flag --max-steps). */
  maxSteps?: number;
  /** Testing/smoke budget: evaluate on this many test images only (hidden flag --test-limit; in-memory data). */
  testLimit?: number;
}

/** One cell's outcome. */
export interface CellResult { id: string; elr: number; momentum: number; lr: number; regularizer: GridRegularizer; strength: number; valAccuracy: number | null; testAccuracy: number; testLoss: number; steps: number; elapsedSec: number; reused: boolean; dir: string }

/** What runGrid returns; `best` is the cell of highest validation accuracy (null without a validation split). */
export interface GridResult { out: string; cells: CellResult[]; complete: boolean; table: string; best: CellResult | null; report: string | null; elapsedSec: number }


/** The directory name of a cell; `strength` (alpha for l2-sp, weight decay for l2) appears only when it is not the default, so older grids stay valid. */
export function cellId(elr: number, momentum: number, regularizer: GridRegularizer, strength = DEFAULT_STRENGTH[regularizer]): string {
  const tag = strength === DEFAULT_STRENGTH[regularizer] ? '' : regularizer === 'l2-sp' ? `-a${strength}` : `-wd${strength}`;
  return `elr${elr}-m${momentum}-${regularizer}${tag}`;
}

/** A column label: momentum, and the regularizer with its coefficient when the grid has several. */
const colLabel = (m: number, r: GridRegularizer, k: number, many: boolean, strengths: boolean): string =>
  `m=${m}${many ? ` ${r}` : ''}${strengths ? ` ${r === 'l2-sp' ? 'a' : 'wd'}=${k}` : ''}`;

/** Each regularizer's list of coefficients (the defaults where not given). */
function strengthsOf(a: Pick<HparamsGridOptions, 'alphas' | 'weightDecays'>): Record<GridRegularizer, number[]> {
  return { 'l2-sp': a.alphas?.length ? a.alphas : [DEFAULT_STRENGTH['l2-sp']], l2: a.weightDecays?.length ? a.weightDecays : [DEFAULT_STRENGTH.l2] };
}

/** Seconds as a short human string. */
function fmtSec(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;
}

/** The accuracy table (markdown) of `key` (default validation accuracy, else test where a cell has none): rows elr, columns momentum [x regularizer]; missing cells '-'. */
export function gridTable(a: Pick<HparamsGridOptions, 'elrs' | 'momenta' | 'regularizers' | 'alphas' | 'weightDecays'>, cells: CellResult[], key: 'valAccuracy' | 'testAccuracy' = 'valAccuracy'): string {
  const ks = strengthsOf(a);
  const cols = a.regularizers.flatMap((r) => ks[r].flatMap((k) => a.momenta.map((m) => ({ r, m, k }))));
  const several = a.regularizers.some((r) => ks[r].length > 1);
  const head = cols.map((c) => colLabel(c.m, c.r, c.k, a.regularizers.length > 1, several));
  const lines = [`| elr | ${head.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  for (const e of a.elrs) {
    const row = cols.map((c) => cells.find((x) => x.elr === e && x.momentum === c.m && x.regularizer === c.r && x.strength === c.k));
    lines.push(`| ${e} | ${row.map((x) => (x ? (100 * (x[key] ?? x.testAccuracy)).toFixed(2) : '-')).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Runs (or resumes) the grid; progress lines go to `log` (default stderr). */
export async function runHparams(a: HparamsGridOptions, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<GridResult> {
  if (a.threads !== undefined) torch.setNumThreads(a.threads);
  const t0 = Date.now();
  const out = resolve(a.out);
  const weights = a.weights ? resolve(a.weights) : a.model ? null : resolve(bundledBackbonePath());
  const ks = strengthsOf(a);
  const grid = a.regularizers.flatMap((r) => ks[r].flatMap((k) => a.elrs.flatMap((elr) => a.momenta.map((m) => ({ elr, momentum: m, regularizer: r, strength: k, id: cellId(elr, m, r, k) })))));
  // validate every cell's config before any training (a bad value names its field)
  const configs = await Promise.all(grid.map(async (c) => resolveFinetune(await layerConfig({ defaults: FINETUNE_DEFAULTS.config, exclusive: LR_PAIR, flags: defined({
    seed: a.seed, epochs: a.epochs, maxSteps: a.maxSteps, method: { elr: c.elr, momentum: c.momentum, regularizer: c.regularizer, ...(c.regularizer === 'l2-sp' ? { alpha: c.strength } : { weightDecay: c.strength }) },
  }) }))));
  // the weights and the data once, before the output folder: bad input fails here, named
  const builtin = isBuiltinSpec(a.data);
  const probe = loadBackbone({ weights, model: a.model ?? null, builtin, imageSize: a.imageSize ?? null });
  const preprocessing = preprocessingFor(probe, { imageSize: a.imageSize ?? null, augment: a.augment ?? null }, builtin);
  probe.model.dispose();
  const d = await open(a.data, { seed: a.seed, labelsPerClass: a.labelsPerClass, valFraction: a.valFraction ?? SUPERVISED_DATA_DEFAULTS.valFraction, testFraction: a.testFraction ?? SUPERVISED_DATA_DEFAULTS.testFraction, preprocessing });
  const n = d.test.length;
  if (a.testLimit !== undefined && a.testLimit < n && !(d.test instanceof Dataset)) { d.dispose(); throw new ConfigError('--test-limit needs an in-memory test split'); }
  const test = a.testLimit !== undefined && a.testLimit < n && d.test instanceof Dataset
    ? d.test.subset(Array.from({ length: a.testLimit }, (_, i) => Math.floor((i * n) / a.testLimit!)))
    : null;
  const cells: CellResult[] = [];
  let ranSec = 0;
  let ran = 0;
  let complete = true;
  try {
    makeDirs(out);
    const loaders = loadersFor({ ...d, test: test ?? d.test }, { batchSize: a.batchSize, seed: a.seed });
    for (const [k, c] of grid.entries()) {
      const dir = join(out, c.id);
      const s = readSummary(dir);
      const prefix = `cell ${k + 1}/${grid.length} ${c.id}`;
      if (s['status'] === 'completed' && typeof s['testAccuracy'] === 'number') {
        const va = typeof s['valAccuracy'] === 'number' ? s['valAccuracy'] : null;
        cells.push({ ...c, lr: c.elr * (1 - c.momentum), valAccuracy: va, testAccuracy: s['testAccuracy'], testLoss: Number(s['testLoss'] ?? NaN), steps: Number(s['steps'] ?? 0), elapsedSec: Number(s['elapsedSec'] ?? 0), reused: true, dir });
        log(`${prefix}: done earlier, validation accuracy ${va === null ? '-' : (100 * va).toFixed(2) + '%'} (reused)`);
        continue;
      }
      if (existsSync(dir)) { log(`${prefix}: interrupted earlier; restarting it`); rmSync(dir, { recursive: true, force: true }); }
      const left = grid.length - k; // this cell included
      log(`${prefix}: running${ran ? ` (ETA ${fmtSec((ranSec / ran) * left)} for ${left} cell(s))` : ''}`);
      const config = configs[k]!;
      config.method.numClasses = d.numClasses;
      torch.manualSeed(config.seed);
      const { model } = loadBackbone({ weights, model: a.model ?? null, builtin, imageSize: a.imageSize ?? null });
      try {
        torch.noGrad(() => model.resetClassifier(d.numClasses));
        makeDirs(dir);
        const r = await supervisedRun({ model, config, ...loaders, session: dir, onEvent: new RunSession(dir, false, '').events({ quiet: true }) });
        r.task.dispose();
        if (r.result.status !== 'completed') { complete = false; log(`${prefix}: ${r.result.status}; stopping the grid (run the same command again to resume)`); break; }
        const cell: CellResult = { ...c, lr: c.elr * (1 - c.momentum), valAccuracy: r.val?.accuracy ?? null, testAccuracy: r.test.accuracy, testLoss: r.test.loss, steps: r.result.step, elapsedSec: r.elapsedSec, reused: false, dir };
        const { reused: _r, ...rec } = cell;
        // the final evaluation of the selection split as an eval line, so that report curves and the heat-map rank on it
        const sel = r.val ?? r.test;
        appendFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ split: 'eval', step: r.result.step, epoch: r.result.epoch, accuracy: sel.accuracy, loss: sel.loss, macro_f1: sel.macroF1, time: Date.now() / 1000 }) + '\n');
        writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...readSummary(dir), ...rec, status: 'completed', data: a.data, labelsPerClass: a.labelsPerClass, valImages: r.val?.n ?? 0, testImages: r.test.n, weights, val: r.val, test: r.test, classes: d.classes }, null, 2) + '\n');
        cells.push(cell);
        ranSec += r.elapsedSec;
        ran++;
        log(`${prefix}: validation accuracy ${r.val ? (100 * r.val.accuracy).toFixed(2) + '%' : '-'}, test ${(100 * r.test.accuracy).toFixed(2)}% in ${fmtSec(r.elapsedSec)} [${k + 1}/${grid.length} done, elapsed ${fmtSec((Date.now() - t0) / 1000)}]`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    test?.dispose();
    d.dispose();
  }
  complete &&= cells.length === grid.length;
  const withVal = cells.filter((c) => c.valAccuracy !== null);
  const best = withVal.length ? withVal.reduce((x, y) => (y.valAccuracy! > x.valAccuracy! ? y : x)) : null;
  const table = gridTable(a, cells);
  const testTable = gridTable(a, cells, 'testAccuracy');
  const testImages = a.testLimit !== undefined ? Math.min(a.testLimit, n) : n;
  const bestLine = best ? `Selected on validation: ${best.id} (validation ${(100 * best.valAccuracy!).toFixed(2)}%), its test accuracy ${(100 * best.testAccuracy).toFixed(2)}% on ${testImages} test images.` : 'No validation split: nothing is selected (the test table is for reference only).';
  const md = `# Hyperparameter grid: ${a.data}, ${a.labelsPerClass} labels/class, seed ${a.seed}\n\nValidation accuracy (%) (the ranking's split); lr = elr * (1 - momentum); ${a.epochs ?? 'default'} epochs${a.maxSteps ? `, at most ${a.maxSteps} steps` : ''} per cell.\n\n${table}\n\n${bestLine}\n\nTest accuracy (%) on ${testImages} test images, measured once per cell at its end (not used to choose):\n\n${testTable}\n`;
  writeFileSync(join(out, 'results.md'), md);
  let report: string | null = null;
  const dirs = cells.map((c) => c.dir).filter((x) => existsSync(join(x, 'metrics.jsonl')));
  if (dirs.length) {
    try { report = writeReport(dirs, join(out, 'report.html'), { heatmap: { x: 'method.elr', y: 'method.momentum' }, title: `hparams ${a.data} (${a.labelsPerClass} labels/class; validation accuracy)` }).file; } catch (e) { log(`note: report not written (${(e as Error).message})`); }
  }
  const result: GridResult = { out, cells, complete, table, best, report, elapsedSec: (Date.now() - t0) / 1000 };
  writeFileSync(join(out, 'summary.json'), JSON.stringify({ ...result, testTable, data: a.data, labelsPerClass: a.labelsPerClass, seed: a.seed, epochs: a.epochs ?? null, testImages, regularizers: a.regularizers, selectedOn: best ? 'validation' : null }, null, 2) + '\n');
  return result;
}

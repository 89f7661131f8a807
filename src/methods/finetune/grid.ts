/**
 * @module runHparams (`adaptune hparams`): a resumable grid of fine-tuning runs over effective learning rate x
 * momentum (x L2 / L2-SP), each cell its own run directory OUT/<cell>/ (completed cells are reused, an interrupted
 * one restarts), with an accuracy table, OUT/results.md, OUT/summary.json and a heat-map report.
 */
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { loadTask, taskLoaders, type LabelsPerClass, type TaskName } from '../../data/index.js';
import { bundledBackbonePath, loadPretrained } from '../../models/index.js';
import { defined, layerConfig, makeDirs, readSummary, RunSession, writeReport } from '../../train/index.js';
import { FINETUNE_DEFAULTS, LR_PAIR, resolveFinetune, supervisedRun } from './run.js';

export type GridRegularizer = 'l2' | 'l2-sp';

/** Options of runHparams (`adaptune hparams`, a grid run). */
export interface HparamsGridOptions {
  data: TaskName;
  labelsPerClass: LabelsPerClass;
  elrs: number[];
  momenta: number[];
  regularizers: GridRegularizer[];
  epochs?: number;
  seed: number;
  batchSize: number;
  out: string;
  weights: string | null;
  threads?: number;
  /** Testing/smoke budget: at most this many steps per cell (hidden flag --max-steps). */
  maxSteps?: number;
  /** Testing/smoke budget: evaluate on this many test images only (hidden flag --test-limit). */
  testLimit?: number;
}

/** One cell's outcome. */
export interface CellResult { id: string; elr: number; momentum: number; lr: number; regularizer: GridRegularizer; testAccuracy: number; testLoss: number; steps: number; elapsedSec: number; reused: boolean; dir: string }

/** What runGrid returns. */
export interface GridResult { out: string; cells: CellResult[]; complete: boolean; table: string; report: string | null; elapsedSec: number }

/** The directory name of a cell. */
export function cellId(elr: number, momentum: number, regularizer: GridRegularizer): string {
  return `elr${elr}-m${momentum}-${regularizer}`;
}

/** Seconds as a short human string. */
function fmtSec(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;
}

/** The accuracy table (markdown): rows elr, columns momentum [x regularizer]; missing cells '-'. */
export function gridTable(a: Pick<HparamsGridOptions, 'elrs' | 'momenta' | 'regularizers'>, cells: CellResult[]): string {
  const cols = a.regularizers.flatMap((r) => a.momenta.map((m) => ({ r, m })));
  const head = cols.map((c) => `m=${c.m}${a.regularizers.length > 1 ? ` ${c.r}` : ''}`);
  const lines = [`| elr | ${head.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  for (const e of a.elrs) {
    const row = cols.map((c) => cells.find((x) => x.elr === e && x.momentum === c.m && x.regularizer === c.r));
    lines.push(`| ${e} | ${row.map((x) => (x ? (100 * x.testAccuracy).toFixed(2) : '-')).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Runs (or resumes) the grid; progress lines go to `log` (default stderr). */
export async function runHparams(a: HparamsGridOptions, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<GridResult> {
  if (a.threads !== undefined) torch.setNumThreads(a.threads);
  const t0 = Date.now();
  const out = resolve(a.out);
  makeDirs(out);
  const weights = resolve(a.weights ?? bundledBackbonePath());
  const grid = a.regularizers.flatMap((r) => a.elrs.flatMap((elr) => a.momenta.map((m) => ({ elr, momentum: m, regularizer: r, id: cellId(elr, m, r) }))));
  // validate every cell's config before any training (a bad value names its field)
  const configs = await Promise.all(grid.map(async (c) => resolveFinetune(await layerConfig({ defaults: FINETUNE_DEFAULTS.config, exclusive: LR_PAIR, flags: defined({
    seed: a.seed, epochs: a.epochs, maxSteps: a.maxSteps, method: { elr: c.elr, momentum: c.momentum, regularizer: c.regularizer },
  }) }))));
  const task = loadTask(a.data, { labelsPerClass: a.labelsPerClass, seed: a.seed });
  const n = task.test.length;
  const test = a.testLimit !== undefined && a.testLimit < n
    ? task.test.subset(Array.from({ length: a.testLimit }, (_, i) => Math.floor((i * n) / a.testLimit!)))
    : null;
  const cells: CellResult[] = [];
  let ranSec = 0;
  let ran = 0;
  let complete = true;
  try {
    const loadersBase = { train: task.train, test: test ?? task.test };
    for (const [k, c] of grid.entries()) {
      const dir = join(out, c.id);
      const s = readSummary(dir);
      const prefix = `cell ${k + 1}/${grid.length} ${c.id}`;
      if (s['status'] === 'completed' && typeof s['testAccuracy'] === 'number') {
        cells.push({ ...c, lr: c.elr * (1 - c.momentum), testAccuracy: s['testAccuracy'], testLoss: Number(s['testLoss'] ?? NaN), steps: Number(s['steps'] ?? 0), elapsedSec: Number(s['elapsedSec'] ?? 0), reused: true, dir });
        log(`${prefix}: done earlier, test accuracy ${(100 * (s['testAccuracy'])).toFixed(2)}% (reused)`);
        continue;
      }
      if (existsSync(dir)) { log(`${prefix}: interrupted earlier; restarting it`); rmSync(dir, { recursive: true, force: true }); }
      const left = grid.length - k; // this cell included
      log(`${prefix}: running${ran ? ` (ETA ${fmtSec((ranSec / ran) * left)} for ${left} cell(s))` : ''}`);
      const config = configs[k]!;
      torch.manualSeed(config.seed);
      const { model } = loadPretrained(weights, { numClasses: task.numClasses });
      try {
        makeDirs(dir);
        const loaders = taskLoaders(loadersBase, a.batchSize, config.seed);
        const r = await supervisedRun({ model, config, ...loaders, session: dir, onEvent: new RunSession(dir, false, '').events({ quiet: true }) });
        r.task.dispose();
        if (r.result.status !== 'completed') { complete = false; log(`${prefix}: ${r.result.status}; stopping the grid (run the same command again to resume)`); break; }
        const cell: CellResult = { ...c, lr: c.elr * (1 - c.momentum), testAccuracy: r.test.accuracy, testLoss: r.test.loss, steps: r.result.step, elapsedSec: r.elapsedSec, reused: false, dir };
        const { reused: _r, ...rec } = cell;
        // the final test evaluation as an eval line, so that report curves and the heat-map see it
        appendFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ split: 'eval', step: r.result.step, epoch: r.result.epoch, accuracy: r.test.accuracy, loss: r.test.loss, time: Date.now() / 1000 }) + '\n');
        writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...readSummary(dir), ...rec, status: 'completed', data: a.data, labelsPerClass: a.labelsPerClass, testImages: loadersBase.test.length, weights }, null, 2) + '\n');
        cells.push(cell);
        ranSec += r.elapsedSec;
        ran++;
        log(`${prefix}: test accuracy ${(100 * r.test.accuracy).toFixed(2)}% in ${fmtSec(r.elapsedSec)} [${k + 1}/${grid.length} done, elapsed ${fmtSec((Date.now() - t0) / 1000)}]`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    test?.dispose();
    task.dispose();
  }
  complete &&= cells.length === grid.length;
  const table = gridTable(a, cells);
  const testImages = a.testLimit !== undefined ? Math.min(a.testLimit, n) : n;
  const md = `# Hyperparameter grid: ${a.data}, ${a.labelsPerClass} labels/class, seed ${a.seed}\n\nTest accuracy (%) on ${testImages} test images; lr = elr * (1 - momentum); ${a.epochs ?? 'default'} epochs${a.maxSteps ? `, at most ${a.maxSteps} steps` : ''} per cell.\n\n${table}\n`;
  writeFileSync(join(out, 'results.md'), md);
  let report: string | null = null;
  const dirs = cells.map((c) => c.dir).filter((d) => existsSync(join(d, 'metrics.jsonl')));
  if (dirs.length) {
    try { report = writeReport(dirs, join(out, 'report.html'), { heatmap: { x: 'method.elr', y: 'method.momentum' }, title: `hparams ${a.data} (${a.labelsPerClass} labels/class)` }).file; } catch (e) { log(`note: report not written (${(e as Error).message})`); }
  }
  const result: GridResult = { out, cells, complete, table, report, elapsedSec: (Date.now() - t0) / 1000 };
  writeFileSync(join(out, 'summary.json'), JSON.stringify({ ...result, data: a.data, labelsPerClass: a.labelsPerClass, seed: a.seed, epochs: a.epochs ?? null, testImages, regularizers: a.regularizers }, null, 2) + '\n');
  return result;
}


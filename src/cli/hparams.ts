/** @module `adaptune hparams`: a resumable grid of fine-tuning runs over effective learning rate x momentum (x L2 / L2-SP), with an accuracy table and a heat-map. */
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseLabelsPerClass, parseTaskSpec, type LabelsPerClass, type TaskName } from '../data/tasks/spec.js';
import { ConfigError } from '../core/errors.js';
import { CliError, enumFlag, intFlag, noPositionals, numFlag, strictParse } from './flags.js';
import type { CollectArgs, RecommendArgs } from './hparams-study.js';
import { gammaFlag, tapFlag } from './similarity.js';

export type GridRegularizer = 'l2' | 'l2-sp';

/** Options of `adaptune hparams` (also the library entry runGrid). */
export interface HparamsArgs {
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
  json: boolean;
  threads?: number;
  /** Testing/smoke budget: at most this many steps per cell (hidden flag --max-steps). */
  maxSteps?: number;
  /** Testing/smoke budget: evaluate on this many test images only (hidden flag --test-limit). */
  testLimit?: number;
}

/** What `adaptune hparams` parses to: a grid, or one of the study modes (--collect, --recommend). */
export type HparamsOptions = HparamsArgs | CollectArgs | RecommendArgs;

/** One cell's outcome. */
export interface CellResult { id: string; elr: number; momentum: number; lr: number; regularizer: GridRegularizer; testAccuracy: number; testLoss: number; steps: number; elapsedSec: number; reused: boolean; dir: string }

/** What runGrid returns. */
export interface GridResult { out: string; cells: CellResult[]; complete: boolean; table: string; report: string | null; elapsedSec: number }

export const HPARAMS_USAGE = `Usage: adaptune hparams [flags]

Fine-tunes the bundled backbone (or --weights FILE) once per cell of a grid over
effective learning rate x momentum (lr = elr * (1 - momentum)), optionally x
regularizer, each cell in its own run directory OUT/<cell>/. Resumable: run the
same command again and completed cells are reused, an interrupted one restarts.
Prints the accuracy table (rows elr, columns momentum [x regularizer]) and writes
OUT/results.md, OUT/summary.json and OUT/report.html (heat-map elr x momentum).

Flags:
  --data TASK               target task (default fmnist:target-mid)
  --labels-per-class N      10, 50, 100 or all (default 100)
  --elr LIST                comma list of effective learning rates (default 0.01,0.03,0.1,0.3)
  --momentum LIST           comma list of momenta in [0, 1) (default 0,0.9)
  --regularizer R           l2, l2-sp or both (default l2)
  --epochs N                epochs per cell (default 30, as adaptune finetune)
  --batch-size N            (default 32)
  --seed S                  (default 0)
  --weights FILE            backbone weights with an adaptune sidecar (default: the bundled one)
  --out DIR                 grid directory (default runs/hparams-<data>-<labels>)
  --threads N               intra-op threads
  --json                    print ONE JSON object on stdout
  --max-steps N             smoke tests: at most N steps per cell
  --test-limit N            smoke tests: evaluate on N test images (spread over the split)
  -h, --help                this help

Study modes:
  adaptune hparams --collect DIR[,DIR...] --study FILE [--source TASK] [--tap NAME]
                   [--gamma G|auto] [--per-class-max N] [--weights FILE]
      gathers the completed cells under the grid directories (any targets, seeds,
      momenta, L2 / L2-SP; one epoch budget), computes each target's domain similarity
      (as adaptune similarity; defaults fmnist:source, pool, auto, 500) and writes the
      study file FILE (JSON) and its figure (FILE with .svg: accuracy vs elr per
      target and momentum, L2-SP, best elr vs similarity).
  adaptune hparams --recommend --data TASK [--study FILE] [--tolerance PP] [--weights FILE]
      computes TASK's similarity with the study's source, tap and gamma, and prints the
      effective-learning-rate range the study found best for the study target nearest
      in similarity: every tested elr whose best seed-mean test accuracy (over momenta,
      plain L2) is within PP points of the best (default 1), and whether L2-SP beat L2
      there. Default study: the checked-in docs/results/hparams/study.json.
  Both take --threads N and --json.
`;

const OPTIONS = {
  data: { type: 'string' }, 'labels-per-class': { type: 'string' }, elr: { type: 'string' }, momentum: { type: 'string' },
  regularizer: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, seed: { type: 'string' },
  weights: { type: 'string' }, out: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
  'max-steps': { type: 'string' }, 'test-limit': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  collect: { type: 'string' }, recommend: { type: 'boolean' }, study: { type: 'string' }, tolerance: { type: 'string' },
  source: { type: 'string' }, tap: { type: 'string' }, gamma: { type: 'string' }, 'per-class-max': { type: 'string' },
} as const;

/** The flags each mode accepts (besides --help); any other given flag is an error naming it. */
const MODE_FLAGS: Record<'grid' | 'collect' | 'recommend', readonly string[]> = {
  grid: ['data', 'labels-per-class', 'elr', 'momentum', 'regularizer', 'epochs', 'batch-size', 'seed', 'weights', 'out', 'threads', 'json', 'max-steps', 'test-limit'],
  collect: ['collect', 'study', 'source', 'tap', 'gamma', 'per-class-max', 'weights', 'threads', 'json'],
  recommend: ['recommend', 'data', 'study', 'tolerance', 'weights', 'threads', 'json'],
};

/** A comma list of numbers, each checked by numFlag (errors name the flag); duplicates dropped. */
function numList(name: string, v: string, r: { gt?: number; min?: number; lt?: number }): number[] {
  const parts = v.split(',').map((s) => s.trim());
  if (!parts.length || parts.some((s) => s === '')) throw new CliError(`--${name} must be a comma list of numbers, got '${v}'`);
  return [...new Set(parts.map((s) => numFlag(name, s, r)!))];
}

/** A --data / --source value as a TaskName (CliError naming the flag). */
function taskFlag(flag: string, v: string): TaskName {
  try { return parseTaskSpec(v).name; } catch (e) { if (e instanceof ConfigError) throw new CliError(`--${flag}: ${e.message}`); throw e; }
}

/** Parses `adaptune hparams` flags. */
export function parseHparams(args: string[]): HparamsOptions | 'help' {
  const { values: v, positionals } = strictParse('hparams', args, OPTIONS);
  if (v.help) return 'help';
  noPositionals('hparams', positionals);
  if (v.collect !== undefined && v.recommend) throw new CliError('--collect and --recommend are separate modes; give one');
  const mode = v.collect !== undefined ? 'collect' : v.recommend ? 'recommend' : 'grid';
  const stray = Object.keys(v).find((k) => k !== 'help' && !MODE_FLAGS[mode].includes(k));
  if (stray) throw new CliError(`--${stray} does not apply to ${mode === 'grid' ? 'a grid run' : `--${mode}`} (see adaptune hparams --help)`);
  const threads = intFlag('threads', v.threads);
  const common = { weights: v.weights ?? null, json: v.json === true, ...(threads !== undefined ? { threads } : {}) };
  if (mode === 'collect') {
    const dirs = v.collect!.split(',').map((d) => d.trim());
    if (dirs.some((d) => !d)) throw new CliError(`--collect must be a comma list of grid directories, got '${v.collect}'`);
    if (!v.study) throw new CliError('--collect needs --study FILE (the study file to write)');
    const pcm = intFlag('per-class-max', v['per-class-max'], 0) ?? 500;
    return { mode, dirs, study: v.study, source: taskFlag('source', v.source ?? 'fmnist:source'), tap: tapFlag(v.tap), gamma: gammaFlag(v.gamma), perClassMax: pcm === 0 ? null : pcm, ...common };
  }
  if (mode === 'recommend') {
    if (v.data === undefined) throw new CliError('--recommend needs --data TASK (the target to advise on)');
    return { mode, data: taskFlag('data', v.data), study: v.study ?? null, tolerance: (numFlag('tolerance', v.tolerance, { min: 0 }) ?? 1) / 100, ...common };
  }
  let data: TaskName;
  let labelsPerClass: LabelsPerClass;
  data = taskFlag('data', v.data ?? 'fmnist:target-mid');
  try { labelsPerClass = parseLabelsPerClass(v['labels-per-class'] ?? '100'); } catch (e) { if (e instanceof ConfigError) throw new CliError(`--labels-per-class: ${e.message}`); throw e; }
  const reg = enumFlag('regularizer', v.regularizer, ['l2', 'l2-sp', 'both'] as const) ?? 'l2';
  const out: HparamsArgs = {
    data, labelsPerClass,
    elrs: numList('elr', v.elr ?? '0.01,0.03,0.1,0.3', { gt: 0 }),
    momenta: numList('momentum', v.momentum ?? '0,0.9', { min: 0, lt: 1 }),
    regularizers: reg === 'both' ? ['l2', 'l2-sp'] : [reg],
    seed: intFlag('seed', v.seed, 0) ?? 0, batchSize: intFlag('batch-size', v['batch-size']) ?? 32,
    out: v.out ?? join('runs', `hparams-${data.replace(':', '-')}-${labelsPerClass}`),
    weights: v.weights ?? null, json: v.json === true,
  };
  const opt = { epochs: intFlag('epochs', v.epochs), threads, maxSteps: intFlag('max-steps', v['max-steps']), testLimit: intFlag('test-limit', v['test-limit']) };
  for (const [k, x] of Object.entries(opt)) if (x !== undefined) (out as unknown as Record<string, number>)[k] = x;
  return out;
}

/** The directory name of a cell. */
export function cellId(elr: number, momentum: number, regularizer: GridRegularizer): string {
  return `elr${elr}-m${momentum}-${regularizer}`;
}

/** Seconds as a short human string. */
function fmtSec(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;
}

/** The accuracy table (markdown): rows elr, columns momentum [x regularizer]; missing cells '-'. */
export function gridTable(a: Pick<HparamsArgs, 'elrs' | 'momenta' | 'regularizers'>, cells: CellResult[]): string {
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
export async function runGrid(a: HparamsArgs, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<GridResult> {
  const torch = await import('../core/torch.js');
  const { loadTask } = await import('../data/tasks/index.js');
  const { writeReport } = await import('../train/index.js');
  const { defaultBackbonePath, loadBackbone } = await import('./backbone.js');
  const { applyThreads, runLogger, taskLoaders } = await import('./common.js');
  const { FINETUNE_DEFAULTS } = await import('./finetune.js');
  const { defined, layeredConfig, readSummary, supervisedRun } = await import('./runconfig.js');
  applyThreads(a.threads);
  const t0 = Date.now();
  const out = resolve(a.out);
  mkdirSync(out, { recursive: true });
  const weights = resolve(a.weights ?? defaultBackbonePath());
  const grid = a.regularizers.flatMap((r) => a.elrs.flatMap((elr) => a.momenta.map((m) => ({ elr, momentum: m, regularizer: r, id: cellId(elr, m, r) }))));
  // validate every cell's config before any training (a bad value names its field)
  const configs = await Promise.all(grid.map((c) => layeredConfig(FINETUNE_DEFAULTS.config, null, defined({
    seed: a.seed, epochs: a.epochs, maxSteps: a.maxSteps, method: { elr: c.elr, momentum: c.momentum, regularizer: c.regularizer },
  }), [])));
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
      const { model } = loadBackbone(weights, { numClasses: task.numClasses });
      try {
        mkdirSync(dir, { recursive: true });
        const loaders = taskLoaders(loadersBase, a.batchSize, config.seed);
        const r = await supervisedRun({ model, config, ...loaders, runDir: dir, onEvent: runLogger(join(dir, 'log.txt'), { quiet: true }) });
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

/** `adaptune hparams`: runs the grid (or a study mode), prints the table (or one JSON object); returns the exit status. */
export async function hparamsCommand(o: HparamsOptions): Promise<number> {
  if ('mode' in o) {
    const st = await import('./hparams-study.js');
    if (o.mode === 'collect') {
      const s = await st.runCollect(o);
      process.stdout.write(o.json ? JSON.stringify(s) + '\n' : `wrote ${o.study} and ${st.studySvgPath(o.study)}: ${s.targets.map((t) => `${t.target} (similarity ${t.similarity.toFixed(4)}, ${t.cells.length} cells)`).join(', ')}\n`);
      return 0;
    }
    const r = await st.runRecommend(o);
    process.stdout.write(o.json ? JSON.stringify(r) + '\n' : st.formatRecommendation(r) + '\n');
    return 0;
  }
  const a = o;
  const r = await runGrid(a);
  if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`${r.table}\n\n${r.complete ? 'grid complete' : 'grid INCOMPLETE (run again to resume)'}: ${r.cells.length} cell(s); wrote ${join(r.out, 'results.md')}${r.report ? `, ${r.report}` : ''}\n`);
  return r.complete ? 0 : 1;
}

/** @module `adaptune hparams`: a resumable grid of fine-tuning runs over effective learning rate x momentum (x L2 / L2-SP), with an accuracy table and a heat-map. */
import { join } from 'node:path';
import { parseLabelsPerClass, parseTaskSpec, type LabelsPerClass, type TaskName } from '../data/tasks/spec.js';
import { checkDataSpec } from '../data/spec.js';
import { MODEL_NAMES } from '../models/names.js';
import { AUGMENT_NAMES } from '../train/options.js';
import { ConfigError } from '../core/errors.js';
import { CliError, enumFlag, intFlag, noPositionals, numFlag, strictParse } from './flags.js';
import type { GridRegularizer, HparamsGridOptions } from '../methods/finetune/grid.js';
import type { CollectArgs, RecommendArgs } from '../methods/finetune/study.js';
import { gammaFlag, tapFlag } from './similarity.js';

export type { GridRegularizer, CellResult, GridResult } from '../methods/finetune/grid.js';

/** Options of `adaptune hparams` (a grid run): runHparams's options and --json. */
export interface HparamsArgs extends HparamsGridOptions { json: boolean }

/** What `adaptune hparams` parses to: a grid, or one of the study modes (--collect, --recommend). */
export type HparamsOptions = HparamsArgs | CollectArgs | RecommendArgs;

export const HPARAMS_USAGE = `Usage: adaptune hparams [flags]

Fine-tunes the bundled backbone (or --weights FILE) once per cell of a grid over
effective learning rate x momentum (lr = elr * (1 - momentum)), optionally x
regularizer, each cell in its own run directory OUT/<cell>/. Resumable: run the
same command again and completed cells are reused, an interrupted one restarts.
Cells are ranked on a validation split only; each cell's test accuracy is measured once,
at its end, and shown apart. Prints the validation accuracy table (rows elr, columns
momentum [x regularizer]) and writes OUT/results.md (validation and test tables, the
selected cell), OUT/summary.json and OUT/report.html (heat-map elr x momentum).

Flags:
  --data SPEC               a built-in task, imagefolder:DIR or csv:FILE (default fmnist:target-mid)
  --labels-per-class N      any N >= 1, or all (default 100 on the built-in tasks, all on your data)
  --model NAME              registry model: the architecture of --weights, or alone a fresh one
  --val-fraction F          validation share of the labelled images, at least one per class (default 0.1)
  --test-fraction F         test share when the data has no test/ split (default 0.2)
  --image-size N            model input size (default from the model)
  --augment A               none, flip, crop, crop+flip, randaugment, trivialaugment, mixup, cutmix (default crop+flip)
  --elr LIST                comma list of effective learning rates (default 0.01,0.03,0.1,0.3)
  --momentum LIST           comma list of momenta in [0, 1) (default 0,0.9)
  --regularizer R           l2, l2-sp or both (default l2)
  --epochs N                epochs per cell (default 30, as adaptune finetune)
  --batch-size N            (default 32)
  --seed S                  (default 0)
  --weights FILE            weights: .safetensors (with or without sidecar), .pth/.pt/.bin (default: the bundled one)
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
  model: { type: 'string' }, 'val-fraction': { type: 'string' }, 'test-fraction': { type: 'string' }, 'image-size': { type: 'string' }, augment: { type: 'string' },
  collect: { type: 'string' }, recommend: { type: 'boolean' }, study: { type: 'string' }, tolerance: { type: 'string' },
  source: { type: 'string' }, tap: { type: 'string' }, gamma: { type: 'string' }, 'per-class-max': { type: 'string' },
} as const;

/** The flags each mode accepts (besides --help); any other given flag is an error naming it. */
const MODE_FLAGS: Record<'grid' | 'collect' | 'recommend', readonly string[]> = {
  grid: ['data', 'labels-per-class', 'elr', 'momentum', 'regularizer', 'epochs', 'batch-size', 'seed', 'weights', 'out', 'threads', 'json', 'max-steps', 'test-limit', 'model', 'val-fraction', 'test-fraction', 'image-size', 'augment'],
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
  let data: string;
  let labelsPerClass: LabelsPerClass;
  try { data = checkDataSpec(v.data ?? 'fmnist:target-mid', ['imagefolder', 'csv']); } catch (e) { if (e instanceof ConfigError) throw new CliError(`--data: ${e.message}`); throw e; }
  try { labelsPerClass = parseLabelsPerClass(v['labels-per-class'] ?? (/^(fmnist|textures):/.test(data) ? '100' : 'all')); } catch (e) { if (e instanceof ConfigError) throw new CliError(`--labels-per-class: ${e.message}`); throw e; }
  const reg = enumFlag('regularizer', v.regularizer, ['l2', 'l2-sp', 'both'] as const) ?? 'l2';
  const out: HparamsArgs = {
    data, labelsPerClass,
    elrs: numList('elr', v.elr ?? '0.01,0.03,0.1,0.3', { gt: 0 }),
    momenta: numList('momentum', v.momentum ?? '0,0.9', { min: 0, lt: 1 }),
    regularizers: reg === 'both' ? ['l2', 'l2-sp'] : [reg],
    seed: intFlag('seed', v.seed, 0) ?? 0, batchSize: intFlag('batch-size', v['batch-size']) ?? 32,
    out: v.out ?? join('runs', `hparams-${data.replace(/[:/\\]+/g, '-').replace(/^-+|-+$/g, '')}-${labelsPerClass}`),
    weights: v.weights ?? null, json: v.json === true,
  };
  const opt = {
    epochs: intFlag('epochs', v.epochs), threads, maxSteps: intFlag('max-steps', v['max-steps']), testLimit: intFlag('test-limit', v['test-limit']),
    valFraction: numFlag('val-fraction', v['val-fraction'], { min: 0, lt: 1 }), testFraction: numFlag('test-fraction', v['test-fraction'], { gt: 0, lt: 1 }), imageSize: intFlag('image-size', v['image-size'], 8),
    model: v.model === undefined ? undefined : enumFlag('model', v.model, MODEL_NAMES), augment: enumFlag('augment', v.augment, AUGMENT_NAMES),
  };
  for (const [k, x] of Object.entries(opt)) if (x !== undefined) (out as unknown as Record<string, unknown>)[k] = x;
  return out;
}

/** `adaptune hparams`: runs the grid (or a study mode), prints the table (or one JSON object); returns the exit status. */
export async function hparamsCommand(o: HparamsOptions): Promise<number> {
  if ('mode' in o) {
    const st = await import('../methods/finetune/study.js');
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
  const r = await (await import('../methods/finetune/grid.js')).runHparams(a);
  if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`${r.table}\n\n${r.complete ? 'grid complete' : 'grid INCOMPLETE (run again to resume)'}: ${r.cells.length} cell(s); wrote ${join(r.out, 'results.md')}${r.report ? `, ${r.report}` : ''}\n`);
  return r.complete ? 0 : 1;
}

/** @module `adaptune hparams`: a resumable grid of fine-tuning runs over effective learning rate x momentum (x L2 / L2-SP), with an accuracy table and a heat-map; flags from src/methods/finetune/study-options.ts. */
import { join } from 'node:path';
import { CliError, defaultOf, flagOf, formatHelp, parseFlags } from '../core/options.js';
import type { HparamsGridOptions } from '../methods/finetune/grid.js';
import type { CollectArgs, RecommendArgs } from '../methods/finetune/study.js';
import { HPARAMS_OPTIONS as T } from '../methods/finetune/study-options.js';
import { parseTaskSpec, type TaskName } from '../data/tasks/spec.js';

export type { GridRegularizer, CellResult, GridResult } from '../methods/finetune/grid.js';

/** Options of `adaptune hparams` (a grid run): runHparams's options and --json. */
export interface HparamsArgs extends HparamsGridOptions { json: boolean }

/** What `adaptune hparams` parses to: a grid, or one of the study modes (--collect, --recommend). */
export type HparamsOptions = HparamsArgs | CollectArgs | RecommendArgs;

export const HPARAMS_USAGE = formatHelp(`Usage: adaptune hparams [flags]

Fine-tunes the bundled backbone (or --weights FILE) once per cell of a grid over
effective learning rate x momentum (lr = elr * (1 - momentum)), optionally x
regularizer, each cell in its own run directory OUT/<cell>/. Resumable: run the
same command again and completed cells are reused, an interrupted one restarts.
Prints the accuracy table (rows elr, columns momentum [x regularizer]) and writes
OUT/results.md, OUT/summary.json and OUT/report.html (heat-map elr x momentum).
`, [T], `Cells: every elr x momentum, for each regularizer x its coefficients (--alpha for
l2-sp, --weight-decay for l2); a cell with a non-default coefficient has it in its
directory name (elr0.1-m0.9-l2-sp-a0.1, elr0.1-m0.9-l2-wd0.01). Cells are ranked on
the validation split (--val-fraction); each cell's test accuracy is measured once at
its end and reported beside it, never used to choose.

Study modes:
  adaptune hparams --collect DIR[,DIR...] --study FILE [--source TASK] [--tap NAME]
                   [--gamma G|auto] [--per-class-max N] [--weights FILE]
      gathers the completed cells under the grid directories (any targets, seeds,
      momenta, L2 / L2-SP; one epoch budget), computes each target's domain similarity
      (as adaptune similarity; defaults fmnist:source, pool, auto, 500) and writes the
      study file FILE (JSON), its figure (FILE with .svg: accuracy vs elr per
      target and momentum, L2-SP, best elr vs similarity) and its tables (FILE with
      .md: mean ± sample std over seeds of validation and test accuracy per cell, the
      best elr per target on validation with Spearman's rank correlation against
      similarity, and the L2 / L2-SP coefficient sweep).
  adaptune hparams --recommend --data TASK [--study FILE] [--tolerance PP] [--weights FILE]
      computes TASK's similarity with the study's source, tap and gamma, and prints the
      effective-learning-rate range the study found best for the study target nearest
      in similarity: every tested elr whose best seed-mean validation accuracy (over
      momenta, plain L2 at the default coefficient) is within PP points of the best
      (default 1), and whether L2-SP beat L2 there (default coefficients, paired by
      elr, momentum and seed). A study collected before grids held out a validation
      split ranks on test accuracy and says so. Default study: the checked-in docs/results/hparams/study.json.
  Both take --threads N and --json.
`);

type Key = keyof typeof T;
/** The options each mode accepts; any other given flag is an error naming it. */
const MODE_OPTIONS: Record<'grid' | 'collect' | 'recommend', readonly Key[]> = {
  grid: ['data', 'labelsPerClass', 'elrs', 'momenta', 'regularizer', 'alphas', 'weightDecays', 'epochs', 'batchSize', 'seed', 'weights', 'out', 'threads', 'json', 'maxSteps', 'testLimit', 'model', 'valFraction', 'testFraction', 'imageSize', 'augment'],
  collect: ['collect', 'study', 'source', 'tap', 'gamma', 'perClassMax', 'weights', 'threads', 'json'],
  recommend: ['recommend', 'data', 'study', 'tolerance', 'weights', 'threads', 'json'],
};

/** Parses `adaptune hparams` flags into the mode's run options (defaults applied). */
export function parseHparams(args: string[]): HparamsOptions | 'help' {
  const o = parseFlags('hparams', T, args);
  if (o === 'help') return 'help';
  if (o.collect !== undefined && o.recommend) throw new CliError('--collect and --recommend are separate modes; give one');
  const mode = o.collect !== undefined ? 'collect' : o.recommend ? 'recommend' : 'grid';
  const stray = (Object.keys(o) as Key[]).find((k) => !MODE_OPTIONS[mode].includes(k));
  if (stray) throw new CliError(`--${flagOf(stray, T[stray])} does not apply to ${mode === 'grid' ? 'a grid run' : `--${mode}`} (see adaptune hparams --help)`);
  const common = { weights: o.weights ?? null, json: o.json === true, ...(o.threads !== undefined ? { threads: o.threads } : {}) };
  if (mode === 'collect') {
    if (!o.study) throw new CliError('--collect needs --study FILE (the study file to write)');
    const pcm = o.perClassMax ?? defaultOf(T.perClassMax);
    return { mode, dirs: o.collect!, study: o.study, source: o.source ?? defaultOf(T.source), tap: o.tap ?? defaultOf(T.tap), gamma: o.gamma ?? defaultOf(T.gamma), perClassMax: pcm === 0 ? null : pcm, ...common };
  }
  if (mode === 'recommend') {
    if (o.data === undefined) throw new CliError('--recommend needs --data TASK (the target to advise on)');
    let task: TaskName;
    try { task = parseTaskSpec(o.data).name; } catch (e) { throw new CliError(`--data: --recommend advises on a built-in task: ${(e as Error).message}`); }
    return { mode, data: task, study: o.study ?? null, tolerance: (o.tolerance ?? defaultOf(T.tolerance)) / 100, ...common };
  }
  const data = o.data ?? defaultOf(T.data);
  const labelsPerClass = o.labelsPerClass ?? (/^(fmnist|textures):/.test(data) ? defaultOf(T.labelsPerClass) : 'all');
  const reg = o.regularizer ?? defaultOf(T.regularizer);
  return {
    data, labelsPerClass, elrs: o.elrs ?? defaultOf(T.elrs), momenta: o.momenta ?? defaultOf(T.momenta), regularizers: reg === 'both' ? ['l2', 'l2-sp'] : [reg],
    alphas: o.alphas ?? defaultOf(T.alphas), weightDecays: o.weightDecays ?? defaultOf(T.weightDecays),
    seed: o.seed ?? defaultOf(T.seed), batchSize: o.batchSize ?? defaultOf(T.batchSize), out: o.out ?? join('runs', `hparams-${data.replace(/[:/\\]+/g, '-').replace(/^-+|-+$/g, '')}-${labelsPerClass}`),
    ...common, ...(o.epochs !== undefined ? { epochs: o.epochs } : {}), ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}), ...(o.testLimit !== undefined ? { testLimit: o.testLimit } : {}),
    ...(o.model != null ? { model: o.model } : {}), ...(o.valFraction !== undefined ? { valFraction: o.valFraction } : {}), ...(o.testFraction !== undefined ? { testFraction: o.testFraction } : {}),
    ...(o.imageSize != null ? { imageSize: o.imageSize } : {}), ...(o.augment != null ? { augment: o.augment } : {}),
  };
}

/** `adaptune hparams`: runs the grid (or a study mode), prints the table (or one JSON object); returns the exit status. */
export async function hparamsCommand(o: HparamsOptions): Promise<number> {
  if ('mode' in o) {
    const st = await import('../methods/finetune/study.js');
    if (o.mode === 'collect') {
      const s = await st.runCollect(o);
      process.stdout.write(o.json ? JSON.stringify(s) + '\n' : `wrote ${o.study}, ${st.studySvgPath(o.study)} and ${st.studyMdPath(o.study)}: ${s.targets.map((t) => `${t.target} (similarity ${t.similarity.toFixed(4)}, ${t.cells.length} cells)`).join(', ')}\n`);
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

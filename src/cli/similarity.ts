/** @module `adaptune similarity`: domain similarity (Cui et al. 2018) between a source and one or more targets under the backbone's pooled features. */
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { parseTaskSpec, type TaskName } from '../data/tasks/spec.js';
import type { Gamma } from '../methods/finetune/similarity.js';
import { CliError, intFlag, noPositionals, numFlag, strictParse } from './flags.js';

/** Options of `adaptune similarity` (also the library entry runSimilarity). */
export interface SimilarityArgs {
  source: TaskName;
  targets: TaskName[];
  weights: string | null;
  /** A number, or 'auto' = 1 / (mean distance between the source's class means). */
  gamma: Gamma;
  /** Feature tap of the backbone (default 'pool'). */
  tap: string;
  /** Training images used per class (the first N of each class); null = all. */
  perClassMax: number | null;
  seed: number;
  json: boolean;
  threads?: number;
}

/** One target's row. */
export interface SimilarityRow { target: TaskName; emd: number; similarity: number; images: number; classes: number }

/** What runSimilarity returns. */
export interface SimilarityReport {
  source: TaskName; sourceImages: number; tap: string;
  /** The gamma used (resolved from the rule 'auto'), its rule, and the source's mean between-class-mean distance. */
  gamma: number; gammaRule: 'auto' | 'fixed'; sourceSpread: number;
  featureDim: number; perClassMax: number | null; weights: string; rows: SimilarityRow[]; elapsedSec: number;
}

export const SIMILARITY_USAGE = `Usage: adaptune similarity --target TASK[,TASK...] [flags]

Domain similarity of Cui et al. (CVPR 2018): pooled features of the pre-trained
backbone (fixed, eval mode) on the training split of source and target, one mean
per class, class weights = counts normalised to 1, exact earth mover's distance
between the two weighted sets of means (Euclidean ground distance), and
similarity = exp(-gamma * EMD). gamma 'auto' (default) = 1 / the mean distance
between the source's class means, so EMD is measured in units of the backbone's
own between-class scale (Cui et al.'s 0.01 was set for 2048-d JFT features).

Flags:
  --source TASK         source task (default fmnist:source)
  --target LIST         target task or comma list (required), e.g. fmnist:target-mid,fmnist:target-shift
  --weights FILE        backbone weights with an adaptune sidecar (default: the bundled one)
  --gamma G|auto        similarity = exp(-G * EMD) (default auto, see above; Cui et al.: 0.01)
  --tap NAME            feature tap (default pool, the penultimate features; a conv stage
                        such as layer2 is averaged over space)
  --per-class-max N     use at most N training images per class (default 500; 0 = all)
  --seed S              (default 0)
  --threads N           intra-op threads
  --json                print ONE JSON object on stdout
  -h, --help            this help
`;

const OPTIONS = {
  source: { type: 'string' }, target: { type: 'string' }, weights: { type: 'string' }, gamma: { type: 'string' }, tap: { type: 'string' },
  'per-class-max': { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A task spec flag as a TaskName (CliError naming the flag). */
function taskFlag(flag: string, v: string): TaskName {
  try { return parseTaskSpec(v).name; } catch (e) { if (e instanceof ConfigError) throw new CliError(`--${flag}: ${e.message}`); throw e; }
}

/** --gamma: 'auto' (default) or a number > 0. */
export function gammaFlag(v: string | undefined): Gamma {
  return v === undefined || v.trim().toLowerCase() === 'auto' ? 'auto' : numFlag('gamma', v, { gt: 0 })!;
}

/** --tap: a feature tap name (checked against the backbone when it is loaded). */
export function tapFlag(v: string | undefined): string {
  const t = (v ?? 'pool').trim();
  if (!/^[A-Za-z_][\w.]*$/.test(t)) throw new CliError(`--tap must be a feature tap name such as pool or layer2, got '${v}'`);
  return t;
}

/** Parses `adaptune similarity` flags. */
export function parseSimilarity(args: string[]): SimilarityArgs | 'help' {
  const { values: v, positionals } = strictParse('similarity', args, OPTIONS);
  if (v.help) return 'help';
  noPositionals('similarity', positionals);
  if (v.target === undefined) throw new CliError('--target TASK[,TASK...] is required (e.g. --target fmnist:target-mid)');
  const parts = v.target.split(',').map((s) => s.trim());
  if (parts.some((s) => !s)) throw new CliError(`--target must be a comma list of tasks, got '${v.target}'`);
  const pcm = intFlag('per-class-max', v['per-class-max'], 0) ?? 500;
  const out: SimilarityArgs = {
    source: taskFlag('source', v.source ?? 'fmnist:source'), targets: [...new Set(parts.map((p) => taskFlag('target', p)))],
    weights: v.weights ?? null, gamma: gammaFlag(v.gamma), tap: tapFlag(v.tap), perClassMax: pcm === 0 ? null : pcm,
    seed: intFlag('seed', v.seed, 0) ?? 0, json: v.json === true,
  };
  const threads = intFlag('threads', v.threads);
  if (threads !== undefined) out.threads = threads;
  return out;
}

/** Indices of the first `max` examples of each class (all when max is null). */
export function capPerClass(labels: Int32Array, max: number | null): number[] {
  const seen = new Map<number, number>();
  const idx: number[] = [];
  labels.forEach((y, i) => {
    const c = seen.get(y) ?? 0;
    if (max === null || c < max) { idx.push(i); seen.set(y, c + 1); }
  });
  return idx;
}

/** Computes the similarity of each target to the source (source class means computed once). */
export async function runSimilarity(a: SimilarityArgs, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<SimilarityReport> {
  const { loadTask } = await import('../data/tasks/index.js');
  const { DataLoader } = await import('../data/loader.js');
  const { classStats, similarityFromStats } = await import('../methods/finetune/index.js');
  const { defaultBackbonePath, loadBackbone } = await import('./backbone.js');
  const { applyThreads } = await import('./common.js');
  applyThreads(a.threads);
  const t0 = Date.now();
  const weights = resolve(a.weights ?? defaultBackbonePath());
  const { model } = loadBackbone(weights);
  if (!model.tapNames.includes(a.tap)) { model.dispose(); throw new CliError(`--tap must be one of ${model.tapNames.join(', ')} for this backbone, got '${a.tap}'`); }
  /** Class statistics of one task's (capped) training split. */
  const stats = (name: TaskName): { s: ReturnType<typeof classStats>; images: number } => {
    const task = loadTask(name, { labelsPerClass: 'all', seed: a.seed });
    const ds = task.train.subset(capPerClass(task.train.labelArray(), a.perClassMax));
    try {
      return { s: classStats(model, new DataLoader(ds, { batchSize: 500, seed: a.seed, shuffle: false, prefetch: false }), 0, a.tap), images: ds.length };
    } finally {
      ds.dispose();
      task.dispose();
    }
  };
  try {
    log(`similarity: class means of ${a.source}${a.perClassMax ? ` (at most ${a.perClassMax} training images per class)` : ''}`);
    const src = stats(a.source);
    const rows: SimilarityRow[] = [];
    const head = { gamma: a.gamma === 'auto' ? NaN : a.gamma, gammaRule: a.gamma === 'auto' ? 'auto' as const : 'fixed' as const, sourceSpread: NaN, featureDim: src.s.means[0]?.length ?? 0 };
    for (const t of a.targets) {
      log(`similarity: class means of ${t}`);
      const tg = stats(t);
      const r = similarityFromStats(src.s, tg.s, a.gamma);
      Object.assign(head, { gamma: r.gamma, sourceSpread: r.sourceSpread, featureDim: r.featureDim });
      rows.push({ target: t, emd: r.emd, similarity: r.similarity, images: tg.images, classes: tg.s.classes.length });
    }
    return { source: a.source, sourceImages: src.images, tap: a.tap, ...head, perClassMax: a.perClassMax, weights, rows, elapsedSec: (Date.now() - t0) / 1000 };
  } finally {
    model.dispose();
  }
}

/** `adaptune similarity`: prints EMD, gamma and similarity per target (or one JSON object); returns the exit status. */
export async function similarityCommand(a: SimilarityArgs): Promise<number> {
  const r = await runSimilarity(a);
  if (a.json) { process.stdout.write(JSON.stringify(r) + '\n'); return 0; }
  const lines = [
    `source ${r.source}: ${r.sourceImages} training images (${r.perClassMax ? `at most ${r.perClassMax} per class` : 'all'}); ${r.featureDim}-d features (tap ${r.tap}) of ${r.weights}`,
    `gamma ${r.gamma.toPrecision(4)} (${r.gammaRule === 'auto' ? `auto: 1 / ${r.sourceSpread.toFixed(4)}, the mean distance between source class means` : 'given'}); similarity = exp(-gamma * EMD)`, '',
    `${'target'.padEnd(22)} ${'images'.padStart(7)} ${'EMD'.padStart(10)} ${'similarity'.padStart(10)}`,
    ...r.rows.map((x) => `${x.target.padEnd(22)} ${String(x.images).padStart(7)} ${x.emd.toFixed(4).padStart(10)} ${x.similarity.toFixed(4).padStart(10)}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

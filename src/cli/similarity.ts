/** @module `adaptune similarity`: domain similarity (Cui et al. 2018) between a source and one or more targets under the backbone's pooled features. */
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { parseTaskSpec, type TaskName } from '../data/tasks/spec.js';
import type { Gamma } from '../methods/finetune/similarity.js';
import type { SimilarityRunOptions, SimilarityReport } from '../methods/finetune/run-similarity.js';
import { CliError, intFlag, noPositionals, numFlag, strictParse } from './flags.js';

/** Options of `adaptune similarity`: runSimilarity's options and --json. */
export interface SimilarityArgs extends SimilarityRunOptions { json: boolean }

export type { SimilarityReport, SimilarityRow } from '../methods/finetune/run-similarity.js';
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

/** Runs runSimilarity with the parsed flags. */
export async function runSimilarity(a: SimilarityArgs, log?: (s: string) => void): Promise<SimilarityReport> {
  return (await import('../methods/finetune/run-similarity.js')).runSimilarity(a, log);
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

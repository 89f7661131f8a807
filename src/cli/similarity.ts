/** @module `adaptune similarity`: domain similarity (Cui et al. 2018) between a source and one or more targets under the backbone's pooled features; flags from src/methods/finetune/study-options.ts. */
import { CliError, defaultOf, formatHelp, parseFlags } from '../core/options.js';
import type { SimilarityRunOptions, SimilarityReport } from '../methods/finetune/run-similarity.js';
import { SIMILARITY_OPTIONS as T } from '../methods/finetune/study-options.js';

/** Options of `adaptune similarity`: runSimilarity's options and --json. */
export interface SimilarityArgs extends SimilarityRunOptions { json: boolean }

export type { SimilarityReport, SimilarityRow } from '../methods/finetune/run-similarity.js';

export const SIMILARITY_USAGE = formatHelp(`Usage: adaptune similarity --target TASK[,TASK...] [flags]

Domain similarity of Cui et al. (CVPR 2018): pooled features of the pre-trained
backbone (fixed, eval mode) on the training split of source and target, one mean
per class, class weights = counts normalised to 1, exact earth mover's distance
between the two weighted sets of means (Euclidean ground distance), and
similarity = exp(-gamma * EMD). gamma 'auto' (default) = 1 / the mean distance
between the source's class means, so EMD is measured in units of the backbone's
own between-class scale (Cui et al.'s 0.01 was set for 2048-d JFT features).
`, [T]);

/** Parses `adaptune similarity` flags into runSimilarity's options (defaults applied). */
export function parseSimilarity(args: string[]): SimilarityArgs | 'help' {
  const o = parseFlags('similarity', T, args);
  if (o === 'help') return 'help';
  if (o.targets === undefined) throw new CliError('--target TASK[,TASK...] is required (e.g. --target fmnist:target-mid)');
  const pcm = o.perClassMax ?? defaultOf(T.perClassMax);
  return {
    source: o.source ?? defaultOf(T.source), targets: o.targets, weights: o.weights ?? null, gamma: o.gamma ?? defaultOf(T.gamma), tap: o.tap ?? defaultOf(T.tap),
    perClassMax: pcm === 0 ? null : pcm, seed: o.seed ?? defaultOf(T.seed), json: o.json === true, ...(o.threads !== undefined ? { threads: o.threads } : {}),
  };
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

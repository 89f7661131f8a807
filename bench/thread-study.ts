/**
 * @module `adaptune bench --thread-study`: training-step time of the small CNN
 * and ResNet-18-w16 under OPENBLAS_NUM_THREADS 1/2 x intra-op threads 1/2, for
 * adaptune and PyTorch, each setting in its own child process, alternating.
 */
import { runChild, type ChildEnv, type Framework, type Log } from './run.js';
import { markdownTable, summarize, type Summary } from './stats.js';

export interface StudyOptions {
  models: string[];
  warmup: number;
  repeats: number;
  rounds: number;
  python: string | null;
  blas: number[];
  intra: number[];
}
export interface StudyCell { model: string; framework: Framework; blasThreads: number; threads: number; train: Summary | null }
export interface StudyReport { cells: StudyCell[]; best: Record<string, { blasThreads: number; threads: number; medianMs: number }> }

/** Runs every (model, framework, blas, intra) cell `rounds` times in rotating order. */
export async function runThreadStudy(o: StudyOptions, log: Log): Promise<StudyReport> {
  const fws: Framework[] = o.python ? ['adaptune', 'pytorch'] : ['adaptune'];
  const combos: ChildEnv[] = o.blas.flatMap((b) => o.intra.map((t) => ({ blasThreads: b, threads: t })));
  const cells: StudyCell[] = [];
  for (const model of o.models) {
    const times = new Map<string, number[]>();
    for (let r = 0; r < o.rounds; r++) {
      // Rotate the order each round so no setting always runs first (or right after a heavy one).
      const order = combos.flatMap((c) => fws.map((fw) => ({ c, fw })));
      const k = (r * fws.length) % order.length;
      for (const { c, fw } of [...order.slice(k), ...order.slice(0, k)]) {
        log(`thread-study: ${model} round ${r + 1}/${o.rounds} ${fw} OPENBLAS_NUM_THREADS=${c.blasThreads} threads=${c.threads}`);
        const res = await runChild(fw, o.python ?? '', model, c, o.warmup, o.repeats, 'train');
        const key = `${fw}|${c.blasThreads}|${c.threads}`;
        times.set(key, [...(times.get(key) ?? []), ...res.train]);
      }
    }
    for (const c of combos) {
      for (const fw of fws) {
        cells.push({ model, framework: fw, ...c, train: summarize(times.get(`${fw}|${c.blasThreads}|${c.threads}`) ?? [], 128) });
      }
    }
  }
  const best: StudyReport['best'] = {};
  for (const cell of cells) {
    const key = `${cell.model}|${cell.framework}`;
    const ms = cell.train?.medianMs ?? Infinity;
    if (!best[key] || ms < best[key]!.medianMs) best[key] = { blasThreads: cell.blasThreads, threads: cell.threads, medianMs: ms };
  }
  return { cells, best };
}

/** The study as a Markdown table (median ms per training step, min-max). */
export function formatStudy(r: StudyReport): string {
  const rows = r.cells.map((c) => [c.model, c.framework, c.blasThreads, c.threads,
    c.train ? c.train.medianMs.toFixed(1) : null,
    c.train ? `${c.train.minMs.toFixed(1)}-${c.train.maxMs.toFixed(1)}` : null,
    c.train ? c.train.imagesPerSec.toFixed(0) : null]);
  const best = Object.entries(r.best).map(([k, v]) =>
    `${k.replace('|', ' ')}: fastest with OPENBLAS_NUM_THREADS=${v.blasThreads}, threads=${v.threads} (${v.medianMs.toFixed(1)} ms)`);
  return markdownTable(['model', 'framework', 'OPENBLAS_NUM_THREADS', 'intra-op threads', 'median ms', 'min-max ms', 'img/s'], rows) +
    '\n\n' + best.join('\n') + '\n';
}

/** @module runSimilarity (`adaptune similarity`): domain similarity exp(-gamma * EMD) between a source task and target tasks on a backbone's features (source class means computed once). */
import { resolve } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { DataLoader, loadTask, type TaskName } from '../../data/index.js';
import { bundledBackbonePath, loadPretrained } from '../../models/index.js';
import { classStats, similarityFromStats, type Gamma } from './similarity.js';

/** Options of runSimilarity. */
export interface SimilarityRunOptions {
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
export async function runSimilarity(a: SimilarityRunOptions, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<SimilarityReport> {
  if (a.threads !== undefined) torch.setNumThreads(a.threads);
  const t0 = Date.now();
  const weights = resolve(a.weights ?? bundledBackbonePath());
  const { model } = loadPretrained(weights);
  if (!model.tapNames.includes(a.tap)) { model.dispose(); throw new ConfigError(`--tap must be one of ${model.tapNames.join(', ')} for this backbone, got '${a.tap}'`); }
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


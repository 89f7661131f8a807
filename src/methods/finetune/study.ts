/**
 * @module The hyperparameter study as data: `adaptune hparams --collect` gathers finished grid cells and the
 * targets' domain similarities into a study file (JSON); `adaptune hparams --recommend --data TASK` computes a
 * target's similarity and reports the effective-learning-rate range the study found best for the study target
 * of the nearest similarity. Light at the top level (no libtorch); the runners import the heavy code lazily.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { makeDirs } from '../../train/rundir.js';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/errors.js';
import type { TaskName } from '../../data/tasks/spec.js';
import type { Gamma } from './similarity.js';
import type { SimilarityReport } from './run-similarity.js';

export const STUDY_FORMAT = 'adaptune-hparams-study/1';

/**
 * One finished fine-tuning cell; valAccuracy is absent in studies collected before grids held out a validation split,
 * strength (L2-SP alpha or L2 weight decay) in studies collected before grids swept it (the defaults, 0.01 and 1e-4).
 */
export interface StudyCell { elr: number; momentum: number; lr: number; regularizer: string; strength?: number; seed: number; testAccuracy: number; valAccuracy?: number | null }

/**
 * The regularizers' default coefficients: L2-SP alpha and plain L2 weight decay, those of defaultFinetuneConfig
 * (stated here so that this module stays free of libtorch; test/unit/cli-hparams-study checks that they agree).
 */
export const DEFAULT_STRENGTH: Readonly<Record<'l2-sp' | 'l2', number>> = { 'l2-sp': 0.01, l2: 1e-4 };
const defaultStrength = (reg: string): number => (reg === 'l2-sp' || reg === 'l2' ? DEFAULT_STRENGTH[reg] : NaN);
/** A cell's coefficient (the default where a study predates the sweep). */
export const strengthOf = (c: StudyCell): number => c.strength ?? defaultStrength(c.regularizer);
/** Whether a cell ran at its regularizer's default coefficient. */
export const atDefault = (c: StudyCell): boolean => strengthOf(c) === defaultStrength(c.regularizer);
/** One target of the study: its similarity to the source and its cells. */
export interface StudyTarget { target: TaskName; emd: number; similarity: number; cells: StudyCell[] }
/** The study file. */
export interface Study {
  format: typeof STUDY_FORMAT;
  labelsPerClass: number | 'all';
  epochs: number;
  backbone: { weights: string; sha256: string };
  similarity: { source: TaskName; tap: string; gamma: number; gammaRule: 'auto' | 'fixed'; sourceSpread: number; perClassMax: number | null };
  targets: StudyTarget[];
}

/** Options of runCollect (`adaptune hparams --collect`). */
export interface CollectArgs { mode: 'collect'; dirs: string[]; study: string; source: TaskName; tap: string; gamma: Gamma; perClassMax: number | null; weights: string | null; threads?: number; json?: boolean }
/** Options of runRecommend (`adaptune hparams --recommend`): the ELR recommendation for a target. */
export interface RecommendArgs { mode: 'recommend'; data: TaskName; study: string | null; weights: string | null; tolerance: number; threads?: number; json?: boolean }

/** Per effective learning rate: the best seed-mean test accuracy over the momenta, and that cell's spread. */
export interface ElrScore { elr: number; momentum: number; mean: number; spread: number; seeds: number }
/** What a study says about one target. */
export interface TargetAdvice {
  target: TaskName; similarity: number; emd: number; scores: ElrScore[]; bestElr: number;
  /** The split the scores come from: 'validation' when every cell has a validation accuracy, else 'test' (an old study; the advice is then biased and says so). */
  selectedOn: 'validation' | 'test';
  /** Smallest and largest tested elr whose score is within `tolerance` of the best. */
  elrRange: [number, number];
  /** Mean of L2-SP minus L2 accuracy (the scores' split) over the (elr, momentum, seed) cells run with both at the default coefficients; null when none. */
  l2spMinusL2: number | null; pairs: number;
}
/** The recommendation for a target. */
export interface Recommendation {
  data: TaskName; emd: number; similarity: number; gamma: number; tap: string; source: TaskName;
  nearest: TargetAdvice; distance: number; outside: boolean; backboneMatches: boolean; tolerance: number;
  study: string; epochs: number; labelsPerClass: number | 'all'; targets: TargetAdvice[];
}

/** The package's checked-in study (docs/results/hparams/study.json), found from dist/src/methods/finetune or src/methods/finetune. */
export function defaultStudyPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const at = (up: string): string => resolve(here, up, 'docs', 'results', 'hparams', 'study.json');
  return ['../../../..', '../../..'].map(at).find((f) => existsSync(f)) ?? at('../../../..');
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Reads and checks a study file; ConfigError naming the file and the field otherwise. */
export function readStudy(file: string): Study {
  let s: Study;
  try { s = JSON.parse(readFileSync(file, 'utf8')) as Study; } catch (e) { throw new ConfigError(`study file ${file}: ${(e as Error).message}`); }
  const bad = (field: string, want: string): never => { throw new ConfigError(`study file ${file}: field '${field}' must be ${want}`); };
  if (s?.format !== STUDY_FORMAT) bad('format', `'${STUDY_FORMAT}'`);
  if (!(s.similarity?.gamma > 0) || typeof s.similarity.tap !== 'string' || typeof s.similarity.source !== 'string') bad('similarity', 'an object with source, tap and gamma > 0');
  if (!Array.isArray(s.targets) || !s.targets.length) bad('targets', 'a non-empty list');
  s.targets.forEach((t, i) => {
    if (typeof t.target !== 'string' || !(t.similarity > 0 && t.similarity <= 1)) bad(`targets[${i}]`, 'an object with target and similarity in (0, 1]');
    if (!Array.isArray(t.cells) || !t.cells.some((c) => c.regularizer === 'l2')) bad(`targets[${i}].cells`, 'a list with at least one l2 cell');
    t.cells.forEach((c, j) => { if (!(c.elr > 0) || !(c.testAccuracy >= 0 && c.testAccuracy <= 1) || !Number.isInteger(c.seed)) bad(`targets[${i}].cells[${j}]`, 'a cell with elr > 0, testAccuracy in [0, 1] and an integer seed'); });
  });
  return s;
}

/**
 * The study's advice for one target: per-elr scores (plain L2 cells), the best elr, the range within `tolerance`
 * (a fraction, 0.01 = 1 point), and L2-SP - L2. Scores are validation accuracies when every cell has one (test
 * accuracies only for a study collected before validation splits; selectedOn says which).
 */
export function adviseTarget(t: StudyTarget, tolerance: number): TargetAdvice {
  const l2 = t.cells.filter((c) => c.regularizer === 'l2' && atDefault(c));
  const onVal = t.cells.every((c) => typeof c.valAccuracy === 'number');
  const score = (c: StudyCell): number => (onVal ? c.valAccuracy! : c.testAccuracy);
  const scores: ElrScore[] = [...new Set(l2.map((c) => c.elr))].sort((a, b) => a - b).map((elr) => {
    const per = [...new Set(l2.filter((c) => c.elr === elr).map((c) => c.momentum))].map((m) => {
      const acc = l2.filter((c) => c.elr === elr && c.momentum === m).map(score);
      return { elr, momentum: m, mean: mean(acc), spread: Math.max(...acc) - Math.min(...acc), seeds: acc.length };
    });
    return per.reduce((a, b) => (b.mean > a.mean ? b : a));
  });
  const best = scores.reduce((a, b) => (b.mean > a.mean ? b : a));
  const good = scores.filter((s) => s.mean >= best.mean - tolerance).map((s) => s.elr);
  const diffs = t.cells.filter((c) => c.regularizer === 'l2-sp' && atDefault(c)).flatMap((c) => {
    const twin = l2.find((x) => x.elr === c.elr && x.momentum === c.momentum && x.seed === c.seed);
    return twin ? [score(c) - score(twin)] : [];
  });
  return {
    target: t.target, similarity: t.similarity, emd: t.emd, scores, bestElr: best.elr, selectedOn: onVal ? 'validation' : 'test', elrRange: [Math.min(...good), Math.max(...good)],
    l2spMinusL2: diffs.length ? mean(diffs) : null, pairs: diffs.length,
  };
}

/** The recommendation for a target of the given similarity: the advice of the study target nearest in similarity. */
export function recommendFromStudy(study: Study, q: { data: TaskName; emd: number; similarity: number }, tolerance: number): Omit<Recommendation, 'backboneMatches' | 'study'> {
  const targets = study.targets.map((t) => adviseTarget(t, tolerance)).sort((a, b) => b.similarity - a.similarity);
  const nearest = targets.reduce((a, b) => (Math.abs(b.similarity - q.similarity) < Math.abs(a.similarity - q.similarity) ? b : a));
  const sims = targets.map((t) => t.similarity);
  return {
    ...q, gamma: study.similarity.gamma, tap: study.similarity.tap, source: study.similarity.source, nearest,
    distance: Math.abs(nearest.similarity - q.similarity), outside: q.similarity < Math.min(...sims) || q.similarity > Math.max(...sims),
    tolerance, epochs: study.epochs, labelsPerClass: study.labelsPerClass, targets,
  };
}

/** A number from a JSON file field, or NaN. */
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/** Finished cells under grid directories (each cell a subdirectory with summary.json and config.json), grouped by target. */
export function readCells(dirs: string[]): { byTarget: Map<TaskName, StudyCell[]>; epochs: number; labelsPerClass: number | 'all' } {
  const byTarget = new Map<TaskName, StudyCell[]>();
  const seen = { epochs: new Set<number>(), lpc: new Set<number | 'all'>() };
  for (const d of dirs) {
    if (!existsSync(d)) throw new ConfigError(`--collect: no such directory ${d}`);
    for (const e of readdirSync(d, { withFileTypes: true }).filter((x) => x.isDirectory())) {
      const f = join(d, e.name, 'summary.json');
      if (!existsSync(f)) continue;
      const s = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
      if (s['status'] !== 'completed' || typeof s['testAccuracy'] !== 'number' || typeof s['data'] !== 'string') continue;
      const cfg = JSON.parse(readFileSync(join(d, e.name, 'config.json'), 'utf8')) as { seed?: number; epochs?: number };
      seen.epochs.add(num(cfg.epochs));
      seen.lpc.add(s['labelsPerClass'] as number | 'all');
      const reg = String(s['regularizer']);
      const cell: StudyCell = { elr: num(s['elr']), momentum: num(s['momentum']), lr: num(s['lr']), regularizer: reg, strength: typeof s['strength'] === 'number' ? s['strength'] : defaultStrength(reg), seed: num(cfg.seed), testAccuracy: s['testAccuracy'], ...(typeof s['valAccuracy'] === 'number' ? { valAccuracy: s['valAccuracy'] } : {}) };
      const list = byTarget.get(s['data'] as TaskName) ?? [];
      if (!list.some((c) => c.elr === cell.elr && c.momentum === cell.momentum && c.regularizer === cell.regularizer && strengthOf(c) === cell.strength && c.seed === cell.seed)) list.push(cell);
      byTarget.set(s['data'] as TaskName, list);
    }
  }
  if (!byTarget.size) throw new ConfigError(`--collect: no completed cells under ${dirs.join(', ')}`);
  if (seen.epochs.size > 1 || seen.lpc.size > 1) throw new ConfigError(`--collect: the cells mix epochs (${[...seen.epochs].join(', ')}) or labels per class (${[...seen.lpc].join(', ')}); collect one protocol at a time`);
  for (const l of byTarget.values()) l.sort((a, b) => a.regularizer.localeCompare(b.regularizer) || strengthOf(a) - strengthOf(b) || a.elr - b.elr || a.momentum - b.momentum || a.seed - b.seed);
  return { byTarget, epochs: [...seen.epochs][0]!, labelsPerClass: [...seen.lpc][0]! };
}

/** The study from collected cells and the similarity report of their targets. */
export function buildStudy(cells: ReturnType<typeof readCells>, sim: SimilarityReport, sha256: string): Study {
  return {
    format: STUDY_FORMAT, labelsPerClass: cells.labelsPerClass, epochs: cells.epochs, backbone: { weights: basename(sim.weights), sha256 },
    similarity: { source: sim.source, tap: sim.tap, gamma: sim.gamma, gammaRule: sim.gammaRule, sourceSpread: sim.sourceSpread, perClassMax: sim.perClassMax },
    targets: sim.rows.map((r) => ({ target: r.target, emd: r.emd, similarity: r.similarity, cells: cells.byTarget.get(r.target)! })),
  };
}

/** Where --collect writes the study's figure: FILE with .svg for .json. */
export const studySvgPath = (file: string): string => `${file.replace(/\.json$/i, '')}.svg`;

/** Where --collect writes the study's tables: FILE with .md for .json. */
export const studyMdPath = (file: string): string => `${file.replace(/\.json$/i, '')}.md`;

/** sha256 of a file (hex). */
async function sha256(file: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

const toStderr = (s: string): void => { process.stderr.write(`${s}\n`); };

/** `--collect`: reads the cells, computes the targets' similarities, writes the study file. */
export async function runCollect(a: CollectArgs, log = toStderr): Promise<Study> {
  const cells = readCells(a.dirs.map((d) => resolve(d)));
  const { runSimilarity } = await import('./run-similarity.js');
  const sim = await runSimilarity({ source: a.source, targets: [...cells.byTarget.keys()], weights: a.weights, gamma: a.gamma, tap: a.tap, perClassMax: a.perClassMax, seed: 0, ...(a.threads ? { threads: a.threads } : {}) }, log);
  const study = buildStudy(cells, sim, await sha256(sim.weights));
  makeDirs(dirname(resolve(a.study)));
  writeFileSync(a.study, JSON.stringify(study, null, 1) + '\n');
  const { studySvg } = await import('./study-plot.js');
  writeFileSync(studySvgPath(a.study), studySvg(study));
  const { studyTables } = await import('./study-tables.js');
  writeFileSync(studyMdPath(a.study), studyTables(study));
  return study;
}

/** `--recommend`: the target's similarity (with the study's source, tap and gamma) and the study's advice. */
export async function runRecommend(a: RecommendArgs, log = toStderr): Promise<Recommendation> {
  const file = resolve(a.study ?? defaultStudyPath());
  if (!existsSync(file)) throw new ConfigError(`--study: no study file at ${file} (make one with adaptune hparams --collect)`);
  const study = readStudy(file);
  const { runSimilarity } = await import('./run-similarity.js');
  const s = study.similarity;
  const sim = await runSimilarity({ source: s.source, targets: [a.data], weights: a.weights, gamma: s.gamma, tap: s.tap, perClassMax: s.perClassMax, seed: 0, ...(a.threads ? { threads: a.threads } : {}) }, log);
  const row = sim.rows[0]!;
  const r = recommendFromStudy(study, { data: a.data, emd: row.emd, similarity: row.similarity }, a.tolerance);
  return { ...r, backboneMatches: (await sha256(sim.weights)) === study.backbone.sha256, study: file };
}

const pct = (x: number): string => (100 * x).toFixed(1);

/** The recommendation as text. */
export function formatRecommendation(r: Recommendation): string {
  const n = r.nearest;
  const reg = n.l2spMinusL2 === null ? 'no L2-SP cells in the study' : `${n.l2spMinusL2 > 0 ? 'L2-SP' : 'L2'} (L2-SP - L2 = ${n.l2spMinusL2 >= 0 ? '+' : ''}${pct(n.l2spMinusL2)} points over ${n.pairs} matched cell(s))`;
  return [
    `${r.data}: EMD ${r.emd.toFixed(4)}, similarity ${r.similarity.toFixed(4)} (gamma ${r.gamma.toPrecision(4)}, tap ${r.tap}, source ${r.source})`,
    ...(r.backboneMatches ? [] : ['note: these weights are not the study\'s backbone; its numbers may not transfer']),
    `nearest study target by similarity: ${n.target} (${n.similarity.toFixed(4)}, difference ${r.distance.toFixed(4)})${r.outside ? '; outside the study\'s similarity range: extrapolated' : ''}`,
    `effective learning rate: best ${n.bestElr}, range ${n.elrRange[0]} - ${n.elrRange[1]} (tested elrs within ${pct(r.tolerance)} points of the best on ${n.selectedOn === 'validation' ? 'validation' : 'TEST'} accuracy: ${n.scores.map((s) => `${s.elr}: ${pct(s.mean)}%`).join(', ')})`,
    ...(n.selectedOn === 'test' ? ['note: this study predates validation splits, so its ranking used test accuracy (biased); collect a new study from grids run with a validation split'] : []),
    `regularizer: ${reg}`,
    `study ${r.study}: ${r.epochs} epochs, ${r.labelsPerClass} labels/class; targets by similarity: ${r.targets.map((t) => `${t.target} ${t.similarity.toFixed(3)} -> elr ${t.elrRange[0]}-${t.elrRange[1]}`).join('; ')}`,
  ].join('\n');
}

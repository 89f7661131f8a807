/**
 * @module Seeded, reproducible splits over label arrays: class subsets with
 * relabelling, k-per-class label budgets (with the unlabelled remainder) and
 * stratified train/val splits. Randomness comes only from Rng.derive(seed,
 * <split kind>) (src/data/rng.ts), never from libtorch's generator. Each split
 * returns index lists (ascending) into the labels given, and describe() gives a
 * JSON record (kind, seed, parameters, sizes, per-class counts and an FNV-1a
 * fingerprint of each index list) for the run directory.
 */
import { ConfigError, DataError } from '../core/errors.js';
import { Rng } from './rng.js';
import type { Dataset } from './dataset.js';

/** A JSON record of a split. */
export interface SplitDescription {
  kind: string;
  seed: number | null;
  params: Record<string, unknown>;
  sizes: Record<string, number>;
  perClass: Record<string, number[]>;
  fingerprints: Record<string, string>;
}

/** FNV-1a (32-bit) of an index list, as 8 hex digits. */
export function fingerprint(indices: readonly number[]): string {
  let h = 0x811c9dc5;
  for (const v of indices) {
    for (let k = 0; k < 4; k++) { h ^= (v >>> (8 * k)) & 0xff; h = Math.imul(h, 0x01000193); }
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function countPerClass(labels: ArrayLike<number>, idx: readonly number[], numClasses: number): number[] {
  const c = new Array<number>(numClasses).fill(0);
  for (const i of idx) c[labels[i]!]!++;
  return c;
}

function numClassesOf(labels: ArrayLike<number>, given?: number): number {
  let m = -1;
  for (let i = 0; i < labels.length; i++) m = Math.max(m, labels[i]!);
  return given ?? m + 1;
}

function byClass(labels: ArrayLike<number>, numClasses: number): number[][] {
  const g: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) throw new DataError(`split: label at index ${i} is ${v}, outside [0, ${numClasses})`);
    g[v]!.push(i);
  }
  return g;
}

function checkSeed(seed: unknown, where: string): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new ConfigError(`${where}.seed must be a safe integer, got ${JSON.stringify(seed)}`);
  return seed;
}

function describeOf(kind: string, seed: number | null, params: Record<string, unknown>, labels: ArrayLike<number>, numClasses: number, parts: Record<string, number[]>): SplitDescription {
  const d: SplitDescription = { kind, seed, params, sizes: {}, perClass: {}, fingerprints: {} };
  for (const [k, idx] of Object.entries(parts)) {
    d.sizes[k] = idx.length;
    d.perClass[k] = countPerClass(labels, idx, numClasses);
    d.fingerprints[k] = fingerprint(idx);
  }
  return d;
}

/** The examples of some classes, relabelled to 0..K-1 in the order given (e.g. [5,6,7,8,9] -> 0..4). */
export interface ClassSubset { indices: number[]; labels: number[]; classes: number[]; describe(): SplitDescription }

/** Selects the examples whose label is in `classes` and relabels class classes[j] to j. */
export function classSubset(labels: ArrayLike<number>, classes: readonly number[], numClasses?: number): ClassSubset {
  const k = numClassesOf(labels, numClasses);
  if (!Array.isArray(classes) || classes.length === 0) throw new ConfigError('classSubset.classes must be a non-empty array of class indices');
  const map = new Map<number, number>();
  classes.forEach((c, j) => {
    if (!Number.isInteger(c) || c < 0 || c >= k) throw new ConfigError(`classSubset.classes[${j}] must be an integer in [0, ${k}), got ${c}`);
    if (map.has(c)) throw new ConfigError(`classSubset.classes[${j}]: class ${c} listed twice`);
    map.set(c, j);
  });
  const indices: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const j = map.get(labels[i]!);
    if (j !== undefined) { indices.push(i); out.push(j); }
  }
  const cls = [...classes];
  return {
    indices, labels: out, classes: cls,
    describe: () => ({ ...describeOf('classSubset', null, { classes: cls, mapping: Object.fromEntries(cls.map((c, j) => [c, j])) }, labels, k, { selected: indices }) }),
  };
}

/** A dataset restricted to some classes, relabelled 0..K-1 (class names carried over). */
export function subsetClasses(ds: Dataset, classes: readonly number[]): Dataset {
  const s = classSubset(ds.labelArray(), classes, ds.numClasses);
  return ds.subset(s.indices, { labels: s.labels, classes: s.classes.map((c) => ds.classes[c]!) });
}

/** k labelled examples per class and the unlabelled remainder. */
export interface LabelBudget { labelled: number[]; unlabelled: number[]; describe(): SplitDescription }

/** Picks k examples of every class (seeded, class-balanced); DataError if a class has fewer than k. */
export function labelBudget(labels: ArrayLike<number>, o: { perClass: number; seed: number; numClasses?: number }): LabelBudget {
  const seed = checkSeed(o.seed, 'labelBudget');
  if (!Number.isInteger(o.perClass) || o.perClass < 1) throw new ConfigError(`labelBudget.perClass must be an integer >= 1, got ${o.perClass}`);
  const k = numClassesOf(labels, o.numClasses);
  const groups = byClass(labels, k);
  const rng = Rng.derive(seed, 'labelBudget');
  const labelled: number[] = [];
  groups.forEach((g, c) => {
    if (g.length < o.perClass) throw new DataError(`labelBudget: class ${c} has ${g.length} examples, fewer than perClass=${o.perClass}`);
    labelled.push(...rng.shuffle([...g]).slice(0, o.perClass));
  });
  labelled.sort((a, b) => a - b);
  const taken = new Set(labelled);
  const unlabelled: number[] = [];
  for (let i = 0; i < labels.length; i++) if (!taken.has(i)) unlabelled.push(i);
  return {
    labelled, unlabelled,
    describe: () => describeOf('labelBudget', seed, { perClass: o.perClass }, labels, k, { labelled, unlabelled }),
  };
}

/** A stratified train/val split. */
export interface TrainValSplit { train: number[]; val: number[]; describe(): SplitDescription }

/** Splits each class with round(valFraction * n_c) examples to val (seeded); valFraction in (0, 1). */
export function stratifiedSplit(labels: ArrayLike<number>, o: { valFraction: number; seed: number; numClasses?: number }): TrainValSplit {
  const seed = checkSeed(o.seed, 'stratifiedSplit');
  if (typeof o.valFraction !== 'number' || !(o.valFraction > 0 && o.valFraction < 1)) {
    throw new ConfigError(`stratifiedSplit.valFraction must be a number in (0, 1), got ${o.valFraction}`);
  }
  const k = numClassesOf(labels, o.numClasses);
  const rng = Rng.derive(seed, 'stratifiedSplit');
  const train: number[] = [];
  const val: number[] = [];
  for (const g of byClass(labels, k)) {
    const s = rng.shuffle([...g]);
    const nv = Math.round(o.valFraction * s.length);
    val.push(...s.slice(0, nv));
    train.push(...s.slice(nv));
  }
  train.sort((a, b) => a - b);
  val.sort((a, b) => a - b);
  return { train, val, describe: () => describeOf('stratifiedSplit', seed, { valFraction: o.valFraction }, labels, k, { train, val }) };
}

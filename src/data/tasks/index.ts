/**
 * @module The transfer benchmark: a source task and three targets of
 * decreasing similarity to it (the project's small-scale stand-in for
 * "ImageNet model -> target dataset"); see src/data/tasks/README.md.
 *
 * - `fmnist:source` (S): Fashion-MNIST classes 0-4, 30,000 train / 5,000 test.
 * - `fmnist:target-mid` (T_mid): classes 5-9 relabelled 0-4 (same sensor, same
 *   statistics, unseen object categories).
 * - `fmnist:target-shift` (T_shift): the T_mid images rotated 90 degrees
 *   counter-clockwise (torch.rot90, k=1, dims [H, W]) and inverted (255 - x):
 *   same objects, shifted low-level statistics (dark objects on light ground).
 * - `textures:target-far` (T_far): procedural textures (textures.ts), no objects.
 * - `shapes:target-far` (T_shapes): procedural black silhouettes on white (shapes.ts), a second generator.
 * - `fmnist:target-near` (T_near), `fmnist:target-noisy` (T_noisy), `fmnist:target-source-shift` (T_sshift):
 *   the source's own classes and images, dimmed to 70 %, with fixed Gaussian pixel noise (std 32), or rotated
 *   and inverted as T_shift; they widen the range of domain similarity for the hyperparameter study.
 *
 * Design intent (to be measured by a later issue): similarity to S decreases
 * mid > shift > far. Each task has a seeded class-balanced label budget of
 * 10, 50, 100 per class or 'all' (labelBudget), the unlabelled remainder of the
 * training split (labels kept for analysis only; semi-supervised methods must
 * not read them), the full test split and an optional stratified val split of
 * the labelled set. The full datasets are cached per process (clearTaskCache());
 * each loadTask returns copies owned by the caller (task.dispose()).
 */
import { createHash } from 'node:crypto';
import * as torch from '../../core/torch.js';
import { Dataset } from '../dataset.js';
import { loadFashionMnist, FASHION_MNIST_ROOT } from '../idx.js';
import { labelBudget, stratifiedSplit, subsetClasses, fingerprint, type SplitDescription } from '../splits.js';
import { generateTextures, TEXTURES_VERSION } from './textures.js';
import { generateShapes, SHAPES_VERSION } from './shapes.js';
import { parseTaskSpec, checkTaskOptions, TASK_DESCRIPTIONS, type TaskSpec, type TaskOptions, type TaskName, type LabelsPerClass } from './spec.js';

export { parseTaskSpec, parseLabelsPerClass, checkTaskOptions, listTasks, TASK_NAMES, TASK_DESCRIPTIONS, LABEL_BUDGETS, type TaskSpec, type TaskOptions, type TaskName, type LabelsPerClass } from './spec.js';
export { generateTextures, TEXTURE_CLASSES, TEXTURES_VERSION, type TextureOptions } from './textures.js';
export { generateShapes, SHAPE_CLASSES, SHAPES_VERSION, type ShapeOptions } from './shapes.js';

/** Seed of the texture images themselves (fixed, like Fashion-MNIST's pixels; options.seed only picks the splits). */
export const TEXTURES_DATA_SEED = 1;
/** Texture images per class in the train and test splits (sized like the Fashion-MNIST tasks). */
export const TEXTURES_PER_CLASS = { train: 6000, test: 1000 } as const;
/** Seed and images per class of the shape set (fixed pixels, as the textures'). */
export const SHAPES_DATA_SEED = 1;
export const SHAPES_PER_CLASS = TEXTURES_PER_CLASS;

/** The procedural families: generator, version, data seed and images per class. */
const PROCEDURAL = {
  textures: { generate: generateTextures, version: TEXTURES_VERSION, dataSeed: TEXTURES_DATA_SEED, perClass: TEXTURES_PER_CLASS },
  shapes: { generate: generateShapes, version: SHAPES_VERSION, dataSeed: SHAPES_DATA_SEED, perClass: SHAPES_PER_CLASS },
} as const;

/** A JSON record of a loaded task, for the run directory. */
export interface TaskDescription {
  name: TaskName;
  description: string;
  seed: number;
  labelsPerClass: LabelsPerClass;
  valFraction: number | null;
  classes: string[];
  /** Where the pixels come from (files or generator parameters). */
  data: Record<string, unknown>;
  sizes: { train: number; unlabelled: number; val: number; test: number };
  perClass: { train: number[]; unlabelled: number[]; val: number[]; test: number[] };
  /** The seeded splits (index fingerprints into the task's full training split). */
  splits: { budget: SplitDescription; val: SplitDescription | null };
  /** SHA-256 (first 16 hex digits) of each part's labels and image bytes. */
  fingerprints: { train: string; unlabelled: string; val: string | null; test: string };
}

/** A loaded benchmark task: datasets owned by the caller (dispose()). */
export interface BenchmarkTask {
  name: TaskName;
  spec: TaskSpec;
  options: TaskOptions;
  /** Labelled training examples (labelsPerClass per class, less val if valFraction). */
  train: Dataset;
  /** The rest of the training split; its labels are for analysis only. */
  unlabelled: Dataset;
  /** The full test split. */
  test: Dataset;
  /** Held-out labelled examples, when options.valFraction is set. */
  val?: Dataset;
  classes: string[];
  numClasses: number;
  /** A JSON record: seed, sizes, per-class counts, split and content fingerprints. */
  describe(): TaskDescription;
  /** Frees the task's datasets (not the process cache). */
  dispose(): void;
}

interface Pool { train: Dataset; test: Dataset; data: Record<string, unknown> }

const fmnistCache = new Map<string, { train: Dataset; test: Dataset }>();
const poolCache = new Map<string, Pool>();

/** Full Fashion-MNIST (train and test) for a root, loaded once per process. */
function fashion(root: string): { train: Dataset; test: Dataset } {
  let f = fmnistCache.get(root);
  if (!f) {
    const train = loadFashionMnist({ split: 'train', root });
    try { f = { train, test: loadFashionMnist({ split: 'test', root }) }; } catch (e) { train.dispose(); throw e; }
    fmnistCache.set(root, f);
  }
  return f;
}

/** rot90 (counter-clockwise in the H-W plane) and inversion of a uint8 dataset, labels and classes kept. */
function shifted(ds: Dataset): Dataset {
  return torch.tidy(() => new Dataset({
    images: ds.images.rot90(1, [2, 3]).bitwiseNot().contiguous(), labels: ds.labels.clone(), classes: ds.classes,
    source: `rot90+invert(${ds.source})`,
  }));
}

/** Std of T_noisy's pixel noise (of 255) and the seeds of its fixed noise per split (the pixels are fixed, as Fashion-MNIST's). */
export const NOISY_STD = 32;
const NOISY_SEEDS = { train: 1, test: 2 } as const;
/** T_near's brightness factor. */
export const NEAR_DIM = 0.7;

/** round(NEAR_DIM * x): the source's images, dimmed. */
function dimmed(ds: Dataset): Dataset {
  return torch.tidy(() => new Dataset({ images: ds.images.to('float32').mul(NEAR_DIM).round().to('uint8'), labels: ds.labels.clone(), classes: ds.classes, source: `dim${NEAR_DIM}(${ds.source})` }));
}

/** clamp(x + NOISY_STD * N(0, 1), 0, 255), rounded; the noise from a torch.Generator of a fixed seed. */
function noisy(ds: Dataset, seed: number): Dataset {
  return torch.tidy(() => {
    const noise = torch.randn(ds.images.shape, { generator: new torch.Generator(seed) }).mul(NOISY_STD);
    return new Dataset({ images: ds.images.to('float32').add(noise).clamp(0, 255).round().to('uint8'), labels: ds.labels.clone(), classes: ds.classes, source: `noise${NOISY_STD}(seed ${seed}, ${ds.source})` });
  });
}

/** The pixel transform of each Fashion-MNIST role (none for source and target-mid). */
const FMNIST_TRANSFORMS: Record<string, { text: string; apply: (ds: Dataset, split: 'train' | 'test') => Dataset }> = {
  'target-shift': { text: 'rot90(k=1, dims=[H,W]) then 255-x', apply: (ds) => shifted(ds) },
  'target-source-shift': { text: 'rot90(k=1, dims=[H,W]) then 255-x', apply: (ds) => shifted(ds) },
  'target-near': { text: `round(${NEAR_DIM} * x)`, apply: (ds) => dimmed(ds) },
  'target-noisy': { text: `clamp(x + ${NOISY_STD} * N(0, 1), 0, 255), generator seeds train ${NOISY_SEEDS.train} / test ${NOISY_SEEDS.test}`, apply: (ds, split) => noisy(ds, NOISY_SEEDS[split]) },
};

/** The full train/test datasets of a task, built once per process. */
function pool(spec: TaskSpec, root: string): Pool {
  const gen = spec.family === 'fmnist' ? null : PROCEDURAL[spec.family];
  const key = gen ? `${spec.name}|v${gen.version}|${gen.dataSeed}` : `${spec.name}|${root}`;
  let p = poolCache.get(key);
  if (p) return p;
  if (gen) {
    const data = { generator: spec.family, version: gen.version, dataSeed: gen.dataSeed, perClass: gen.perClass };
    const train = gen.generate({ perClass: gen.perClass.train, seed: gen.dataSeed, split: 'train' });
    try { p = { train, test: gen.generate({ perClass: gen.perClass.test, seed: gen.dataSeed, split: 'test' }), data }; } catch (e) { train.dispose(); throw e; }
  } else {
    const f = fashion(root);
    const classes = spec.role === 'target-mid' || spec.role === 'target-shift' ? [5, 6, 7, 8, 9] : [0, 1, 2, 3, 4];
    const tf = FMNIST_TRANSFORMS[spec.role];
    const data = { dataset: 'fashion-mnist', root, originalClasses: classes, transform: tf?.text ?? 'none' };
    const [train, test] = [subsetClasses(f.train, classes), subsetClasses(f.test, classes)];
    p = tf ? { train: tf.apply(train, 'train'), test: tf.apply(test, 'test'), data } : { train, test, data };
    if (tf) { train.dispose(); test.dispose(); }
  }
  poolCache.set(key, p);
  return p;
}

/** Frees the per-process cache of full datasets (Fashion-MNIST and task pools); tasks already loaded stay valid. */
export function clearTaskCache(): void {
  for (const p of poolCache.values()) { p.train.dispose(); p.test.dispose(); }
  for (const f of fmnistCache.values()) { f.train.dispose(); f.test.dispose(); }
  poolCache.clear();
  fmnistCache.clear();
}

/** SHA-256 (16 hex digits) of a dataset's labels and image bytes. */
function contentHash(ds: Dataset): string {
  const h = createHash('sha256');
  h.update(ds.labels.bytes());
  h.update(ds.images.bytes());
  return h.digest('hex').slice(0, 16);
}

/** Loads a task (spec string or parsed spec) with a seeded label budget; see the module header. */
export function loadTask(spec: string | TaskSpec, options: TaskOptions): BenchmarkTask {
  const s = typeof spec === 'string' ? parseTaskSpec(spec) : parseTaskSpec(spec?.name);
  const o = checkTaskOptions(options);
  const p = pool(s, o.root ?? FASHION_MNIST_ROOT);
  const labels = p.train.labelArray();
  const k = p.train.numClasses;
  const budget = o.labelsPerClass === 'all'
    ? (() => { const all = Array.from(labels, (_, i) => i); return { labelled: all, unlabelled: [] as number[], describe: () => allDescription(o.seed, labels, k, all) }; })()
    : labelBudget(labels, { perClass: o.labelsPerClass, seed: o.seed, numClasses: k });
  let trainIdx = budget.labelled;
  let valIdx: number[] | null = null;
  let valSplit: SplitDescription | null = null;
  if (o.valFraction !== undefined) {
    const sub = Int32Array.from(budget.labelled, (i) => labels[i]!);
    const sp = stratifiedSplit(sub, { valFraction: o.valFraction, seed: o.seed, numClasses: k });
    trainIdx = sp.train.map((j) => budget.labelled[j]!);
    valIdx = sp.val.map((j) => budget.labelled[j]!);
    valSplit = sp.describe();
  }
  const parts: Dataset[] = [];
  const own = (d: Dataset): Dataset => { parts.push(d); return d; };
  try {
    const train = own(p.train.subset(trainIdx));
    const unlabelled = own(p.train.subset(budget.unlabelled));
    const test = own(p.test.subset(Array.from(p.test.labelArray(), (_, i) => i)));
    const val = valIdx ? own(p.train.subset(valIdx)) : undefined;
    let fp: TaskDescription['fingerprints'] | null = null;
    const task: BenchmarkTask = {
      name: s.name, spec: s, options: o, train, unlabelled, test, classes: [...p.train.classes], numClasses: k,
      describe: () => {
        fp ??= { train: contentHash(train), unlabelled: contentHash(unlabelled), val: val ? contentHash(val) : null, test: contentHash(test) };
        return {
          name: s.name, description: TASK_DESCRIPTIONS[s.name], seed: o.seed, labelsPerClass: o.labelsPerClass, valFraction: o.valFraction ?? null,
          classes: [...p.train.classes], data: p.data,
          sizes: { train: train.length, unlabelled: unlabelled.length, val: val?.length ?? 0, test: test.length },
          perClass: { train: train.classCounts(), unlabelled: unlabelled.classCounts(), val: val?.classCounts() ?? new Array<number>(k).fill(0), test: test.classCounts() },
          splits: { budget: budget.describe(), val: valSplit }, fingerprints: fp,
        };
      },
      dispose: () => { for (const d of parts) d.dispose(); },
    };
    if (val) task.val = val;
    return task;
  } catch (e) {
    for (const d of parts) d.dispose();
    throw e;
  }
}

/** The split record of labelsPerClass 'all' (every training example labelled). */
function allDescription(seed: number, labels: Int32Array, k: number, all: number[]): SplitDescription {
  const counts = new Array<number>(k).fill(0);
  for (const v of labels) counts[v]!++;
  return { kind: 'labelBudget', seed, params: { perClass: 'all' }, sizes: { labelled: labels.length, unlabelled: 0 }, perClass: { labelled: counts, unlabelled: new Array<number>(k).fill(0) }, fingerprints: { labelled: fingerprint(all), unlabelled: fingerprint([]) } };
}

/**
 * @module data.open(spec, options): one string for every kind of data.
 *  - a built-in task (`fmnist:source`, `fmnist:target-mid`, `fmnist:target-shift`, `textures:target-far`, ...; TASK_NAMES):
 *    delegated to loadTask (same images, label budget and seeded val split);
 *  - `imagefolder:DIR`: DIR/train/<class>/ (optional DIR/val/, DIR/test/ and DIR/unlabeled/, images without
 *    labels, which join the images beyond the label budget in `unlabelled` under the one class 'unlabeled'), or DIR/<class>/ only
 *    (then a seeded class-stratified test split of testFraction); `csv:FILE`: `path,label[,split]` rows, paths
 *    relative to the CSV (without a split column, as a class-folder-only layout);
 *  - `mvtec:DIR`: an MVTec-AD category folder (train/good, test/<defect>, ground_truth/<defect>): train = normal
 *    images, test = good (0) / anomalous (1) with masks, val = valFraction of the normal training images;
 *  - `anomaly:DIR`: plain folders, no masks: DIR/normal/ and DIR/anomalous/ (test = a seeded testFraction of the
 *    normal images + every anomalous one), or DIR/train/ (normal) with DIR/test/good/ and DIR/test/<other>/
 *    (anomalous); val = valFraction of the normal training images; classes good (0), anomalous (1).
 * Labelled data: labelsPerClass per class (seeded; the rest is `unlabelled`), then the validation split: the
 * folder's val/ or a seeded class-stratified valFraction of the labelled images, at least one per class.
 * Before any pixel is decoded every file's header is read (sharp), so an unreadable file, an empty class folder or
 * a class too small for the splits is a DataError naming it; then the images are decoded in memory, or, when a
 * split's pixels exceed maxInMemoryBytes (default 1 GiB), kept as a FileImageSet for StreamingLoader (stream.ts)
 * after a verify pass that decodes every file once.
 */
import { basename, dirname, join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import { ConfigError, DataError } from '../core/errors.js';
import { Dataset, checkPolicy, type CorruptPolicy, type SkippedFile } from './dataset.js';
import { loadMvtec } from './folders.js';
import { stratifiedSplit } from './splits.js';
import { loadTask, TASK_NAMES, type BenchmarkTask } from './tasks/index.js';
import { TASK_FAMILIES } from './tasks/spec.js';
import { describePreprocessing, type Preprocessing, type PreprocessingOptions } from './preprocess.js';
import { FileImageSet } from './stream.js';
import { budget, classFolders, csvList, holdOut, imagesUnder, isDir, pick, scanImages, type ImageScan, type LabelledFiles } from './open-files.js';

/** A split: in memory, or streamed from files. */
export type ImageSet = Dataset | FileImageSet;

/** Options of open(). */
export interface OpenOptions {
  seed: number;
  /** Labelled images per class of the training data (default 'all'); the rest are `unlabelled`. */
  labelsPerClass?: number | 'all';
  /** Fraction of the labelled images held out for validation when the data has no val split (default 0.1; 0: none). */
  valFraction?: number;
  /** Fraction held out for testing when the data has no test split (default 0.2). */
  testFraction?: number;
  /** Geometry, channels, normalisation and augmentation (preprocess.ts); built-in tasks keep 28x28. */
  preprocessing?: PreprocessingOptions;
  onCorrupt?: CorruptPolicy;
  /** Files decoded at once (default 8). */
  concurrency?: number;
  /** Largest uint8 pixel size of one split held in memory (default 1 GiB); larger splits are streamed. */
  maxInMemoryBytes?: number;
  /** Fashion-MNIST folder for the built-in tasks. */
  root?: string;
}

/** What open() returns; the caller owns the datasets (dispose()). */
export interface OpenedData {
  spec: string;
  kind: 'task' | 'imagefolder' | 'csv' | 'mvtec' | 'anomaly';
  classes: string[];
  numClasses: number;
  train: ImageSet;
  val: ImageSet | null;
  test: ImageSet;
  unlabelled: ImageSet | null;
  preprocessing: Preprocessing;
  /** The header scan of image files (null for built-in tasks). */
  scan: ImageScan | null;
  /** The underlying task for built-in specs. */
  task: BenchmarkTask | null;
  describe(): Record<string, unknown>;
  dispose(): void;
}

/** The spec kinds and their syntax, for help texts. */
export const DATA_SPEC_HELP = [...TASK_NAMES, 'imagefolder:DIR', 'csv:FILE', 'mvtec:DIR', 'anomaly:DIR'];

function checkOptions(o: OpenOptions): Required<Omit<OpenOptions, 'preprocessing' | 'root'>> & Pick<OpenOptions, 'preprocessing' | 'root'> {
  const bad = (f: string, allowed: string, v: unknown): never => { throw new ConfigError(`data.open options.${f} must be ${allowed}, got ${JSON.stringify(v)}`); };
  if (!o || typeof o !== 'object') bad('', 'an object { seed, ... }', o);
  if (!Number.isSafeInteger(o.seed)) bad('seed', 'a safe integer', o.seed);
  const lpc = o.labelsPerClass ?? 'all';
  if (lpc !== 'all' && !(Number.isInteger(lpc) && (lpc as number) >= 1)) bad('labelsPerClass', "an integer >= 1 or 'all'", lpc);
  const vf = o.valFraction ?? 0.1;
  if (typeof vf !== 'number' || !(vf >= 0 && vf < 1)) bad('valFraction', 'a number in [0, 1)', vf);
  const tf = o.testFraction ?? 0.2;
  if (typeof tf !== 'number' || !(tf > 0 && tf < 1)) bad('testFraction', 'a number in (0, 1)', tf);
  const conc = o.concurrency ?? 8;
  if (!Number.isInteger(conc) || conc < 1 || conc > 64) bad('concurrency', 'an integer in [1, 64]', conc);
  const mem = o.maxInMemoryBytes ?? 2 ** 30;
  if (!(Number.isFinite(mem) && mem >= 0)) bad('maxInMemoryBytes', 'a number >= 0', mem);
  return { seed: o.seed, labelsPerClass: lpc, valFraction: vf, testFraction: tf, onCorrupt: checkPolicy(o.onCorrupt ?? 'fail', 'data.open options'), concurrency: conc, maxInMemoryBytes: mem, preprocessing: o.preprocessing, root: o.root };
}

function opened(spec: string, kind: OpenedData['kind'], parts: { train: ImageSet; val: ImageSet | null; test: ImageSet; unlabelled: ImageSet | null }, classes: string[], p: Preprocessing, scan: ImageScan | null, task: BenchmarkTask | null, extra: Record<string, unknown>): OpenedData {
  const d = (s: ImageSet | null): unknown => s?.describe() ?? null;
  return {
    spec, kind, classes, numClasses: classes.length, ...parts, preprocessing: p, scan, task,
    describe: () => ({ spec, kind, classes, preprocessing: p, scan, ...extra, train: d(parts.train), val: d(parts.val), test: d(parts.test), unlabelled: d(parts.unlabelled), task: task?.describe() ?? null }),
    dispose: () => { if (task) task.dispose(); else for (const s of [parts.train, parts.val, parts.test, parts.unlabelled]) s?.dispose(); },
  };
}

/** Opens a built-in task through loadTask; channels: 3 replicates the gray images. */
function openTask(spec: string, o: ReturnType<typeof checkOptions>): OpenedData {
  const task = loadTask(spec, { labelsPerClass: o.labelsPerClass, seed: o.seed, ...(o.root ? { root: o.root } : {}), ...(o.valFraction > 0 ? { valFraction: o.valFraction } : {}) });
  const p = describePreprocessing({ imageSize: 28, resizeTo: 28, channels: 1, augment: 'crop+flip', cropPadding: 2, ...o.preprocessing, ...(o.preprocessing?.channels === 3 ? { channelAdapt: 'gray-to-rgb' } : {}) });
  if (p.imageSize[0] !== 28 || p.imageSize[1] !== 28 || p.resizeTo !== 28) { task.dispose(); throw new ConfigError(`data.open: the built-in task ${spec} is 28x28; preprocessing.imageSize/resizeTo must be 28`); }
  if (p.channels === 3) {
    const rgb = (d: Dataset): Dataset => torch.tidy(() => new Dataset({ images: d.images.expand([d.length, 3, 28, 28]).contiguous(), labels: d.labels.clone(), classes: d.classes, source: `${d.source} (gray replicated to RGB)` }));
    const parts = { train: rgb(task.train), val: task.val ? rgb(task.val) : null, test: rgb(task.test), unlabelled: rgb(task.unlabelled) };
    const out = opened(spec, 'task', parts, task.classes, p, null, task, {});
    const dispose = out.dispose;
    return { ...out, dispose: () => { dispose(); for (const s of Object.values(parts)) s?.dispose(); } };
  }
  return opened(spec, 'task', { train: task.train, val: task.val ?? null, test: task.test, unlabelled: task.unlabelled }, task.classes, p, null, task, {});
}

/** Decodes a split in memory, or (over maxInMemoryBytes) verifies it and keeps it on disk; files that do not decode are listed under 'skip'. */
async function materialise(f: LabelledFiles, classes: string[], source: string, p: Preprocessing, o: ReturnType<typeof checkOptions>, skipped: SkippedFile[]): Promise<ImageSet> {
  const set = new FileImageSet({ ...f, classes, source, resizeTo: p.resizeTo, channels: p.channels, concurrency: o.concurrency });
  const r = set.pixelBytes <= o.maxInMemoryBytes ? await set.toDataset(o.onCorrupt) : await set.verify(o.onCorrupt);
  skipped.push(...r.skipped);
  return 'dataset' in r ? r.dataset : r.set;
}

/** Splits class-labelled files into train / val / test / unlabelled (see the module doc) and decodes them. */
async function openFiles(spec: string, kind: 'imagefolder' | 'csv' | 'anomaly', where: string, classes: string[], sets: { train: LabelledFiles; val: LabelledFiles | null; test: LabelledFiles | null; unlabelled: LabelledFiles | null }, o: ReturnType<typeof checkOptions>, trainClasses = classes): Promise<OpenedData> {
  // headers first: unreadable files are named ('fail') or dropped and listed ('skip') before any split is drawn
  const listed = [sets.train, sets.val, sets.test, sets.unlabelled].flatMap((s) => s?.files ?? []);
  const scan = await scanImages(listed, o.onCorrupt, o.concurrency);
  const okSet = new Set(listed.filter((_, i) => scan.ok[i]));
  const keep = (s: LabelledFiles): LabelledFiles => pick(s, s.files.flatMap((f, i) => (okSet.has(f) ? [i] : [])));
  sets = { train: keep(sets.train), val: sets.val && keep(sets.val), test: sets.test && keep(sets.test), unlabelled: sets.unlabelled && keep(sets.unlabelled) };
  trainClasses.forEach((c, k) => { if (!sets.train.labels.includes(k)) throw new DataError(`${where}: class '${c}' has no readable training image (${scan.skipped.length} file(s) skipped)`); });
  let { train: pool, test } = sets;
  const record: Record<string, unknown> = { testFrom: test ? 'folder' : `held out (${o.testFraction})`, valFrom: sets.val ? 'folder' : o.valFraction > 0 ? `held out (${o.valFraction})` : 'none' };
  if (!test) { const h = holdOut(pool.labels, trainClasses, o.testFraction, o.seed, 'test', where); test = pick(pool, h.held); pool = pick(pool, h.keep); }
  const b = budget(pool.labels, trainClasses, o.labelsPerClass, o.seed, where);
  let train = pick(pool, b.labelled);
  const unl = pick(pool, b.unlabelled);
  let val = sets.val;
  if (!val && o.valFraction > 0) { const h = holdOut(train.labels, trainClasses, o.valFraction, o.seed, 'val', where); val = pick(train, h.held); train = pick(train, h.keep); }
  // an unlabeled/ folder has no labels: the pool (folder + images beyond the budget) gets the one class 'unlabeled'
  const unlabelled = sets.unlabelled ? { files: [...unl.files, ...sets.unlabelled.files], labels: [...unl.files, ...sets.unlabelled.files].map(() => 0) } : unl;
  const channelAdapt = o.preprocessing?.channelAdapt ?? ((o.preprocessing?.channels ?? 3) === 3 ? (scan.gray === 0 ? 'none' : scan.color === 0 ? 'gray-to-rgb' : 'mixed') : (scan.color === 0 ? 'none' : scan.gray === 0 ? 'rgb-to-luminance' : 'mixed'));
  const p = describePreprocessing({ ...o.preprocessing, channelAdapt });
  const made: ImageSet[] = [];
  try {
    const m = async (s: LabelledFiles | null, name: string, cls = classes): Promise<ImageSet | null> => {
      if (!s || s.files.length === 0) return null;
      const r = await materialise(s, cls, `${where} (${name})`, p, o, scan.skipped);
      made.push(r);
      return r;
    };
    const parts = { train: (await m(train, 'train'))!, val: await m(val, 'val'), test: (await m(test, 'test'))!, unlabelled: await m(unlabelled, 'unlabelled', sets.unlabelled ? ['unlabeled'] : classes) };
    return opened(spec, kind, parts, classes, p, scan, null, record);
  } catch (e) {
    for (const s of made) s.dispose();
    throw e;
  }
}

async function openImageFolder(spec: string, dir: string, o: ReturnType<typeof checkOptions>): Promise<OpenedData> {
  const root = resolve(dir);
  if (!isDir(root)) throw new DataError(`${root}: ImageFolder root does not exist`);
  if (!isDir(join(root, 'train'))) {
    const { classes, files } = classFolders(root);
    return openFiles(spec, 'imagefolder', root, classes, { train: files, val: null, test: null, unlabelled: null }, o);
  }
  const { classes, files: train } = classFolders(join(root, 'train'));
  const sub = (n: string): LabelledFiles | null => (isDir(join(root, n)) ? classFolders(join(root, n), classes).files : null);
  const unl = ['unlabeled', 'unlabelled'].map((n) => join(root, n)).find(isDir);
  const unlabelled = unl ? { files: imagesUnder(unl), labels: [] as number[] } : null;
  if (unlabelled) unlabelled.labels = unlabelled.files.map(() => 0);
  return openFiles(spec, 'imagefolder', root, classes, { train, val: sub('val'), test: sub('test'), unlabelled }, o);
}

async function openCsv(spec: string, file: string, o: ReturnType<typeof checkOptions>): Promise<OpenedData> {
  const { classes, rows } = csvList(file);
  const of = (split: string | null): LabelledFiles => { const r = rows.filter((x) => x.split === split || (split === 'train' && x.split === null)); return { files: r.map((x) => x.file), labels: r.map((x) => classes.indexOf(x.label)) }; };
  const has = (s: string): boolean => rows.some((r) => r.split === s);
  return openFiles(spec, 'csv', resolve(file), classes, { train: of('train'), val: has('val') ? of('val') : null, test: has('test') ? of('test') : null, unlabelled: null }, o);
}

async function openMvtec(spec: string, dir: string, o: ReturnType<typeof checkOptions>): Promise<OpenedData> {
  const root = resolve(dir);
  // masks must stay aligned with the images: no crop (resizeTo = imageSize unless given); MVTec images are square
  const size = describePreprocessing({ channels: 3, ...o.preprocessing }).imageSize;
  const p = describePreprocessing({ channels: 3, resizeTo: Math.max(...size), ...o.preprocessing });
  const base = { root: dirname(root), category: basename(root), size: [p.resizeTo, p.resizeTo] as [number, number], channels: p.channels, onCorrupt: o.onCorrupt, concurrency: o.concurrency };
  const train = await loadMvtec({ ...base, split: 'train' });
  let test: Awaited<ReturnType<typeof loadMvtec>> | null = null;
  try {
    test = await loadMvtec({ ...base, split: 'test' });
    let trainSet = train.dataset;
    let val: Dataset | null = null;
    if (o.valFraction > 0) {
      const s = stratifiedSplit(trainSet.labelArray(), { valFraction: o.valFraction, seed: o.seed, numClasses: 1 });
      if (s.val.length === 0 || s.train.length === 0) throw new DataError(`${root}/train/good: ${trainSet.length} normal image(s) cannot give a validation split of ${o.valFraction}`);
      val = trainSet.subset(s.val);
      trainSet = trainSet.subset(s.train);
      train.dataset.dispose();
    }
    return opened(spec, 'mvtec', { train: trainSet, val, test: test.dataset, unlabelled: null }, ['good', 'anomalous'], p, null, null, { defects: test.defects });
  } catch (e) {
    train.dataset.dispose();
    test?.dataset.dispose();
    throw e;
  }
}

/** anomaly:DIR (see the module doc): normal images only in train/val, good (0) and anomalous (1) in test. */
async function openAnomaly(spec: string, dir: string, o: ReturnType<typeof checkOptions>): Promise<OpenedData> {
  const root = resolve(dir);
  const as = (files: string[], label: number): LabelledFiles => ({ files, labels: files.map(() => label) });
  let normal: LabelledFiles;
  let test: LabelledFiles;
  if (isDir(join(root, 'normal')) && isDir(join(root, 'anomalous'))) {
    const n = as(imagesUnder(join(root, 'normal')), 0);
    const h = holdOut(n.labels, ['good'], o.testFraction, o.seed, 'test', root);
    normal = pick(n, h.keep);
    const t = pick(n, h.held);
    const bad = imagesUnder(join(root, 'anomalous'));
    test = { files: [...t.files, ...bad], labels: [...t.labels, ...bad.map(() => 1)] };
  } else if (isDir(join(root, 'train')) && isDir(join(root, 'test'))) {
    normal = as(imagesUnder(join(root, 'train')), 0);
    const t = classFolders(join(root, 'test'));
    if (!t.classes.includes('good')) throw new DataError(`${join(root, 'test')}: no good/ folder of normal test images`);
    test = { files: t.files.files, labels: t.files.labels.map((l) => (t.classes[l] === 'good' ? 0 : 1)) };
    if (!test.labels.includes(1)) throw new DataError(`${join(root, 'test')}: no anomalous test images (a folder beside good/)`);
  } else throw new DataError(`${root}: expected normal/ and anomalous/, or train/ and test/ (test/good/ and test/<defect>/)`);
  return openFiles(spec, 'anomaly', root, ['good', 'anomalous'], { train: normal, val: null, test, unlabelled: null }, { ...o, labelsPerClass: 'all' }, ['good']);
}

/** Opens a data spec (see the module doc). */
export async function open(spec: string, options: OpenOptions): Promise<OpenedData> {
  const o = checkOptions(options);
  if (typeof spec !== 'string' || !spec.includes(':')) throw new ConfigError(`data spec must be one of ${DATA_SPEC_HELP.join(', ')}; got ${JSON.stringify(spec)}`);
  const i = spec.indexOf(':');
  const kind = spec.slice(0, i).trim().toLowerCase();
  const arg = spec.slice(i + 1);
  if (kind === 'imagefolder') return openImageFolder(spec, arg, o);
  if (kind === 'csv') return openCsv(spec, arg, o);
  if (kind === 'mvtec') return openMvtec(spec, arg, o);
  if (kind === 'anomaly') return openAnomaly(spec, arg, o);
  if ((TASK_FAMILIES as readonly string[]).includes(kind)) return openTask(spec, o);
  throw new ConfigError(`data spec ${JSON.stringify(spec)}: unknown kind ${JSON.stringify(kind)}; allowed: ${DATA_SPEC_HELP.join(', ')}`);
}

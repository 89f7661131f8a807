/**
 * @module Image trees on disk: ImageFolder (`root/<class>/**\/*.jpg|jpeg|png`,
 * classes sorted by code point like torchvision) and MVTec-AD style anomaly
 * trees (`<category>/train/good`, `<category>/test/<defect>/`,
 * `<category>/ground_truth/<defect>/<stem>_mask.png`; good = 0, anomalous = 1).
 */
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join, basename, extname } from 'node:path';
import * as torch from '../core/torch.js';
import { ConfigError, DataError } from '../core/errors.js';
import { Dataset, checkPolicy, type CorruptPolicy, type LoadReport, type SkippedFile } from './dataset.js';
import { decodeAll, checkImageSpec, isImageFile, byCodePoint, type ImageSpec } from './decode.js';

/** A symlink's target kind; a dangling link reads as a file (it then fails to decode, under the corrupt-file policy). */
function linkIsDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

function listDir(dir: string): { name: string; isDir: boolean }[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new DataError(`${dir}: cannot list directory (${(e as Error).message})`);
  }
  return entries
    .map((e) => ({ name: e.name, isDir: e.isDirectory() || (e.isSymbolicLink() && linkIsDir(join(dir, e.name))) }))
    .sort((a, b) => byCodePoint(a.name, b.name));
}

/** Image files under dir, recursively, in sorted order. */
function walkImages(dir: string, out: string[] = []): string[] {
  for (const e of listDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDir) walkImages(p, out);
    else if (isImageFile(e.name)) out.push(p);
  }
  return out;
}

/** Options of loadImageFolder. */
export interface ImageFolderOptions extends ImageSpec {
  root: string;
  /** What to do with files that fail to decode (dangling symlinks included). Default 'fail'. */
  onCorrupt?: CorruptPolicy;
  /** Decodes in flight at once. Default 4. */
  concurrency?: number;
}

/**
 * Loads `root/<class>/...` images into a Dataset (uint8 [N, C, H, W]); its `report` lists skipped files.
 * A class folder without images is a DataError naming it (as torchvision's ImageFolder refuses it); a
 * dangling symlink, an empty, truncated or undecodable file, or a PNG without its IEND chunk is a corrupt
 * file under `onCorrupt` ('fail': DataError naming it; 'skip': left out and listed in the report).
 */
export async function loadImageFolder(o: ImageFolderOptions): Promise<Dataset> {
  checkImageSpec(o, 'loadImageFolder');
  const policy = checkPolicy(o.onCorrupt ?? 'fail', 'loadImageFolder');
  if (!o.root || !existsSync(o.root)) throw new DataError(`${o.root}: ImageFolder root does not exist`);
  const classes = listDir(o.root).filter((e) => e.isDir).map((e) => e.name);
  if (classes.length === 0) throw new DataError(`${o.root}: no class folders`);
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((c, k) => {
    const found = walkImages(join(o.root, c));
    // As torchvision's ImageFolder: a class folder without images is an error (a class with 0 images would skew
    // the label space and every per-class figure), naming the folder.
    if (found.length === 0) throw new DataError(`${join(o.root, c)}: class folder '${c}' holds no .jpg/.jpeg/.png files; remove it or add images`);
    for (const f of found) { files.push(f); labels.push(k); }
  });
  if (files.length === 0) throw new DataError(`${o.root}: no .jpg/.jpeg/.png files under the class folders`);
  const r = await decodeAll(files, o, policy, { concurrency: o.concurrency });
  const report: LoadReport = { source: o.root, policy, loaded: r.kept.length, skipped: r.skipped.length, skippedFiles: r.skipped };
  if (r.kept.length === 0) { r.images.dispose(); throw new DataError(`${o.root}: every image failed to decode (${r.skipped.length} files)`); }
  const lab = torch.tensor(Int32Array.from(r.kept.map((i) => labels[i]!)));
  return new Dataset({ images: r.images, labels: lab, classes, source: o.root, report });
}

/** Options of loadMvtec. */
export interface MvtecOptions extends ImageSpec {
  /** The folder holding the category folders. */
  root: string;
  /** e.g. 'bottle'. */
  category: string;
  /** 'train' (good only) or 'test' (good and defects, with masks). */
  split: 'train' | 'test';
  /** What to do with corrupt images, corrupt masks and missing masks of defect images. Default 'fail'. */
  onCorrupt?: CorruptPolicy;
  concurrency?: number;
}

/** An MVTec-style split: labels good = 0 / anomalous = 1, masks uint8 [N, 1, H, W] in {0, 1}, and each example's defect type. */
export interface MvtecData { dataset: Dataset; defects: string[] }

/** Loads an MVTec-AD style category; good images get all-zero masks. */
export async function loadMvtec(o: MvtecOptions): Promise<MvtecData> {
  checkImageSpec(o, 'loadMvtec');
  const policy = checkPolicy(o.onCorrupt ?? 'fail', 'loadMvtec');
  if (o.split !== 'train' && o.split !== 'test') throw new ConfigError(`loadMvtec.split must be 'train' or 'test', got ${JSON.stringify(o.split)}`);
  if (typeof o.category !== 'string' || !o.category || o.category.includes('/')) throw new ConfigError(`loadMvtec.category must be a folder name, got ${JSON.stringify(o.category)}`);
  const base = join(o.root, o.category);
  const splitDir = join(base, o.split);
  if (!existsSync(splitDir)) throw new DataError(`${splitDir}: MVTec split folder does not exist`);
  const defectDirs = o.split === 'train' ? ['good'] : listDir(splitDir).filter((e) => e.isDir).map((e) => e.name);
  const files: string[] = [];
  const defects: string[] = [];
  for (const d of defectDirs) for (const f of walkImages(join(splitDir, d))) { files.push(f); defects.push(d); }
  if (files.length === 0) throw new DataError(`${splitDir}: no images`);
  const skipped: SkippedFile[] = [];
  // Pair each defect image with its mask; a missing mask is a data error under the policy.
  const maskFiles: (string | null)[] = files.map((f, i) => {
    if (defects[i] === 'good') return null;
    const m = join(base, 'ground_truth', defects[i]!, `${basename(f, extname(f))}_mask.png`);
    return existsSync(m) ? m : '';
  });
  const candidates: number[] = [];
  maskFiles.forEach((m, i) => {
    if (m !== '') { candidates.push(i); return; }
    const reason = `missing ground-truth mask ${join(base, 'ground_truth', defects[i]!, `${basename(files[i]!, extname(files[i]!))}_mask.png`)}`;
    if (policy === 'fail') throw new DataError(`${files[i]}: ${reason}`);
    skipped.push({ file: files[i]!, reason });
  });
  const withMask = candidates.filter((i) => maskFiles[i] !== null);
  const spec1: ImageSpec = { size: o.size, channels: 1 };
  const settled = await Promise.allSettled([
    decodeAll(candidates.map((i) => files[i]!), o, policy, { concurrency: o.concurrency }),
    decodeAll(withMask.map((i) => maskFiles[i]!), spec1, policy, { nearest: true, concurrency: o.concurrency }),
  ]);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of settled) if (s.status === 'fulfilled') s.value.images.dispose();
    throw (failed as PromiseRejectedResult).reason;
  }
  const [imgs, masks] = settled.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof decodeAll>>>).value) as [Awaited<ReturnType<typeof decodeAll>>, Awaited<ReturnType<typeof decodeAll>>];
  skipped.push(...imgs.skipped, ...masks.skipped);
  // Keep examples whose image decoded and whose mask (if any) decoded.
  const imgOk = new Map(imgs.kept.map((k, row) => [candidates[k]!, row]));
  const maskOk = new Map(masks.kept.map((k, row) => [withMask[k]!, row]));
  const final = candidates.filter((i) => imgOk.has(i) && (maskFiles[i] === null || maskOk.has(i)));
  for (const i of candidates) {
    if (imgOk.has(i) && maskFiles[i] !== null && !maskOk.has(i)) skipped.push({ file: files[i]!, reason: `its mask ${maskFiles[i]} could not be decoded` });
  }
  const report: LoadReport = { source: splitDir, policy, loaded: final.length, skipped: skipped.length, skippedFiles: skipped };
  try {
    if (final.length === 0) throw new DataError(`${splitDir}: no usable images (${skipped.length} skipped)`);
    return torch.tidy(() => {
      const [h, w] = o.size;
      const imgRows = torch.tensor(Int32Array.from(final.map((i) => imgOk.get(i)!))).to('int64');
      const images = imgs.images.indexSelect(0, imgRows);
      // Masks: row 0 of the padded stack is all zeros (good images); defect masks binarised at > 127.
      const zero = torch.zeros([1, 1, h, w], { dtype: 'uint8' });
      const bin = masks.images.gt(127).to('uint8');
      const stack = torch.cat([zero, bin], 0);
      const maskRows = torch.tensor(Int32Array.from(final.map((i) => (maskFiles[i] === null ? 0 : maskOk.get(i)! + 1)))).to('int64');
      const labels = torch.tensor(Int32Array.from(final.map((i) => (defects[i] === 'good' ? 0 : 1))));
      const dataset = new Dataset({ images, labels, masks: stack.indexSelect(0, maskRows), classes: ['good', 'anomalous'], source: splitDir, report });
      return { dataset, defects: final.map((i) => defects[i]!) };
    });
  } finally {
    imgs.images.dispose();
    masks.images.dispose();
  }
}

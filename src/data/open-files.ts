/**
 * @module File lists for data specs, before any pixel is decoded: class folders (ImageFolder), CSV lists
 * (`path,label[,split]` rows, paths relative to the CSV), a header scan of every image (sharp metadata: size and
 * mode, so an unreadable file is named before anything else), and seeded class-stratified hold-outs that keep at
 * least one image per class on each side. Errors are DataErrors naming the folder or file.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DataError } from '../core/errors.js';
import { Rng } from './rng.js';
import { byCodePoint } from './decode.js';
import type { CorruptPolicy, SkippedFile } from './dataset.js';

/** Extensions read as images (any case); sharp decodes them. Other files are ignored, as torchvision's ImageFolder does. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff'];
const isImage = (n: string): boolean => IMAGE_EXTENSIONS.some((e) => n.toLowerCase().endsWith(e));

/** Files with integer labels into `classes`. */
export interface LabelledFiles { files: string[]; labels: number[] }

function entries(dir: string): { name: string; isDir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'))
      .map((e) => ({ name: e.name, isDir: e.isDirectory() || (e.isSymbolicLink() && statSync(join(dir, e.name)).isDirectory()) }))
      .sort((a, b) => byCodePoint(a.name, b.name));
  } catch (e) {
    throw new DataError(`${dir}: cannot list directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of entries(dir)) {
    const p = join(dir, e.name);
    if (e.isDir) walk(p, out);
    else if (isImage(e.name)) out.push(p);
  }
  return out;
}

/** Every image under `dir` (recursively, sorted); a DataError naming the folder when it has none. */
export function imagesUnder(dir: string): string[] {
  const f = walk(dir);
  if (f.length === 0) throw new DataError(`${dir}: no ${IMAGE_EXTENSIONS.join('/')} files`);
  return f;
}

/** True when `dir` exists and is a folder. */
export const isDir = (dir: string): boolean => existsSync(dir) && statSync(dir).isDirectory();

/** The class folders of `dir` (sorted by code point) and their images; an empty class folder is a DataError naming it. */
export function classFolders(dir: string, classes?: readonly string[]): { classes: string[]; files: LabelledFiles } {
  if (!isDir(dir)) throw new DataError(`${dir}: folder does not exist`);
  const names = entries(dir).filter((e) => e.isDir).map((e) => e.name);
  if (names.length === 0) throw new DataError(`${dir}: no class folders (expected ${dir}/<class>/<image>)`);
  const cls = classes ? [...classes] : names;
  const files: LabelledFiles = { files: [], labels: [] };
  for (const n of names) {
    const k = cls.indexOf(n);
    if (k < 0) throw new DataError(`${join(dir, n)}: class '${n}' is not among the training classes (${cls.join(', ')})`);
    const imgs = walk(join(dir, n));
    if (imgs.length === 0) throw new DataError(`${join(dir, n)}: class folder is empty (no ${IMAGE_EXTENSIONS.join('/')} files)`);
    for (const f of imgs) { files.files.push(f); files.labels.push(k); }
  }
  return { classes: cls, files };
}

/** Splits one CSV line (RFC 4180 quotes). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) { if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c; }
    else if (c === '"') q = true;
    else if (c === ',') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/** A CSV of `path,label[,split]` rows (optional header naming the columns); classes sorted (numerically when all integers). */
export function csvList(file: string): { classes: string[]; rows: { file: string; label: string; split: string | null }[] } {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new DataError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`); }
  const lines = text.split(/\r?\n/).map((l, i) => ({ l, n: i + 1 })).filter((x) => x.l.trim() !== '' && !x.l.startsWith('#'));
  if (lines.length === 0) throw new DataError(`${file}: empty CSV`);
  let cols = { path: 0, label: 1, split: -1 };
  const head = csvFields(lines[0]!.l).map((s) => s.toLowerCase());
  if (head.some((h) => ['path', 'file', 'filename', 'image'].includes(h))) {
    cols = { path: head.findIndex((h) => ['path', 'file', 'filename', 'image'].includes(h)), label: head.findIndex((h) => ['label', 'class', 'target'].includes(h)), split: head.indexOf('split') };
    if (cols.label < 0) throw new DataError(`${file}: the header has no label column (label, class or target)`);
    lines.shift();
  }
  const base = dirname(resolve(file));
  const rows = lines.map(({ l, n }) => {
    const f = csvFields(l);
    const p = f[cols.path] ?? '';
    const label = f[cols.label] ?? '';
    if (!p || !label) throw new DataError(`${file}:${n}: a row needs a path and a label, got ${JSON.stringify(l)}`);
    const split = cols.split >= 0 ? (f[cols.split] ?? '').toLowerCase() : null;
    if (split !== null && !['train', 'val', 'test', 'unlabeled', 'unlabelled'].includes(split)) throw new DataError(`${file}:${n}: split must be train, val, test or unlabeled, got ${JSON.stringify(split)}`);
    const abs = resolve(base, p);
    if (!existsSync(abs)) throw new DataError(`${file}:${n}: image ${abs} does not exist`);
    return { file: abs, label, split };
  });
  const names = [...new Set(rows.map((r) => r.label))];
  const numeric = names.every((s) => /^-?\d+$/.test(s));
  names.sort(numeric ? (a, b) => Number(a) - Number(b) : byCodePoint);
  return { classes: names, rows };
}

/** What a header scan found: per-mode counts and the files it could not read. */
export interface ImageScan { count: number; gray: number; color: number; alpha: number; sixteenBit: number; palette: number; sizes: { minSide: number; maxSide: number }; skipped: SkippedFile[] }

/** Reads every file's header (size and mode) with sharp, `concurrency` at a time; 'fail' names the first unreadable file. */
export async function scanImages(files: readonly string[], policy: CorruptPolicy, concurrency = 8): Promise<ImageScan & { ok: boolean[] }> {
  const sharp = (await import('sharp')).default;
  const s: ImageScan & { ok: boolean[] } = { count: 0, gray: 0, color: 0, alpha: 0, sixteenBit: 0, palette: 0, sizes: { minSide: Infinity, maxSide: 0 }, skipped: [], ok: new Array(files.length).fill(false) };
  const errors: (string | null)[] = new Array(files.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      try {
        const m = await sharp(files[i]!).metadata();
        if (!m.width || !m.height) throw new Error('no image size in the header');
        s.count++;
        if (m.space === 'b-w' || m.space === 'grey16' || (m.channels ?? 3) <= 2) s.gray++; else s.color++;
        if (m.hasAlpha) s.alpha++;
        if (m.depth === 'ushort') s.sixteenBit++;
        if ((m as { isPalette?: boolean; paletteBitDepth?: number }).isPalette || (m as { paletteBitDepth?: number }).paletteBitDepth) s.palette++;
        s.sizes.minSide = Math.min(s.sizes.minSide, m.width, m.height);
        s.sizes.maxSide = Math.max(s.sizes.maxSide, m.width, m.height);
        s.ok[i] = true;
      } catch (e) { errors[i] = (e as Error).message; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(files.length, 1)) }, worker));
  errors.forEach((err, i) => {
    if (err === null) return;
    if (policy === 'fail') throw new DataError(`${files[i]}: not a readable image (${err})`);
    s.skipped.push({ file: files[i]!, reason: err });
  });
  return s;
}

/** Per class, holds out max(1, round(fraction * n)) items (seeded) and keeps at least one; DataError naming a class with < 2 items. */
export function holdOut(labels: readonly number[], classes: readonly string[], fraction: number, seed: number, tag: string, where: string): { keep: number[]; held: number[] } {
  const rng = Rng.derive(seed, 'holdOut', tag);
  const keep: number[] = [];
  const held: number[] = [];
  classes.forEach((c, k) => {
    const idx = labels.flatMap((l, i) => (l === k ? [i] : []));
    if (idx.length < 2) throw new DataError(`${where}: class '${c}' has ${idx.length} image(s); holding out a ${tag} split needs at least 2 per class`);
    const s = rng.shuffle(idx);
    const n = Math.min(idx.length - 1, Math.max(1, Math.round(fraction * idx.length)));
    held.push(...s.slice(0, n));
    keep.push(...s.slice(n));
  });
  return { keep: keep.sort((a, b) => a - b), held: held.sort((a, b) => a - b) };
}

/** Picks `perClass` items of every class (seeded); the rest are unlabelled. DataError naming a class with too few. */
export function budget(labels: readonly number[], classes: readonly string[], perClass: number | 'all', seed: number, where: string): { labelled: number[]; unlabelled: number[] } {
  if (perClass === 'all') return { labelled: labels.map((_, i) => i), unlabelled: [] };
  const rng = Rng.derive(seed, 'labelBudget');
  const labelled: number[] = [];
  const unlabelled: number[] = [];
  classes.forEach((c, k) => {
    const idx = labels.flatMap((l, i) => (l === k ? [i] : []));
    if (idx.length < perClass) throw new DataError(`${where}: class '${c}' has ${idx.length} training image(s), fewer than labelsPerClass=${perClass}`);
    const s = rng.shuffle(idx);
    labelled.push(...s.slice(0, perClass));
    unlabelled.push(...s.slice(perClass));
  });
  return { labelled: labelled.sort((a, b) => a - b), unlabelled: unlabelled.sort((a, b) => a - b) };
}

/** The items at `idx` of a file list. */
export const pick = (f: LabelledFiles, idx: readonly number[]): LabelledFiles => ({ files: idx.map((i) => f.files[i]!), labels: idx.map((i) => f.labels[i]!) });

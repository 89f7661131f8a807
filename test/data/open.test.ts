// data.open (src/data/open.ts, open-files.ts, stream.ts, preprocess.ts) on image trees the test writes with sharp:
// every mode (RGB JPEG, grayscale, RGBA, 16-bit, palette PNG, WebP) and size decodes to the requested geometry
// (shorter side resized + center crop) and channels (gray replicated, RGB to luma); seeded class-stratified
// test/val hold-outs with at least one image per class; the folder's own train/val/test; CSV lists; MVTec trees;
// built-in tasks equal loadTask; bad input named before decoding; streamed batches equal in-memory batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { torch, data, DataError, ConfigError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { MODES, png16, TREE_CLASSES as CLASSES, type Mode } from '../image-tree.js';

const ROOT = mkdtempSync(join(tmpdir(), 'open-'));
process.on('exit', () => rmSync(ROOT, { recursive: true, force: true }));


/** Writes a w x h image of flat colour [r, g, b] (0..255) in the given mode (JPEG quality 100, no noise: the exact values test/image-tree.ts's writeImage jitters); returns its path. */
async function image(file: string, mode: Mode, w: number, h: number, rgb: [number, number, number]): Promise<string> {
  const px = (c: number, f: (i: number) => number): Buffer => Buffer.from(Array.from({ length: w * h * c }, (_, i) => f(i)));
  const ext = mode.split('-')[1];
  const path = `${file}.${ext}`;
  if (mode === 'rgb16-png') { writeFileSync(path, png16(w, h, rgb)); return path; }
  if (mode === 'gray-png') { await sharp(px(1, () => rgb[0]), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toFile(path); return path; }
  if (mode === 'rgba-png') { await sharp(px(4, (i) => (i % 4 === 3 ? 255 : rgb[i % 4]!)), { raw: { width: w, height: h, channels: 4 } }).png().toFile(path); return path; }
  const s = sharp(px(3, (i) => rgb[i % 3]!), { raw: { width: w, height: h, channels: 3 } });
  await (mode === 'rgb-jpg' ? s.jpeg({ quality: 100 }) : mode === 'palette-png' ? s.png({ palette: true }) : s.webp({ lossless: true })).toFile(path);
  return path;
}


/** DIR/<class>/ with `n` images per class cycling through the modes and sizes. */
async function classTree(dir: string, n: number): Promise<void> {
  for (const [c, rgb] of CLASSES) {
    mkdirSync(join(dir, c), { recursive: true });
    for (let i = 0; i < n; i++) {
      const mode = MODES[i % MODES.length]!;
      await image(join(dir, c, `${i}`), mode, 20 + 7 * i, 30 + 3 * (i % 3), mode === 'gray-png' ? [rgb[0], rgb[0], rgb[0]] : rgb);
    }
  }
}
const means = (t: Tensor): number[][] => torch.tidy(() => {
  const m = t.to('float32').mean([2, 3]);
  return Array.from({ length: t.shape[0]! }, (_, i) => Array.from(m.select(0, i).data() as Float32Array));
});

test('imagefolder:DIR of class folders: every mode decodes, seeded stratified test/val hold-outs, labels right', async () => {
  const dir = join(ROOT, 'flat');
  await classTree(dir, 6);
  const d = await data.open(`imagefolder:${dir}`, { seed: 1, preprocessing: { imageSize: 16 } });
  assert.deepEqual(d.classes, ['cat', 'dog', 'emu']);
  assert.equal(d.kind, 'imagefolder');
  assert.equal(d.preprocessing.resizeTo, 18);
  assert.equal(d.preprocessing.channelAdapt, 'mixed');
  const train = d.train as data.Dataset;
  assert.ok(train instanceof data.Dataset);
  assert.deepEqual(train.exampleShape, [3, 18, 18]);
  assert.deepEqual([train.classCounts(), (d.val as data.Dataset).classCounts(), (d.test as data.Dataset).classCounts()], [[4, 4, 4], [1, 1, 1], [1, 1, 1]]);
  assert.equal(d.scan!.count, 18);
  assert.ok(d.scan!.gray === 3 && d.scan!.palette >= 3 && d.scan!.alpha >= 3 && d.scan!.sixteenBit === 3, JSON.stringify(d.scan));
  // flat colours survive every mode (the gray images carry the class's red value in all channels)
  const lab = train.labelArray();
  means(train.images).forEach((m, i) => {
    const rgb = CLASSES[lab[i]!]![1];
    const gray = Math.abs(m[0]! - m[1]!) < 2 && Math.abs(m[1]! - m[2]!) < 2;
    const want = gray ? [rgb[0], rgb[0], rgb[0]] : rgb;
    m.forEach((v, c) => assert.ok(Math.abs(v - want[c]!) <= 3, `image ${i} channel ${c}: ${v} vs ${want[c]}`));
  });
  const again = await data.open(`imagefolder:${dir}`, { seed: 1, preprocessing: { imageSize: 16 } });
  const other = await data.open(`imagefolder:${dir}`, { seed: 2, preprocessing: { imageSize: 16 } });
  const bytes = (s: data.ImageSet | null): Buffer => Buffer.from((s as data.Dataset).images.bytes());
  assert.deepEqual([bytes(d.test), bytes(d.val)], [bytes(again.test), bytes(again.val)]);
  assert.notDeepEqual([bytes(d.test), bytes(d.val)], [bytes(other.test), bytes(other.val)]);
  for (const x of [d, again, other]) x.dispose();
});

test('channels 1 gives ITU-R 601 luma; shorter side resized then center-cropped (torchvision Resize + CenterCrop)', async () => {
  const dir = join(ROOT, 'geom');
  mkdirSync(join(dir, 'a'), { recursive: true });
  mkdirSync(join(dir, 'b'), { recursive: true });
  // 40x20: left half black, right half white -> shorter side 20 -> 10, width 20, center 10 columns: 5 black, 5 white
  const half = Buffer.from(Array.from({ length: 40 * 20 * 3 }, (_, i) => (Math.floor(i / 3) % 40 < 20 ? 0 : 255)));
  for (const k of ['a', 'b']) for (let i = 0; i < 3; i++) await sharp(half, { raw: { width: 40, height: 20, channels: 3 } }).png().toFile(join(dir, k, `${i}.png`));
  await image(join(dir, 'a', 'red'), 'rgb-jpg', 12, 12, [255, 0, 0]);
  const d = await data.open(`imagefolder:${dir}`, { seed: 0, valFraction: 0, testFraction: 0.3, preprocessing: { imageSize: 10, resizeTo: 10, channels: 1 } });
  const all = [d.train, d.test].map((s) => s as data.Dataset);
  assert.equal(all[0]!.exampleShape[0], 1);
  assert.equal(d.preprocessing.channelAdapt, 'rgb-to-luminance');
  for (const s of all) {
    for (let i = 0; i < s.length; i++) {
      const row = torch.tidy(() => Array.from(s.images.select(0, i).select(0, 0).select(0, 5).to('int32').data() as Int32Array));
      if (row.every((v) => v === row[0])) assert.ok(Math.abs(row[0]! - 76) <= 2, `red -> luma 76, got ${row[0]}`);
      else { // the edge between columns 4 and 5 (lanczos rings by a few levels next to it)
        assert.ok(row.slice(0, 4).every((v) => v <= 3) && row.slice(6).every((v) => v >= 250) && row[4]! < 128 && row[5]! > 128, `row ${row}`);
      }
    }
  }
  d.dispose();
});

test('DIR/train, val, test: the folder splits are used; labelsPerClass budget; unknown class named', async () => {
  const dir = join(ROOT, 'tvt');
  await classTree(join(dir, 'train'), 5);
  await classTree(join(dir, 'val'), 1);
  await classTree(join(dir, 'test'), 2);
  const d = await data.open(`imagefolder:${dir}`, { seed: 3, labelsPerClass: 3, preprocessing: { imageSize: 8 } });
  assert.deepEqual((d.train as data.Dataset).classCounts(), [3, 3, 3]);
  assert.deepEqual((d.val as data.Dataset).classCounts(), [1, 1, 1]);
  assert.deepEqual((d.test as data.Dataset).classCounts(), [2, 2, 2]);
  assert.deepEqual((d.unlabelled as data.Dataset).classCounts(), [2, 2, 2]);
  d.dispose();
  mkdirSync(join(dir, 'unlabeled', 'batch1'), { recursive: true });
  for (let i = 0; i < 4; i++) await image(join(dir, 'unlabeled', i < 2 ? 'batch1' : '', `${i}`), 'rgb-jpg', 10, 14, [5, 5, 5]);
  const u = await data.open(`imagefolder:${dir}`, { seed: 3, labelsPerClass: 3, preprocessing: { imageSize: 8 } });
  assert.deepEqual([(u.unlabelled as data.Dataset).classes, (u.unlabelled as data.Dataset).length], [['unlabeled'], 10]);
  u.dispose();
  rmSync(join(dir, 'unlabeled'), { recursive: true });
  mkdirSync(join(dir, 'test', 'yak'));
  await image(join(dir, 'test', 'yak', '0'), 'rgb-jpg', 9, 9, [1, 2, 3]);
  await assert.rejects(data.open(`imagefolder:${dir}`, { seed: 3 }), (e: unknown) => e instanceof DataError && /test\/yak: class 'yak' is not among the training classes/.test(String(e)));
  rmSync(join(dir, 'test', 'yak'), { recursive: true });
  await assert.rejects(data.open(`imagefolder:${dir}`, { seed: 3, labelsPerClass: 9 }), /class 'cat' has 5 training image\(s\), fewer than labelsPerClass=9/);
});

test('bad input is named before any decoding: empty class folder, corrupt image (or skipped), too few for a split', async () => {
  const dir = join(ROOT, 'bad');
  await classTree(dir, 3);
  mkdirSync(join(dir, 'zebra'));
  await assert.rejects(data.open(`imagefolder:${dir}`, { seed: 0 }), (e: unknown) => e instanceof DataError && /bad\/zebra: class folder is empty/.test(String(e)));
  rmSync(join(dir, 'zebra'), { recursive: true });
  writeFileSync(join(dir, 'cat', 'broken.png'), Buffer.from('not a png at all'));
  await assert.rejects(data.open(`imagefolder:${dir}`, { seed: 0 }), (e: unknown) => e instanceof DataError && /cat\/broken\.png: not a readable image/.test(String(e)));
  const s = await data.open(`imagefolder:${dir}`, { seed: 0, onCorrupt: 'skip', valFraction: 0 });
  assert.deepEqual(s.scan!.skipped.map((x) => x.file), [join(dir, 'cat', 'broken.png')]);
  s.dispose();
  rmSync(join(dir, 'cat', 'broken.png'));
  // a truncated PNG: its header reads, its pixels do not; named, or skipped in memory and when streamed
  const noise = Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251));
  const good = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
  writeFileSync(join(dir, 'dog', 'cut.png'), good.subarray(0, Math.floor(good.length * 0.6)));
  await assert.rejects(data.open(`imagefolder:${dir}`, { seed: 0, valFraction: 0 }), (e: unknown) => e instanceof DataError && /dog\/cut\.png: cannot decode image/.test(String(e)));
  for (const maxInMemoryBytes of [2 ** 30, 0]) {
    const k = await data.open(`imagefolder:${dir}`, { seed: 0, onCorrupt: 'skip', valFraction: 0, maxInMemoryBytes });
    assert.deepEqual(k.scan!.skipped.map((x) => x.file), [join(dir, 'dog', 'cut.png')]);
    assert.equal(k.train.length + k.test.length, 9);
    k.dispose();
  }
  rmSync(join(dir, 'dog', 'cut.png'));
  for (const f of ['1.png', '2.png']) rmSync(join(dir, 'emu', f), { force: true });
  await assert.rejects(data.open(`imagefolder:${dir}`, { seed: 0 }), /class 'emu' has 1 image\(s\); holding out a test split needs at least 2/);
  await assert.rejects(data.open('imagefolder:/nonexistent/x', { seed: 0 }), /does not exist/);
  await assert.rejects(data.open('zip:x', { seed: 0 }), (e: unknown) => e instanceof ConfigError && /unknown kind "zip"/.test(String(e)));
  await assert.rejects(data.open(`imagefolder:${dir}`, { seed: 0, valFraction: 1 }), /valFraction must be a number in \[0, 1\)/);
});

test('csv:FILE: path,label,split rows relative to the file; numeric labels sorted numerically', async () => {
  const dir = join(ROOT, 'csv');
  await classTree(join(dir, 'img'), 4);
  const rows = ['path,label,split'];
  CLASSES.forEach(([c], k) => { for (let i = 0; i < 4; i++) rows.push(`img/${c}/${i}.${MODES[i]!.split('-')[1]},${[10, 2, 7][k]},${i === 3 ? 'test' : 'train'}`); });
  writeFileSync(join(dir, 'list.csv'), rows.join('\n') + '\n');
  const d = await data.open(`csv:${join(dir, 'list.csv')}`, { seed: 0, preprocessing: { imageSize: 8 } });
  assert.deepEqual(d.classes, ['2', '7', '10']);
  assert.deepEqual((d.test as data.Dataset).classCounts(), [1, 1, 1]);
  assert.deepEqual((d.train as data.Dataset).classCounts(), [2, 2, 2]);
  assert.deepEqual((d.val as data.Dataset).classCounts(), [1, 1, 1]);
  d.dispose();
  writeFileSync(join(dir, 'bad.csv'), 'img/cat/0.jpg,cat\nimg/cat/missing.jpg,cat\n');
  await assert.rejects(data.open(`csv:${join(dir, 'bad.csv')}`, { seed: 0 }), /bad\.csv:2: image .*missing\.jpg does not exist/);
});

test('mvtec:DIR: normal training images, good/anomalous test images with masks, a val split of the normals', async () => {
  const dir = join(ROOT, 'mv', 'widget');
  for (const d of ['train/good', 'test/good', 'test/crack', 'ground_truth/crack']) mkdirSync(join(dir, d), { recursive: true });
  for (let i = 0; i < 5; i++) await image(join(dir, 'train/good', `${i}`), 'rgb-jpg', 16, 16, [90, 90, 90]);
  await image(join(dir, 'test/good', '0'), 'rgb-jpg', 16, 16, [90, 90, 90]);
  await image(join(dir, 'test/crack', '0'), 'rgb-jpg', 16, 16, [20, 90, 90]);
  await sharp(Buffer.from(Array.from({ length: 256 }, (_, i) => (i < 128 ? 255 : 0))), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(join(dir, 'ground_truth/crack/0_mask.png'));
  const d = await data.open(`mvtec:${dir}`, { seed: 0, valFraction: 0.2, preprocessing: { imageSize: 8 } });
  assert.deepEqual([(d.train as data.Dataset).length, (d.val as data.Dataset).length], [4, 1]);
  const t = d.test as data.Dataset;
  assert.deepEqual(Array.from(t.labelArray()), [1, 0]);
  assert.deepEqual(t.exampleShape, [3, 8, 8]);
  assert.equal(torch.tidy(() => Number(t.masks!.select(0, 0).sum().item())), 32);
  assert.deepEqual(d.describe().defects, ['crack', 'good']);
  d.dispose();
});

test('anomaly:DIR: normal/ + anomalous/ (seeded test hold-out of normals) or train/ + test/good, test/<defect>', async () => {
  const a = join(ROOT, 'anom-flat');
  mkdirSync(join(a, 'normal', 'day1'), { recursive: true });
  mkdirSync(join(a, 'anomalous'), { recursive: true });
  for (let i = 0; i < 10; i++) await image(join(a, 'normal', i < 5 ? 'day1' : '', `${i}`), 'rgb-jpg', 12, 12, [90, 90, 90]);
  for (let i = 0; i < 3; i++) await image(join(a, 'anomalous', `${i}`), 'gray-png', 12, 12, [10, 10, 10]);
  const d = await data.open(`anomaly:${a}`, { seed: 0, preprocessing: { imageSize: 8 } });
  assert.deepEqual(d.classes, ['good', 'anomalous']);
  assert.deepEqual([(d.train as data.Dataset).classCounts(), (d.val as data.Dataset).classCounts(), (d.test as data.Dataset).classCounts()], [[7, 0], [1, 0], [2, 3]]);
  d.dispose();
  const b = join(ROOT, 'anom-tt');
  for (const f of ['train', 'test/good', 'test/scratch']) mkdirSync(join(b, f), { recursive: true });
  for (let i = 0; i < 4; i++) await image(join(b, 'train', `${i}`), 'rgb-jpg', 12, 12, [90, 90, 90]);
  await image(join(b, 'test/good', '0'), 'rgb-jpg', 12, 12, [90, 90, 90]);
  await assert.rejects(data.open(`anomaly:${b}`, { seed: 0 }), /test\/scratch: class folder is empty/);
  await image(join(b, 'test/scratch', '0'), 'rgb-jpg', 12, 12, [20, 90, 90]);
  const e = await data.open(`anomaly:${b}`, { seed: 0, valFraction: 0, preprocessing: { imageSize: 8 } });
  assert.deepEqual([(e.train as data.Dataset).length, Array.from((e.test as data.Dataset).labelArray())], [4, [0, 1]]);
  e.dispose();
  await assert.rejects(data.open(`anomaly:${ROOT}/anom-none`, { seed: 0 }), /expected normal\/ and anomalous\/, or train\/ and test\//);
});

test('a built-in task spec is loadTask (same images and splits); channels 3 replicates the gray images', async () => {
  const d = await data.open('textures:target-far', { seed: 4, labelsPerClass: 10 });
  const t = data.loadTask('textures:target-far', { seed: 4, labelsPerClass: 10, valFraction: 0.1 });
  assert.deepEqual(Buffer.from((d.train as data.Dataset).images.bytes()), Buffer.from(t.train.images.bytes()));
  assert.deepEqual(Buffer.from((d.val as data.Dataset).images.bytes()), Buffer.from(t.val!.images.bytes()));
  assert.deepEqual(d.preprocessing.imageSize, [28, 28]);
  assert.equal(d.preprocessing.cropPadding, 2);
  const rgb = await data.open('textures:target-far', { seed: 4, labelsPerClass: 10, preprocessing: { channels: 3 } });
  const x = (rgb.train as data.Dataset).images;
  assert.deepEqual(x.shape.slice(1), [3, 28, 28]);
  assert.deepEqual(Buffer.from(torch.tidy(() => x.select(1, 2).contiguous().bytes())), Buffer.from(torch.tidy(() => t.train.images.select(1, 0).contiguous().bytes())));
  d.dispose(); t.dispose(); rgb.dispose();
});

test('streaming: over maxInMemoryBytes a split stays on disk and StreamingLoader gives the DataLoader batches', async () => {
  const dir = join(ROOT, 'stream');
  await classTree(dir, 6);
  const opts = { seed: 5, valFraction: 0, preprocessing: { imageSize: 12 } } as const;
  const mem = await data.open(`imagefolder:${dir}`, opts);
  const str = await data.open(`imagefolder:${dir}`, { ...opts, maxInMemoryBytes: 0 });
  assert.ok(str.train instanceof data.FileImageSet);
  assert.deepEqual(Array.from(str.train.labelArray()), Array.from((mem.train as data.Dataset).labelArray()));
  const { transform, mix } = data.trainTransform(str.preprocessing);
  const a = new data.DataLoader(mem.train as data.Dataset, { batchSize: 4, seed: 9, transform, mix, prefetch: false });
  const b = new data.StreamingLoader(str.train as data.FileImageSet, { batchSize: 4, seed: 9, transform, mix });
  assert.equal(a.numBatches, b.numBatches);
  const xa: Tensor[] = [];
  for await (const batch of a) { xa.push(batch.x); batch.y.dispose(); }
  let i = 0;
  for await (const batch of b) {
    assert.deepEqual(batch.x.shape, [Math.min(4, 15 - 4 * i), 3, 12, 12]);
    assert.deepEqual(Buffer.from(batch.x.bytes()), Buffer.from(xa[i]!.bytes()), `batch ${i}`);
    torch.dispose(batch); i++;
  }
  assert.equal(i, 4);
  assert.deepEqual(b.state(), { epoch: 1, index: 0, seed: 9 });
  for (const t of xa) t.dispose();
  mem.dispose(); str.dispose();
});

test('loadersFor: augmented shuffled train, evaluation loaders center-cropped and normalised, streamed train', async () => {
  const dir = join(ROOT, 'loaders');
  await classTree(dir, 6);
  const norm = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
  const d = await data.open(`imagefolder:${dir}`, { seed: 0, preprocessing: { imageSize: 12, normalization: norm, augment: 'flip' } });
  const l = data.loadersFor(d, { batchSize: 4, seed: 0 });
  assert.ok(l.train instanceof data.DataLoader && l.val instanceof data.DataLoader);
  assert.equal(l.train.numBatches, 3); // 12 training images, drop-last
  const b = (l.test as data.DataLoader).batchAt(0, 0);
  assert.deepEqual(b.x.shape, [3, 3, 12, 12]);
  // flat colours: the center crop of a flat image normalised is (v/255 - 0.5) / 0.25 everywhere
  const lab = Array.from(b.y.data() as BigInt64Array, Number);
  torch.tidy(() => lab.forEach((k, i) => {
    const m = Array.from(b.x.select(0, i).mean([1, 2]).data() as Float32Array);
    const rgb = CLASSES[k]![1];
    m.forEach((v, c) => { if (Math.abs(m[0]! - m[1]!) > 0.1) assert.ok(Math.abs(v - (rgb[c]! / 255 - 0.5) / 0.25) < 0.05, `${v}`); });
  }));
  torch.dispose(b);
  const s = await data.open(`imagefolder:${dir}`, { seed: 0, maxInMemoryBytes: 0, preprocessing: { imageSize: 12 } });
  assert.ok(data.loadersFor(s, { batchSize: 4, seed: 0 }).train instanceof data.StreamingLoader);
  d.dispose(); s.dispose();
});

test('preprocessing: validated, JSON round-trip, eval = center crop + normalise, train augment names', () => {
  const p = data.describePreprocessing({ imageSize: 224, normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, augment: 'randaugment' });
  assert.equal(p.resizeTo, 256);
  assert.deepEqual(JSON.parse(JSON.stringify(p)), p);
  assert.throws(() => data.describePreprocessing({ augment: 'jitter' as never }), /preprocessing\.augment must be one of none, flip, crop, crop\+flip, randaugment, trivialaugment, mixup, cutmix/);
  assert.throws(() => data.describePreprocessing({ imageSize: 32, resizeTo: 16 }), /resizeTo must be an integer in \[32, 8192\]/);
  for (const a of data.AUGMENTS) assert.ok(data.trainTransform({ ...p, augment: a }).transform);
  assert.ok(data.trainTransform({ ...p, augment: 'cutmix' }).mix);
  const x = torch.tidy(() => torch.arange(0, 2 * 3 * 18 * 18).reshape([2, 3, 18, 18]).to('float32').div(2000));
  const y = new data.CenterCrop([16, 16]).apply(x);
  assert.deepEqual(y.shape, [2, 3, 16, 16]);
  assert.equal(torch.tidy(() => Number(y.select(0, 0).select(0, 0).select(0, 0).select(0, 0).item())), torch.tidy(() => Number(x.select(0, 0).select(0, 0).select(0, 1).select(0, 1).item())));
  x.dispose(); y.dispose();
});

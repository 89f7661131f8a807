import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { torch, DataError, ConfigError } from '../../src/index.js';
import { loadImageFolder, loadMvtec } from '../../src/data/index.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-folders-'));

/** A solid w x h image file of an RGB colour (png or jpg). */
async function solid(file: string, rgb: [number, number, number], w = 6, h = 4): Promise<void> {
  const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  await (file.endsWith('.png') ? img.png() : img.jpeg({ quality: 100 })).toFile(file);
}
/** A greyscale PNG from raw bytes. */
async function grey(file: string, bytes: number[], w: number, h: number): Promise<void> {
  await sharp(Buffer.from(bytes), { raw: { width: w, height: h, channels: 1 } }).png().toFile(file);
}

test('ImageFolder: classes sorted by code point, nested files, PNG and JPEG, 1 and 3 channels', async () => {
  const base = torch.liveTensors();
  const r = join(root, 'if1');
  for (const c of ['b', 'B', 'a']) mkdirSync(join(r, c, 'sub'), { recursive: true });
  await solid(join(r, 'B', 'x.png'), [255, 0, 0]);
  await solid(join(r, 'a', 'y.PNG'), [0, 255, 0]);
  await solid(join(r, 'a', 'sub', 'z.jpg'), [0, 0, 255]);
  await solid(join(r, 'b', 'w.png'), [10, 20, 30]);
  writeFileSync(join(r, 'b', 'notes.txt'), 'ignored');
  const ds = await loadImageFolder({ root: r, size: [3, 5], channels: 3 });
  assert.deepEqual(ds.classes, ['B', 'a', 'b']);
  assert.deepEqual(ds.labels.toArray(), [0, 1, 1, 2]);
  assert.deepEqual(ds.images.shape, [4, 3, 3, 5]);
  assert.equal(ds.images.dtype, 'uint8');
  torch.tidy(() => {
    assert.deepEqual(ds.images.select(0, 0).amax([1, 2]).toArray(), [255, 0, 0]);
    assert.deepEqual(ds.images.select(0, 0).amin([1, 2]).toArray(), [255, 0, 0]);
    assert.deepEqual(ds.images.select(0, 3).amax([1, 2]).toArray(), [10, 20, 30]);
  });
  assert.deepEqual(ds.report, { source: r, policy: 'fail', loaded: 4, skipped: 0, skippedFiles: [] });
  ds.dispose();
  const g = await loadImageFolder({ root: r, size: [2, 2], channels: 1 });
  assert.deepEqual(g.images.shape, [4, 1, 2, 2]);
  torch.tidy(() => {
    assert.equal(g.images.select(0, 0).amax().item(), 76); // PIL luma of pure red: 0.299 * 255
    assert.equal(g.images.select(0, 3).amax().item(), 18); // (10, 20, 30): (19595*10 + 38470*20 + 7471*30 + 32768) >> 16
  });
  g.dispose();
  assert.equal(torch.liveTensors(), base);
});

test('ImageFolder: corrupt file under fail (DataError naming it) and skip (reported)', async () => {
  const base = torch.liveTensors();
  const r = join(root, 'if2');
  mkdirSync(join(r, 'cat'), { recursive: true });
  mkdirSync(join(r, 'dog'), { recursive: true });
  await solid(join(r, 'cat', '1.png'), [1, 2, 3]);
  await solid(join(r, 'dog', '1.jpg'), [200, 200, 200]);
  const bad = join(r, 'dog', '2.jpg');
  writeFileSync(bad, Buffer.from('this is not a jpeg'));
  await assert.rejects(loadImageFolder({ root: r, size: [4, 4], channels: 3 }), (e: Error) => e instanceof DataError && e.message.includes(bad));
  assert.equal(torch.liveTensors(), base);
  const ds = await loadImageFolder({ root: r, size: [4, 4], channels: 3, onCorrupt: 'skip' });
  assert.equal(ds.length, 2);
  assert.deepEqual(ds.labels.toArray(), [0, 1]);
  assert.equal(ds.report?.skipped, 1);
  assert.equal(ds.report?.skippedFiles[0]?.file, bad);
  assert.doesNotThrow(() => JSON.stringify(ds.report));
  ds.dispose();
  await assert.rejects(loadImageFolder({ root: r, size: [0, 4], channels: 3 }), (e: Error) => e instanceof ConfigError && /size/.test(e.message));
  await assert.rejects(loadImageFolder({ root: r, size: [4, 4], channels: 2 as 3 }), /channels must be 1 or 3/);
  await assert.rejects(loadImageFolder({ root: r, size: [4, 4], channels: 3, onCorrupt: 'ignore' as 'skip' }), /onCorrupt/);
  await assert.rejects(loadImageFolder({ root: join(r, 'nope'), size: [4, 4], channels: 3 }), DataError);
  assert.equal(torch.liveTensors(), base);
});

async function mvtecTree(r: string): Promise<void> {
  const c = join(r, 'bottle');
  for (const d of ['train/good', 'test/good', 'test/crack', 'ground_truth/crack']) mkdirSync(join(c, d), { recursive: true });
  await solid(join(c, 'train/good/000.png'), [50, 50, 50], 4, 4);
  await solid(join(c, 'train/good/001.png'), [60, 60, 60], 4, 4);
  await solid(join(c, 'test/good/000.png'), [50, 50, 50], 4, 4);
  await solid(join(c, 'test/crack/000.png'), [90, 90, 90], 4, 4);
  await solid(join(c, 'test/crack/001.png'), [91, 91, 91], 4, 4);
  await grey(join(c, 'ground_truth/crack/000_mask.png'), [0, 0, 0, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0], 4, 4);
  await grey(join(c, 'ground_truth/crack/001_mask.png'), new Array(16).fill(255), 4, 4);
}

test('MVTec: train good only; test labels good=0/anomalous=1, masks, zeros for good', async () => {
  const base = torch.liveTensors();
  const r = join(root, 'mv1');
  await mvtecTree(r);
  const tr = await loadMvtec({ root: r, category: 'bottle', split: 'train', size: [4, 4], channels: 3 });
  assert.equal(tr.dataset.length, 2);
  assert.deepEqual(tr.dataset.labels.toArray(), [0, 0]);
  const s = tr.dataset.masks!.sum();
  assert.equal(s.item(), 0);
  tr.dataset.dispose(); s.dispose();
  const te = await loadMvtec({ root: r, category: 'bottle', split: 'test', size: [4, 4], channels: 1 });
  assert.deepEqual(te.defects, ['crack', 'crack', 'good']);
  assert.deepEqual(te.dataset.labels.toArray(), [1, 1, 0]);
  assert.deepEqual(te.dataset.classes, ['good', 'anomalous']);
  assert.deepEqual(te.dataset.images.shape, [3, 1, 4, 4]);
  assert.deepEqual(te.dataset.masks!.shape, [3, 1, 4, 4]);
  assert.deepEqual(te.dataset.masks!.toArray(), [
    [[[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]],
    [[[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]],
    [[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]],
  ]);
  te.dataset.dispose();
  await assert.rejects(loadMvtec({ root: r, category: 'bottle', split: 'val' as 'test', size: [4, 4], channels: 1 }), ConfigError);
  await assert.rejects(loadMvtec({ root: r, category: 'cable', split: 'test', size: [4, 4], channels: 1 }), (e: Error) => e instanceof DataError && e.message.includes('cable'));
  assert.equal(torch.liveTensors(), base);
});

test('MVTec: missing mask and corrupt image under fail and skip', async () => {
  const base = torch.liveTensors();
  const r = join(root, 'mv2');
  await mvtecTree(r);
  const c = join(r, 'bottle');
  rmSync(join(c, 'ground_truth/crack/001_mask.png'));
  const corrupt = join(c, 'test/good/001.png');
  writeFileSync(corrupt, Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  await assert.rejects(loadMvtec({ root: r, category: 'bottle', split: 'test', size: [4, 4], channels: 3 }),
    (e: Error) => e instanceof DataError && e.message.includes('001.png') && /missing ground-truth mask/.test(e.message));
  rmSync(join(c, 'test/crack/001.png'));
  await assert.rejects(loadMvtec({ root: r, category: 'bottle', split: 'test', size: [4, 4], channels: 3 }), (e: Error) => e instanceof DataError && e.message.includes(corrupt));
  await mvtecTree(r); // restores crack/001.png and its mask; corrupt stays
  rmSync(join(c, 'ground_truth/crack/001_mask.png'));
  const te = await loadMvtec({ root: r, category: 'bottle', split: 'test', size: [4, 4], channels: 3, onCorrupt: 'skip' });
  assert.deepEqual(te.defects, ['crack', 'good']);
  assert.equal(te.dataset.report?.skipped, 2);
  assert.deepEqual(te.dataset.report?.skippedFiles.map((s) => s.file).sort(), [join(c, 'test/crack/001.png'), corrupt].sort());
  te.dataset.dispose();
  assert.equal(torch.liveTensors(), base);
});

/**
 * Image loading reliability (issue 21, F11): an empty class folder is an error naming it; a dangling symlink
 * follows onCorrupt ('skip' skips it); a truncated PNG gives a real message naming the file; a PNG without
 * its IEND end chunk is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataError } from '../../src/core/errors.js';
import { loadImageFolder } from '../../src/data/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'adaptune-data-rel-'));
const spec = { size: [8, 8] as [number, number], channels: 1 as const };

async function png(file: string, v = 128): Promise<Buffer> {
  const b = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: v, g: v, b: v } } }).png().toBuffer();
  writeFileSync(file, b);
  return b;
}

async function tree(name: string, classes: Record<string, number>): Promise<string> {
  const root = join(tmp, name);
  for (const [c, n] of Object.entries(classes)) {
    mkdirSync(join(root, c), { recursive: true });
    for (let i = 0; i < n; i++) await png(join(root, c, `${i}.png`), 40 * i);
  }
  return root;
}

test('F11 an empty class folder is an error naming it', async () => {
  const root = await tree('empty-class', { a: 2, b: 0, c: 1 });
  await assert.rejects(loadImageFolder({ root, ...spec }), (e: Error) => e instanceof DataError && e.message.includes(join(root, 'b')) && /class folder 'b' holds no/.test(e.message));
});

test('F11 a dangling symlink follows onCorrupt: skipped and listed with skip, an error naming it with fail', async () => {
  const root = await tree('dangling', { a: 2, b: 2 });
  const link = join(root, 'b', 'gone.png');
  symlinkSync(join(root, 'nowhere.png'), link);
  const ds = await loadImageFolder({ root, ...spec, onCorrupt: 'skip' });
  assert.equal(ds.report!.loaded, 4);
  assert.deepEqual(ds.report!.skippedFiles.map((s) => s.file), [link]);
  ds.dispose();
  await assert.rejects(loadImageFolder({ root, ...spec }), (e: Error) => e instanceof DataError && e.message.startsWith(link) && /dangling symlink/.test(e.message));
});

test('F11 a truncated PNG names the file with a real reason; a PNG without IEND is refused', async () => {
  const root = await tree('truncated', { a: 2, b: 1 });
  const good = readFileSync(join(root, 'a', '0.png'));
  const cut = join(root, 'b', 'cut.png');
  writeFileSync(cut, good.subarray(0, Math.floor(good.length / 2)));
  await assert.rejects(loadImageFolder({ root, ...spec }), (e: Error) => e instanceof DataError && e.message.startsWith(cut) && !/Unknown error/i.test(e.message) && /truncated/.test(e.message));
  const noEnd = join(root, 'b', 'cut.png');
  writeFileSync(noEnd, good.subarray(0, good.length - 12)); // every chunk intact, only IEND missing
  await assert.rejects(loadImageFolder({ root, ...spec }), /cut\.png: cannot decode image \(truncated or damaged PNG: it does not end with the IEND chunk/);
  const ds = await loadImageFolder({ root, ...spec, onCorrupt: 'skip' });
  assert.equal(ds.report!.skipped, 1);
  ds.dispose();
});

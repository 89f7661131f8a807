import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, DataError, ConfigError } from '../../src/index.js';
import { readIdx, readIdxDataset, loadFashionMnist, fmnistOneClass, Dataset, validateLabels, FASHION_MNIST_ROOT } from '../../src/data/index.js';
import { needs } from '../require.js';

const dir = mkdtempSync(join(tmpdir(), 'adaptune-idx-'));

function idx(type: number, dims: number[], body: Buffer): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = type; h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, body]);
}
const images = Buffer.from(Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 10));
const labels = Buffer.from([2, 0, 1]);
writeFileSync(join(dir, 'img'), idx(0x08, [3, 2, 2], images));
writeFileSync(join(dir, 'lab.gz'), gzipSync(idx(0x08, [3], labels)));

test('reads raw and gzip IDX into uint8 [N,1,H,W] and int64 labels', () => {
  const base = torch.liveTensors();
  const ds = readIdxDataset(join(dir, 'img'), join(dir, 'lab.gz'), ['a', 'b', 'c']);
  assert.deepEqual(ds.images.shape, [3, 1, 2, 2]);
  assert.equal(ds.images.dtype, 'uint8');
  assert.equal(ds.labels.dtype, 'int64');
  assert.deepEqual(ds.labels.toArray(), [2, 0, 1]);
  assert.deepEqual(ds.images.toArray(), [[[[0, 10], [20, 30]]], [[[40, 50], [60, 70]]], [[[80, 90], [100, 110]]]]);
  assert.deepEqual(ds.classCounts(), [1, 1, 1]);
  ds.dispose();
  assert.equal(torch.liveTensors(), base);
});

test('multi-byte IDX types are big-endian', () => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(-5, 0); b.writeInt32BE(70000, 4);
  writeFileSync(join(dir, 'i32'), idx(0x0c, [2], b));
  const a = readIdx(join(dir, 'i32'));
  assert.equal(a.dtype, 'int32');
  assert.deepEqual(a.tensor.toArray(), [-5, 70000]);
  a.tensor.dispose();
});

test('truncated, wrong-magic, wrong-rank and mismatched files are DataErrors naming the file', () => {
  const base = torch.liveTensors();
  const trunc = join(dir, 'trunc');
  writeFileSync(trunc, idx(0x08, [3, 2, 2], images.subarray(0, 7)));
  assert.throws(() => readIdx(trunc), (e: Error) => e instanceof DataError && e.message.includes(trunc) && /truncated/.test(e.message));
  const magic = join(dir, 'magic');
  const bad = idx(0x08, [3], labels); bad[0] = 8;
  writeFileSync(magic, bad);
  assert.throws(() => readIdx(magic), (e: Error) => e instanceof DataError && e.message.includes(magic) && /magic/.test(e.message));
  const badType = join(dir, 'badtype');
  writeFileSync(badType, idx(0x07, [3], labels));
  assert.throws(() => readIdx(badType), /magic/);
  assert.throws(() => readIdxDataset(join(dir, 'lab.gz'), join(dir, 'lab.gz')), (e: Error) => e instanceof DataError && /rank is 1, expected 3/.test(e.message));
  const two = join(dir, 'two.gz');
  writeFileSync(two, gzipSync(idx(0x08, [2], Buffer.from([0, 1]))));
  assert.throws(() => readIdxDataset(join(dir, 'img'), two), (e: Error) => e instanceof DataError && e.message.includes(two) && /2 labels/.test(e.message));
  const gz = join(dir, 'corrupt.gz');
  writeFileSync(gz, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip at all')]));
  assert.throws(() => readIdx(gz), (e: Error) => e instanceof DataError && e.message.includes(gz));
  assert.throws(() => readIdx(join(dir, 'missing')), (e: Error) => e instanceof DataError && e.message.includes('missing'));
  assert.equal(torch.liveTensors(), base);
});

test('labels outside [0, C) are refused naming index and value', () => {
  const base = torch.liveTensors();
  writeFileSync(join(dir, 'badlab'), idx(0x08, [3], Buffer.from([0, 1, 12])));
  assert.throws(() => readIdxDataset(join(dir, 'img'), join(dir, 'badlab')), (e: Error) => e instanceof DataError && /index 2 is 12, outside \[0, 10\)/.test(e.message));
  const im = torch.zeros([2, 1, 2, 2], { dtype: 'uint8' });
  const lab = torch.tensor([0, -1]);
  assert.throws(() => Dataset.fromTensors(im, lab, ['a', 'b']), /index 1 is -1/);
  assert.throws(() => validateLabels([0, 1, 3], 3, 'x'), /x: label at index 2 is 3/);
  assert.throws(() => validateLabels([0], 0), ConfigError);
  torch.dispose(im, lab);
  assert.equal(torch.liveTensors(), base);
});

test('in-memory tensors: shape and dtype checks', () => {
  const base = torch.liveTensors();
  const f = torch.zeros([2, 1, 2, 2]);
  const l = torch.tensor([0, 1]);
  assert.throws(() => Dataset.fromTensors(f, l), /uint8/);
  const u = torch.zeros([2, 3, 2, 2], { dtype: 'uint8' });
  const l32 = torch.tensor(Int32Array.from([1, 0]));
  const ds = Dataset.fromTensors(u, l32);
  assert.equal(ds.labels.dtype, 'int64');
  assert.deepEqual(ds.classes, ['0', '1']);
  assert.deepEqual(ds.describe().classCounts, [1, 1]);
  const sub = ds.subset([1, 1]);
  assert.deepEqual(sub.labels.toArray(), [0, 0]);
  assert.throws(() => ds.subset([2]), DataError);
  torch.dispose(f, l); ds.dispose(); sub.dispose();
  assert.equal(torch.liveTensors(), base);
});

test('real Fashion-MNIST t10k: 10000 x 1 x 28 x 28, 1000 per class', { skip: needs(`Fashion-MNIST (${FASHION_MNIST_ROOT}, Debian's dataset-fashion-mnist)`, existsSync(FASHION_MNIST_ROOT)) }, () => {
  const ds = loadFashionMnist({ split: 'test' });
  assert.deepEqual(ds.images.shape, [10000, 1, 28, 28]);
  assert.equal(ds.images.dtype, 'uint8');
  assert.deepEqual(ds.classCounts(), new Array(10).fill(1000));
  assert.equal(ds.classes[9], 'Ankle boot');
  const mx = ds.images.max();
  assert.equal(mx.item(), 255);
  mx.dispose();
  ds.dispose();
  assert.throws(() => loadFashionMnist({ split: 'val' as 'test' }), ConfigError);
  assert.throws(() => loadFashionMnist({ split: 'test', root: dir }), (e: Error) => e instanceof DataError && e.message.includes(dir));
});

test('one-class Fashion-MNIST: 1000 normal + 1000 anomalous test images, each typed by the class it was drawn from', { skip: needs(`Fashion-MNIST (${FASHION_MNIST_ROOT}, Debian's dataset-fashion-mnist)`, existsSync(FASHION_MNIST_ROOT)) }, () => {
  const base = torch.liveTensors();
  const { train, test: te, types } = fmnistOneClass(5, 0);
  const y = te.labelArray();
  assert.equal(types.length, te.length);
  assert.equal(train.length, 6000);
  types.forEach((t, i) => assert.equal(t === 'good', y[i] === 0, `image ${i}: type ${t}, label ${y[i]}`));
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  assert.equal(counts.get('good'), 1000);
  assert.deepEqual([...counts.keys()].filter((k) => k !== 'good').sort(), ['Ankle boot', 'Bag', 'Shirt', 'Sneaker'], 'anomalies come from classes 5..9 other than the normal one (5, Sandal)');
  assert.equal([...counts.values()].reduce((p, q) => p + q, 0) - 1000, 1000);
  const again = fmnistOneClass(5, 0);
  assert.deepEqual(again.types, types, 'seeded');
  for (const d of [train, te, again.train, again.test]) d.dispose();
  assert.equal(torch.liveTensors(), base);
});

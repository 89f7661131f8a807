import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, ConfigError } from '../../src/index.js';
import { Dataset, DataLoader, transforms as T, type Batch } from '../../src/data/index.js';

const base = torch.liveTensors();
// 10 examples; pixel value = index * 10 + channel, so a batch's content names its examples.
const ds = torch.tidy(() => Dataset.fromTensors(
  torch.arange(0, 10).mul(10).reshape([10, 1, 1, 1]).expand([10, 1, 4, 4]).to('uint8').contiguous(),
  torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]), ['a', 'b', 'c']));

const opts = { batchSize: 3, seed: 11, transform: new T.Compose([new T.RandomHorizontalFlip(), new T.RandomCrop({ padding: 1 })]) };

async function collect(l: DataLoader, epochs: number, stopAfter = Infinity): Promise<{ idx: number[][]; x: number[][] }> {
  const out = { idx: [] as number[][], x: [] as number[][] };
  for (let e = 0; e < epochs; e++) {
    for await (const b of l) {
      out.idx.push(b.indices);
      out.x.push([...(b.x.data() as Float32Array)]);
      torch.dispose(b);
      if (out.idx.length >= stopAfter) return out;
    }
  }
  return out;
}

test('batches: sizes, dtypes, labels match indices, every example once per epoch', async () => {
  const l = new DataLoader(ds, opts);
  assert.equal(l.numBatches, 4);
  const seen: number[] = [];
  for await (const b of l) {
    assert.equal(b.x.dtype, 'float32');
    assert.equal(b.y.dtype, 'int64');
    assert.deepEqual(b.x.shape, [b.indices.length, 1, 4, 4]);
    assert.deepEqual(b.y.toArray(), b.indices.map((i) => [0, 1, 2][i % 3]));
    torch.tidy(() => assert.ok((b.x.max().item() as number) <= 1));
    seen.push(...b.indices);
    torch.dispose(b);
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(l.state(), { epoch: 1, index: 0, seed: 11 });
  const d = new DataLoader(ds, { ...opts, dropLast: true, shuffle: false, transform: null });
  assert.equal(d.numBatches, 3);
  assert.deepEqual((await collect(d, 1)).idx, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  assert.equal(torch.liveTensors(), base + 2);
});

test('same seed, same batches; another seed, another order; epoch order recomputable', async () => {
  const a = await collect(new DataLoader(ds, opts), 3);
  const b = await collect(new DataLoader(ds, opts), 3);
  assert.deepEqual(a, b);
  const c = await collect(new DataLoader(ds, { ...opts, seed: 12 }), 1);
  assert.notDeepEqual(c.idx, a.idx.slice(0, 4));
  assert.notDeepEqual(a.idx.slice(0, 4), a.idx.slice(4, 8), 'epochs reshuffle');
  const l = new DataLoader(ds, opts);
  assert.deepEqual(l.order(2).slice(0, 3), a.idx[8]);
});

test('resuming from state() at every batch gives exactly the uninterrupted batches', async () => {
  const full = await collect(new DataLoader(ds, opts), 3);
  for (let k = 0; k <= 11; k++) {
    const l1 = new DataLoader(ds, opts);
    const head = await collect(l1, 3, k);
    const state = JSON.parse(JSON.stringify(l1.state()));
    const l2 = new DataLoader(ds, { ...opts, seed: 999 });
    l2.load(state);
    const tail = await collect(l2, 3 - state.epoch);
    assert.deepEqual({ idx: [...head.idx, ...tail.idx], x: [...head.x, ...tail.x] }, full, `resume at ${k}`);
  }
  const l = new DataLoader(ds, opts);
  assert.throws(() => l.load({ epoch: 0, index: 5, seed: 11 }), (e: Error) => e instanceof ConfigError && /state.index must be an integer in \[0, 4\]/.test(e.message));
  l.load({ epoch: 2, index: 4, seed: 11 });
  assert.deepEqual(l.state(), { epoch: 3, index: 0, seed: 11 });
});

test('batchAt is pure; views and mixing come with the batch', () => {
  const l = new DataLoader(ds, { ...opts, views: { strong: T.strongView({ size: 4 }) }, mix: new T.MixUp({ alpha: 1 }) });
  const a: Batch = l.batchAt(1, 2);
  const b: Batch = l.batchAt(1, 2);
  assert.ok(torch.equal(a.x, b.x) && torch.equal(a.views.strong!, b.views.strong!));
  assert.equal(a.lambda, b.lambda);
  assert.ok(a.yB !== null && a.lambda !== null && a.lambda >= 0 && a.lambda <= 1);
  assert.equal(a.mask, null);
  torch.dispose(a, b);
  assert.throws(() => l.batchAt(0, 4), RangeError);
});

test('iteration yields to the event loop; breaking disposes the prefetched batch; no leaks', async () => {
  const l = new DataLoader(ds, { ...opts, batchSize: 2 });
  let ticks = 0;
  const iv = setInterval(() => { ticks++; }, 0);
  let n = 0;
  for await (const b of l) {
    torch.dispose(b);
    await new Promise((r) => setTimeout(r, 2));
    if (++n === 3) break;
  }
  clearInterval(iv);
  assert.ok(ticks > 0, 'timers ran between batches');
  assert.deepEqual(l.stats, { delivered: 3, prefetched: 2 }, 'batches 1 and 2 were prepared while the consumer awaited');
  assert.deepEqual(l.state(), { epoch: 0, index: 3, seed: 11 });
  assert.equal(torch.liveTensors(), base + 2, 'only the dataset is alive');
});

test('config validation names the field', () => {
  assert.throws(() => new DataLoader(ds, { batchSize: 0, seed: 1 }), /DataLoader.batchSize must be an integer >= 1/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, seed: 0.5 }), /DataLoader.seed must be a safe integer/);
  assert.throws(() => new DataLoader(ds, { batchSize: 11, seed: 1, dropLast: true }), /DataLoader.batchSize must be <= the dataset size/);
  ds.dispose();
  assert.equal(torch.liveTensors(), base);
});

/**
 * SemisupSource (src/methods/semisup/source.ts) at the edges of its checks, its position arithmetic and its memory:
 * fast tests beside test/methods/semisup/task (whose end-to-end tests train for minutes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import { ConfigError } from '../../src/core/errors.js';
import { Dataset } from '../../src/data/dataset.js';
import { SemisupSource, weakAugment, strongAugment } from '../../src/methods/semisup/index.js';
import { makeSet } from '../methods/finetune-fixtures.js';

const opts = (o: Partial<ConstructorParameters<typeof SemisupSource>[2]> = {}) => ({ batchSize: 4, mu: 2, stepsPerEpoch: 3, seed: 1, weak: weakAugment({ size: 8 }), views: [strongAugment({ size: 8 })], ...o });
const same = (a: torch.Tensor, b: torch.Tensor): boolean => torch.tidy(() => a.shape.join() === b.shape.join() && Number(a.to('float32').sub(b.to('float32')).abs().max().item()) === 0);

test('SemisupSource checks: stepsPerEpoch and mu from 1, batch B up to the labelled set, mu B up to the unlabelled set (the bounds accepted, one beyond refused)', () => {
  const lab = makeSet(8, 1);
  const unl = makeSet(16, 2);
  const ok = (l: Dataset, u: Dataset | null, o: object) => new SemisupSource(l, u, opts(o));
  ok(lab, unl, { stepsPerEpoch: 1, mu: 1 });
  assert.throws(() => ok(lab, unl, { stepsPerEpoch: 0 }), (e: Error) => e instanceof ConfigError && /stepsPerEpoch must be an integer >= 1, got 0/.test(e.message));
  assert.throws(() => ok(lab, unl, { stepsPerEpoch: 1.5 }), /stepsPerEpoch/);
  assert.throws(() => ok(lab, unl, { mu: 0 }), /mu must be an integer >= 1, got 0/);
  ok(lab, unl, { batchSize: 8, mu: 2 }); // 8 labelled, 16 unlabelled: both exactly full
  assert.throws(() => ok(lab, unl, { batchSize: 9, mu: 1 }), /batchSize \(9\) exceeds the labelled set \(8 images\)/);
  assert.throws(() => ok(lab, unl, { batchSize: 4, mu: 5 }), /mu x batchSize \(20\) exceeds the unlabelled set \(16 images\)/);
  ok(lab, null, { batchSize: 8, mu: 5 }); // no unlabelled set: mu is not checked against it
  lab.dispose(); unl.dispose();
});

test('SemisupSource.load: epoch from 0, index in [0, numBatches] (numBatches is the next epoch\'s start), a new seed rebuilds the streams', () => {
  const lab = makeSet(12, 1);
  const unl = makeSet(24, 2);
  const s = new SemisupSource(lab, unl, opts());
  s.load({ epoch: 0, index: 0, seed: 1 });
  assert.deepEqual(s.state(), { epoch: 0, index: 0, seed: 1 });
  s.load({ epoch: 2, index: 3, seed: 1 });
  assert.deepEqual(s.state(), { epoch: 3, index: 0, seed: 1 });
  s.load({ epoch: 2, index: 2, seed: 1 });
  assert.deepEqual(s.state(), { epoch: 2, index: 2, seed: 1 });
  assert.throws(() => s.load({ epoch: -1, index: 0, seed: 1 }), /state\.epoch must be an integer >= 0, got -1/);
  assert.throws(() => s.load({ epoch: 0, index: -1, seed: 1 }), /state\.index must be an integer in \[0, 3\], got -1/);
  assert.throws(() => s.load({ epoch: 0, index: 4, seed: 1 }), /state\.index must be an integer in \[0, 3\], got 4/);
  assert.throws(() => s.load({ epoch: 0, index: 0, seed: 0.5 }), /state\.seed must be a safe integer/);
  s.load({ epoch: 0, index: 0, seed: 7 });
  const fresh = new SemisupSource(lab, unl, opts({ seed: 7 }));
  const [a, b] = [s.batchAt(1, 2), fresh.batchAt(1, 2)];
  assert.ok(same(a.xl, b.xl) && same(a.u[0]!, b.u[0]!) && same(a.u[1]!, b.u[1]!), 'the loaded seed gives the fresh source\'s batches');
  torch.dispose(a, b);
  lab.dispose(); unl.dispose();
});

test('SemisupSource.batchAt: batch (epoch, index) is global batch epoch x stepsPerEpoch + index of each stream, whose own epochs wrap', async () => {
  const lab = makeSet(12, 1); // 3 labelled batches of 4 per pass
  const unl = makeSet(24, 2); // 3 unlabelled batches of 8 per pass
  const a = new SemisupSource(lab, unl, opts({ stepsPerEpoch: 2 }));
  const b = new SemisupSource(lab, unl, opts({ stepsPerEpoch: 5 }));
  // global batch 5: epoch 2 index 1 of a; epoch 1 index 0 of b
  const [x, y] = [a.batchAt(2, 1), b.batchAt(1, 0)];
  assert.ok(same(x.xl, y.xl) && same(x.yl, y.yl) && same(x.u[0]!, y.u[0]!), 'the same global batch');
  const z = a.batchAt(1, 1); // global batch 3
  assert.ok(!same(x.u[0]!, z.u[0]!), 'another global batch differs');
  // iteration yields the epoch's remaining batches, then the state points at the next epoch
  a.load({ epoch: 2, index: 1, seed: 1 });
  const got: torch.Tensor[] = [];
  for await (const batch of a) { got.push(batch.xl); torch.dispose(batch.yl, ...batch.u); }
  assert.equal(got.length, 1);
  assert.ok(same(got[0]!, x.xl));
  assert.deepEqual(a.state(), { epoch: 3, index: 0, seed: 1 });
  torch.dispose(x, y, z, got);
  lab.dispose(); unl.dispose();
});

test('SemisupSource.batchAt leaves nothing behind: with masked datasets (anomaly-style), the caller owns only xl, yl and the views', () => {
  const masked = (n: number, seed: number): Dataset => torch.tidy(() => {
    const d = makeSet(n, seed);
    return new Dataset({ images: d.images.clone(), labels: d.labels.clone(), masks: torch.zeros([n, 1, 8, 8], { dtype: 'uint8' }), classes: ['a', 'b', 'c'] });
  });
  const lab = masked(12, 1);
  const unl = masked(24, 2);
  const s = new SemisupSource(lab, unl, opts());
  torch.dispose(s.batchAt(0, 0)); // warm-up of any lazily kept state
  const before = torch.liveTensors();
  for (let i = 0; i < 3; i++) torch.dispose(s.batchAt(1, i));
  assert.equal(torch.liveTensors(), before);
  lab.dispose(); unl.dispose();
});

test('SemisupSource: every unlabelled batch has mu x B images, also when the unlabelled set is not a multiple of it (the remainder is dropped)', () => {
  const lab = makeSet(8, 1);
  const unl = makeSet(20, 2); // batches of 8: two full ones per pass, 4 left over
  const s = new SemisupSource(lab, unl, opts({ stepsPerEpoch: 6 }));
  for (let i = 0; i < 6; i++) {
    const b = s.batchAt(0, i);
    assert.deepEqual([b.xl.size(0), b.u[0]!.size(0), b.u[1]!.size(0)], [4, 8, 8], `batch ${i}`);
    torch.dispose(b);
  }
  lab.dispose(); unl.dispose();
});

test('SemisupSource views (weakAugment, strongAugment): padding from 0, cutout in (0, 1], size from 2, each refused beyond its bound', () => {
  weakAugment({ size: 2, padding: 0 });
  strongAugment({ size: 8, cutout: 1 });
  assert.throws(() => weakAugment({ size: 8, padding: -1 }), /padding must be an integer >= 0, got -1/);
  assert.throws(() => weakAugment({ size: 8, padding: 1.5 }), /padding must be an integer >= 0/);
  assert.throws(() => weakAugment({ size: 1 }), /size must be an integer >= 2, got 1/);
  assert.throws(() => strongAugment({ size: 8, cutout: 0 }), /cutout must be in \(0, 1\], got 0/);
  assert.throws(() => strongAugment({ size: 8, cutout: 1.01 }), /cutout must be in \(0, 1\]/);
});

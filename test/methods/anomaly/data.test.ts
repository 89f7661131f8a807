/** The procedural defect benchmark (seeded, masks mark changed pixels) and the validation anomalies (each kind changes the image, seeded). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/core/torch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/data/rng.js';
import { DEFECT_KINDS, generateDefectSet, plantDefect } from '../../../src/data/defects.js';
import { makeAnomalous, VALIDATION_AUGMENTATIONS } from '../../../src/methods/anomaly/index.js';

test('generateDefectSet: sizes, labels, masks only on defective images, seeded bytes, validation', () => {
  const live = torch.liveTensors();
  const a = generateDefectSet({ category: 'grating', seed: 3, train: 12, testGood: 4, testDefect: 8 });
  assert.deepEqual(a.train.images.shape, [12, 1, 28, 28]);
  assert.deepEqual(a.test.images.shape, [12, 1, 28, 28]);
  assert.deepEqual(Array.from(a.test.labelArray()), [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(a.defects.slice(4, 8), [...DEFECT_KINDS]);
  const area = Array.from({ length: 12 }, (_, i) => torch.tidy(() => a.test.masks!.narrow(0, i, 1).sum().item() as number));
  assert.ok(area.slice(0, 4).every((v) => v === 0) && area.slice(4).every((v) => v > 0), `mask areas ${area}`);
  const b = generateDefectSet({ category: 'grating', seed: 3, train: 12, testGood: 4, testDefect: 8 });
  assert.ok(torch.tidy(() => a.test.images.eq(b.test.images).all().item()), 'same seed, same bytes');
  const c = generateDefectSet({ category: 'grating', seed: 4, train: 12, testGood: 4, testDefect: 8 });
  assert.ok(!torch.tidy(() => a.test.images.eq(c.test.images).all().item()), 'another seed differs');
  for (const s of [a, b, c]) { s.train.dispose(); s.test.dispose(); }
  assert.throws(() => generateDefectSet({ category: 'carpet', seed: 0 }), ConfigError);
  assert.throws(() => generateDefectSet({ category: 'rings', seed: 0, train: 0 }), /train/);
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

test('plantDefect: every kind changes pixels only inside its mask', () => {
  const rng = new Rng(1);
  const base = Float32Array.from({ length: 784 }, (_, i) => 0.5 + 0.1 * Math.sin(i));
  const donor = Float32Array.from({ length: 784 }, (_, i) => (i % 7) / 7);
  for (const kind of DEFECT_KINDS) {
    const img = Float32Array.from(base);
    const mask = plantDefect(img, kind, rng, donor);
    let changedOutside = 0, changedInside = 0;
    for (let p = 0; p < 784; p++) {
      if (img[p] !== base[p]) { if (mask[p]) changedInside++; else changedOutside++; }
    }
    assert.equal(changedOutside, 0, kind);
    assert.ok(changedInside > 0, `${kind} changed nothing`);
  }
});

test('makeAnomalous: each kind alters every image, the result is seeded and in [0, 1]', () => {
  const live = torch.liveTensors();
  const x = torch.rand([5, 1, 12, 12], { generator: new torch.Generator(2) });
  for (const kind of VALIDATION_AUGMENTATIONS) {
    const r = makeAnomalous(x, [kind], new Rng(7));
    const again = makeAnomalous(x, [kind], new Rng(7));
    torch.tidy(() => {
      const diff = r.x.sub(x).abs().amax([1, 2, 3]);
      assert.ok((diff.min().item() as number) > 1e-3, `${kind}: an image was left unchanged`);
      assert.ok(r.x.eq(again.x).all().item(), `${kind}: not seeded`);
      assert.ok((r.x.min().item() as number) >= 0 && (r.x.max().item() as number) <= 1, `${kind}: out of range`);
    });
    assert.deepEqual(r.kinds, new Array(5).fill(kind));
    torch.dispose(r.x, again.x);
  }
  const mixed = makeAnomalous(x, ['cutout', 'mixup'], new Rng(0));
  assert.deepEqual(mixed.kinds, ['cutout', 'mixup', 'cutout', 'mixup', 'cutout']);
  mixed.x.dispose();
  assert.throws(() => makeAnomalous(x, ['blur' as never], new Rng(0)), ConfigError);
  x.dispose();
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

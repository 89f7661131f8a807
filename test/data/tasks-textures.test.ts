import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { generateTextures, loadTask, clearTaskCache, TEXTURE_CLASSES, type Dataset } from '../../src/data/index.js';
import { checkGenerator } from './procedural-check.js';


/** Features for a trivial nearest-centroid check: sorted standardised pixels (phase/position-free) and the global orientation coherence. */
function features(u8: Tensor): Tensor {
  const x = u8.float().div(255);
  const n = x.shape[0]!;
  const z = x.reshape([n, -1]);
  const q = z.sub(z.mean(1, true)).div(z.std(1, 1, true).clamp(1e-3, null)).sort(1)[0];
  const dx = x.narrow(3, 1, 27).sub(x.narrow(3, 0, 27)).narrow(2, 0, 27);
  const dy = x.narrow(2, 1, 27).sub(x.narrow(2, 0, 27)).narrow(3, 0, 27);
  const [jxx, jyy, jxy] = [dx.square(), dy.square(), dx.mul(dy)].map((j) => j.mean([1, 2, 3]));
  const coh = jxx!.sub(jyy!).square().add(jxy!.square().mul(4)).sqrt().div(jxx!.add(jyy!).clamp(1e-6, null));
  return torch.cat([q.div(28), coh.reshape([n, 1]).mul(3)], 1);
}

/** Test accuracy of a per-class mean (centroid) classifier on the given features. */
function nearestCentroid(train: Dataset, testSet: Dataset, feat: (x: Tensor) => Tensor): number {
  return torch.tidy(() => {
    const ftr = feat(train.images);
    const cents = torch.stack(TEXTURE_CLASSES.map((_, c) => ftr.indexSelect(0, train.labels.eq(c).nonzero().reshape([-1])).mean(0)));
    return testSet.labels.eq(torch.cdist(feat(testSet.images), cents).argmin(1)).float().mean().item() as number;
  });
}

test('generation is deterministic for a seed, differs across seeds and splits, and leaks nothing', () => {
  checkGenerator('generateTextures', generateTextures, ['grating', 'checkerboard', 'blobs', 'gabor-noise', 'rings']);
});

test('classes are distinguishable by a trivial classifier but not by templates, and images are not copies', () => {
  const tr = generateTextures({ perClass: 300, seed: 11, split: 'train' });
  const te = generateTextures({ perClass: 100, seed: 11, split: 'test' });
  try {
    const acc = nearestCentroid(tr, te, features);
    const rawAcc = nearestCentroid(tr, te, (x) => x.float().reshape([x.shape[0]!, -1]));
    console.log(`nearest-centroid accuracy (chance 0.2): sorted-pixel+coherence features ${acc.toFixed(3)}, raw mean images ${rawAcc.toFixed(3)}`);
    assert.ok(acc >= 0.45, `feature nearest-centroid accuracy ${acc} should be well above chance (0.2)`);
    assert.ok(rawAcc < 0.35, `raw-pixel (template) nearest-centroid accuracy ${rawAcc} should stay near chance: random phase and position`);
    const rows = torch.tidy(() => tr.images.reshape([tr.length, -1]).data() as Uint8Array);
    const seen = new Set<string>();
    for (let i = 0; i < tr.length; i++) seen.add(Buffer.from(rows.subarray(i * 784, (i + 1) * 784)).toString('base64'));
    assert.equal(seen.size, tr.length, 'no two images are identical');
    torch.tidy(() => {
      const x = tr.images.float();
      for (let c = 0; c < 5; c++) {
        const xc = x.indexSelect(0, tr.labels.eq(c).nonzero().reshape([-1]));
        const mean = xc.mean().item() as number;
        const within = xc.std(0, 1).mean().item() as number;
        assert.ok(Math.abs(mean - 127.5) < 12, `class ${c} mean brightness ${mean} (brightness must not give the class away)`);
        assert.ok(within > 20, `class ${c}: per-pixel spread across images ${within} (images must vary)`);
      }
    });
  } finally { tr.dispose(); te.dispose(); }
});

test('textures:target-far: sizes, budgets, fixed pixels with seeded splits, generation time', () => {
  clearTaskCache();
  const base = torch.liveTensors();
  const t0 = performance.now();
  const a = loadTask('textures:target-far', { labelsPerClass: 50, seed: 1 });
  const ms = performance.now() - t0;
  const b = loadTask('textures:target-far', { labelsPerClass: 100, seed: 2 });
  const c = loadTask('textures:target-far', { labelsPerClass: 50, seed: 1 });
  try {
    console.log(`T_far generation (30,000 train + 5,000 test images) and load: ${ms.toFixed(0)} ms with ${torch.getNumThreads()} libtorch threads`);
    assert.deepEqual(a.train.classCounts(), [50, 50, 50, 50, 50]);
    assert.deepEqual(a.unlabelled.classCounts(), [5950, 5950, 5950, 5950, 5950]);
    assert.deepEqual(a.test.classCounts(), [1000, 1000, 1000, 1000, 1000]);
    assert.deepEqual(b.train.classCounts(), [100, 100, 100, 100, 100]);
    assert.deepEqual(a.classes, TEXTURE_CLASSES);
    const [da, db, dc] = [a, b, c].map((t) => t.describe());
    assert.deepEqual(da.fingerprints, dc.fingerprints);
    assert.equal(da.fingerprints.test, db.fingerprints.test, 'the pixels are fixed; the seed only picks the splits');
    assert.notEqual(da.fingerprints.train, db.fingerprints.train);
    assert.equal(da.data.version, 1);
  } finally { for (const t of [a, b, c]) t.dispose(); }
  clearTaskCache();
  assert.equal(torch.liveTensors(), base);
});

/** Gaussian AD: Ledoit-Wolf vs sklearn's closed form, Mahalanobis vs explicit inverse, baselines, NPCA, two shifted Gaussians, end-to-end with a tiny CNN, no leaks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/core/torch.js';
import type { Tensor } from '../../../src/core/torch.js';
import { Dataset } from '../../../src/data/dataset.js';
import { DataLoader } from '../../../src/data/loader.js';
import { createModel } from '../../../src/models/index.js';
import { auroc, fitGaussian, GaussianAD, ledoitWolf, ledoitWolfShrinkage } from '../../../src/methods/anomaly/index.js';
import { ConfigError } from '../../../src/core/errors.js';

const N = 7, P = 4;
/** The fixed matrix X[i][j] = sin(3i + 7j + 1)(j + 1) + 0.1 i j (7 x 4). */
const ROWS = Array.from({ length: N }, (_, i) => Array.from({ length: P }, (_, j) => Math.sin(i * 3 + j * 7 + 1) * (j + 1) + 0.1 * i * j));
const fixed = (): Tensor => torch.tensor(ROWS, { dtype: 'float64' });
/** Generated with numpy running sklearn 1.x's ledoit_wolf_shrinkage / ledoit_wolf code verbatim on ROWS. */
const SK_SHRINK = 0.08115804594106657;
const SK_COV = [[0.602398775704591, 0.8867756847836255, 1.121396954765097, 0.46325414922926644],
  [0.8867756847836255, 3.4236890082281537, 4.384261387838402, 2.6033398756358044],
  [1.121396954765097, 4.384261387838402, 6.831410481731756, 4.448793064825388],
  [0.46325414922926644, 2.6033398756358044, 4.448793064825388, 4.228249702169444]];
const SK_MAHA = 4.016835710359489; // d^T inv(C) d with d = X[0] + 0.5 - mean

/** Plain-JS Ledoit-Wolf from the paper's per-sample form: beta = (1/n^2) sum_i ||x_i x_i^T - S||_F^2 / p. */
function referenceShrinkage(rows: number[][]): number {
  const n = rows.length, p = rows[0]!.length;
  const mean = Array.from({ length: p }, (_, j) => rows.reduce((a, r) => a + r[j]!, 0) / n);
  const xc = rows.map((r) => r.map((v, j) => v - mean[j]!));
  const S = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => xc.reduce((s, r) => s + r[a]! * r[b]!, 0) / n));
  const m = S.reduce((s, r, i) => s + r[i]!, 0) / p;
  let delta = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) delta += (S[a]![b]! - (a === b ? m : 0)) ** 2;
  delta /= p;
  let beta = 0;
  for (const r of xc) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) beta += (r[a]! * r[b]! - S[a]![b]!) ** 2;
  beta /= n * n * p;
  return Math.min(beta, delta) / delta;
}

const arr = (t: Tensor): number[] => Array.from(t.data() as Float64Array);

test('Ledoit-Wolf shrinkage and covariance match sklearn (fixture) and the paper formula (plain JS)', () => {
  const live = torch.liveTensors();
  const x = fixed();
  const s = ledoitWolfShrinkage(x);
  assert.ok(Math.abs(s - SK_SHRINK) < 1e-12, `shrinkage ${s} vs sklearn ${SK_SHRINK}`);
  assert.ok(Math.abs(s - referenceShrinkage(ROWS)) < 1e-12, 'shrinkage vs JS reference');
  const { covariance, shrinkage } = ledoitWolf(x);
  assert.equal(shrinkage, s);
  arr(covariance).forEach((v, i) => assert.ok(Math.abs(v - SK_COV[Math.floor(i / P)]![i % P]!) < 1e-12, `cov[${i}]`));
  const g = fitGaussian(x);
  const q = torch.tidy(() => g.mahalanobis(torch.tensor([ROWS[0]!.map((v) => v + 0.5)], { dtype: 'float64' })).item() as number);
  assert.ok(Math.abs(q - SK_MAHA) < 1e-10, `mahalanobis ${q} vs ${SK_MAHA}`);
  // a rank-deficient case (N < D) still factorises: shrinkage makes it positive definite
  const w = torch.randn([5, 12], { generator: new torch.Generator(3), dtype: 'float64' });
  const wide = fitGaussian(w);
  assert.ok(wide.shrinkage > 0 && wide.shrinkage <= 1 && wide.jitter === 0);
  torch.dispose([x, covariance, w]); g.dispose(); wide.dispose();
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

test('Mahalanobis equals (x - mu)^T inv(S) (x - mu) for every estimator; the mean scores 0; precision() is the inverse', () => {
  const live = torch.liveTensors();
  const gen = new torch.Generator(7);
  const train = torch.tidy(() => torch.mm(torch.randn([200, 6], { generator: gen }), torch.randn([6, 6], { generator: gen })).add(2));
  const test_ = torch.randn([9, 6], { generator: gen });
  for (const covariance of ['ledoit-wolf', 'empirical', 'diagonal', 'identity'] as const) {
    const g = fitGaussian(train, { covariance });
    torch.tidy(() => {
      const d = test_.to('float64').sub(g.mean);
      const sigma = covariance === 'identity' ? torch.eye(6, null, { dtype: 'float64' })
        : covariance === 'diagonal' ? torch.diag(g.covariance!) : g.covariance!;
      const explicit = torch.mm(d, torch.inverse(sigma)).mul(d).sum(1);
      const got = g.mahalanobis(test_);
      assert.equal(got.dtype, 'float64');
      assert.ok((torch.abs(got.sub(explicit)).max().item() as number) < 1e-8 * (explicit.max().item() as number), covariance);
      assert.ok((torch.abs(torch.mm(g.precision(), sigma).sub(torch.eye(6, null, { dtype: 'float64' }))).max().item() as number) < 1e-9, `${covariance} precision`);
      assert.ok(Math.abs(g.mahalanobis(g.mean.unsqueeze(0)).item() as number) < 1e-12, `${covariance}: mean scores 0`);
    });
    assert.equal(g.dof, 6);
    g.dispose();
  }
  assert.throws(() => fitGaussian(train, { covariance: 'full' as never }), /covariance must be/);
  assert.throws(() => fitGaussian(train, { varianceThreshold: 1 }), ConfigError);
  torch.dispose([train, test_]);
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

test('PCA / NPCA keep the documented components; two shifted Gaussians separate with AUROC >= 0.99 for every variant', () => {
  const live = torch.liveTensors();
  const gen = new torch.Generator(1);
  // variances 100, 30, 10, 3, 1, 0.3, 0.1, 0.03 along random orthogonal axes
  const [train, normal, anomal] = torch.tidy(() => {
    const [q] = torch.qr(torch.randn([8, 8], { generator: gen, dtype: 'float64' }));
    const sd = torch.tensor([10, 5.477, 3.162, 1.732, 1, 0.5477, 0.3162, 0.1732], { dtype: 'float64' });
    const draw = (n: number, shift: number) => torch.mm(torch.randn([n, 8], { generator: gen, dtype: 'float64' }).add(shift).mul(sd), q.t());
    return [draw(400, 0), draw(200, 0), draw(200, 3)];
  });
  const pca = fitGaussian(train, { projection: 'pca', varianceThreshold: 0.8 });
  const npca = fitGaussian(train, { projection: 'npca', varianceThreshold: 0.8 });
  // cumulative ratios ~ 0.692, 0.900 -> k* = 2 at threshold 0.8: PCA keeps 2, NPCA keeps components 1..8 from k*-1 = 1
  assert.equal(pca.dof, 2);
  assert.equal(npca.dof, 8);
  const npca99 = fitGaussian(train, { projection: 'npca', varianceThreshold: 0.99 });
  assert.ok(npca99.dof >= 4 && npca99.dof <= 6, `npca 0.99 keeps ${npca99.dof}`); // k* = 4 -> components 3..8
  const labels = [...new Array(200).fill(0), ...new Array(200).fill(1)];
  for (const o of [{}, { covariance: 'empirical' }, { covariance: 'diagonal' }, { projection: 'npca' }] as const) {
    const g = fitGaussian(train, o);
    const s = torch.tidy(() => [...arr(g.mahalanobis(normal)), ...arr(g.mahalanobis(anomal))]);
    const a = auroc(s, labels);
    assert.ok(a >= 0.99, `${JSON.stringify(o)}: AUROC ${a}`);
    g.dispose();
  }
  // through the detector, two stages of the same features, chi-square threshold near the nominal FPR
  const model = createModel('small_cnn', { channels: [2, 2], inputSize: 8 });
  const ad = new GaussianAD(model, { stages: ['block1', 'block2'], combine: 'sum' });
  ad.fitFeatures(new Map([['block1', train], ['block2', train]]));
  const r = ad.scoreFeatures(new Map([['block1', normal], ['block2', anomal]]));
  assert.deepEqual([...r.stages.keys()], ['block1', 'block2']);
  assert.ok(Math.abs((torch.tidy(() => r.combined.sub(r.stages.get('block1')!.add(r.stages.get('block2')!)).abs().max().item()) as number)) < 1e-9);
  const t = ad.chiSquareThreshold(0.05, 'block1');
  const fp = arr(r.stages.get('block1')!).filter((v) => v > t).length / 200;
  assert.ok(fp < 0.12, `false positives ${fp} at nominal 0.05`);
  assert.ok(Math.abs(ad.chiSquareThreshold(0.05) - 26.29622760486423) < 1e-4); // chi2.ppf(0.95, 16)
  torch.dispose([train, normal, anomal, r.combined, [...r.stages.values()]]); [pca, npca, npca99].forEach((g) => g.dispose()); ad.dispose(); model.dispose();
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

/** n uint8 images 1x16x16: noise plus horizontal (label 0) or vertical (label 1) stripes. */
function stripes(n: number, label: 0 | 1, seed: number): Dataset {
  return torch.tidy(() => {
    const g = new torch.Generator(seed);
    const noise = torch.rand([n, 1, 16, 16], { generator: g }).mul(60);
    const idx = torch.arange(16).remainder(4).lt(2).to('float32').mul(150);
    const pattern = label === 0 ? idx.reshape([1, 1, 16, 1]) : idx.reshape([1, 1, 1, 16]);
    const images = torch.clamp(noise.add(pattern), 0, 255).to('uint8');
    return new Dataset({ images, labels: torch.full([n], label, { dtype: 'int64' }), classes: ['normal', 'anomalous'] });
  });
}

test('end to end: GaussianAD on a tiny small_cnn separates stripe orientations; thresholds; no leaks', async () => {
  const live = torch.liveTensors();
  torch.manualSeed(5);
  const model = createModel('small_cnn', { channels: [4, 8], inputSize: 16, globalPool: true });
  const train = stripes(48, 0, 1);
  const testSet = torch.tidy(() => {
    const a = stripes(24, 0, 2), b = stripes(24, 1, 3);
    const d = new Dataset({ images: torch.cat([a.images, b.images]), labels: torch.cat([a.labels, b.labels]), classes: a.classes });
    a.dispose(); b.dispose();
    return d;
  });
  const ad = new GaussianAD(model, {});
  assert.deepEqual(ad.stages, ['block1', 'block2']);
  assert.ok(model.training);
  await ad.fit(new DataLoader(train, { batchSize: 16, seed: 1, prefetch: false }));
  assert.ok(ad.fitted && model.training, 'mode restored');
  const r = await ad.scoreAll(new DataLoader(testSet, { batchSize: 16, seed: 1, shuffle: false, prefetch: false }));
  assert.equal(r.combined.length, 48);
  const a = auroc(r.combined, r.labels);
  assert.ok(a >= 0.9, `AUROC ${a}`);
  const tEmp = ad.empiricalThreshold(r.combined.slice(0, 24), 0.1);
  assert.ok(r.combined.slice(0, 24).filter((v) => v > tEmp).length <= 2);
  assert.equal(ad.combine, 'mean-distance');
  assert.throws(() => ad.chiSquareThreshold(0.05), /mean-distance.*empiricalThreshold/);
  for (const combine of ['normalized', 'max', 'sum'] as const) {
    const ad2 = new GaussianAD(model, { combine, covariance: 'empirical' });
    await ad2.fit(new DataLoader(train, { batchSize: 16, seed: 1, prefetch: false }));
    const r2 = await ad2.scoreAll(new DataLoader(testSet, { batchSize: 16, seed: 1, shuffle: false, prefetch: false }));
    assert.ok(auroc(r2.combined, r2.labels) > 0.8, combine);
    if (combine === 'normalized') assert.throws(() => ad2.chiSquareThreshold(0.05), /empiricalThreshold/);
    else if (combine === 'sum') assert.ok(Math.abs(ad2.chiSquareThreshold(0.05) - 21.02607) < 1e-4, 'chi2.ppf(0.95, 12): 4 + 8 dims'); // chi-square table, df 12: 21.026
    else assert.ok(ad2.chiSquareThreshold(0.05) > 1);
    ad2.dispose();
  }
  assert.throws(() => new GaussianAD(model, { combine: 'mean' as never }), /combine must be 'mean-distance', 'sum'/);
  assert.throws(() => ad.gaussian('pool'), /not fitted/);
  ad.dispose(); model.dispose(); train.dispose(); testSet.dispose();
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

test("combine: the default averages the non-squared distances (official code) and ranks differently from the squared sum", () => {
  const live = torch.liveTensors();
  const model = createModel('small_cnn', { channels: [4, 8], inputSize: 16, globalPool: true });
  // identity covariance: d_l^2 = ||f_l - mu_l||^2; the fitting features of both stages have mean 0
  const fit = new Map([['block1', torch.tensor([[-1], [1]], { dtype: 'float64' })], ['block2', torch.tensor([[-1], [1]], { dtype: 'float64' })]]);
  // image a: distances (3, 0) -> squared sum 9, mean distance 1.5; image b: (2, 2) -> squared sum 8, mean distance 2
  const probe = new Map([['block1', torch.tensor([[3], [2]], { dtype: 'float64' })], ['block2', torch.tensor([[0], [2]], { dtype: 'float64' })]]);
  const labels = [0, 1]; // b is the anomaly
  const scores = (combine?: 'sum' | 'mean-distance'): number[] => {
    const ad = new GaussianAD(model, { covariance: 'identity', ...(combine ? { combine } : {}) });
    try {
      ad.fitFeatures(fit);
      return torch.tidy(() => {
        const r = ad.scoreFeatures(probe);
        assert.deepEqual(arr(r.stages.get('block1')!), [9, 4], 'per-stage scores stay squared distances');
        return arr(r.combined);
      });
    } finally { ad.dispose(); }
  };
  const official = scores();
  assert.ok(Math.abs(official[0]! - 1.5) < 1e-12 && Math.abs(official[1]! - 2) < 1e-12, `mean distances ${official}`);
  assert.deepEqual(scores('mean-distance'), official);
  assert.deepEqual(scores('sum'), [9, 8]);
  assert.equal(auroc(official, labels), 1, 'official combination ranks b above a');
  assert.equal(auroc(scores('sum'), labels), 0, 'the squared sum ranks a above b');
  // the fine-tuning loss goes through the same combination: its gradient is finite at the mean itself (d = 0)
  const ad = new GaussianAD(model, { covariance: 'identity' });
  ad.fitFeatures(fit);
  const x = torch.zeros([1, 1], { dtype: 'float64' }).requiresGrad_(true);
  const r = ad.scoreFeatures(new Map([['block1', x], ['block2', x]]));
  const loss = r.combined.sum();
  loss.backward();
  const grad = x.grad!;
  assert.ok(Number.isFinite(grad.item() as number), 'finite gradient at d = 0');
  torch.dispose([grad, loss, x, r.combined, ...r.stages.values(), ...fit.values(), ...probe.values()]);
  ad.dispose(); model.dispose();
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

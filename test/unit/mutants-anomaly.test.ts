/**
 * The anomaly method's statistics against explicit computations in plain JS (no function under test computes
 * an expected value): Ledoit-Wolf shrinkage (sklearn's formula in its per-sample form, including the
 * min(beta, delta) clamp that makes the shrinkage exactly 1 on small samples), the shrunk covariance and
 * Mahalanobis distances, and PaDiM's per-location mean / unbiased covariance + eps I / distance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import { createModel, type FeatureModel } from '../../src/models/index.js';
import { fitGaussian, ledoitWolf, ledoitWolfShrinkage } from '../../src/methods/anomaly/gaussian.js';
import { Padim } from '../../src/methods/anomaly/segment.js';

type Mat = number[][];
const meanOf = (X: Mat): number[] => X[0]!.map((_, j) => X.reduce((s, r) => s + r[j]!, 0) / X.length);
/** Covariance with divisor `div` of rows X around their mean. */
function cov(X: Mat, div: number): Mat {
  const m = meanOf(X);
  const d = m.length;
  const C = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const r of X) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) C[i]![j]! += (r[i]! - m[i]!) * (r[j]! - m[j]!) / div;
  return C;
}
/** sklearn's Ledoit-Wolf in the per-sample form: beta = (1/n^2) sum_i ||x_i x_i^T - S||_F^2 / d, delta = ||S - mu I||_F^2 / d, s = min(beta, delta) / delta. */
function explicitLw(X: Mat): { s: number; C: Mat; raw: number } {
  const n = X.length;
  const d = X[0]!.length;
  const m = meanOf(X);
  const S = cov(X, n);
  const mu = S.reduce((a, r, i) => a + r[i]!, 0) / d;
  let delta = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) delta += (S[i]![j]! - (i === j ? mu : 0)) ** 2 / d;
  let beta = 0;
  for (const r of X) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) beta += ((r[i]! - m[i]!) * (r[j]! - m[j]!) - S[i]![j]!) ** 2 / (n * n * d);
  const s = Math.min(beta, delta) / delta;
  return { s, raw: beta / delta, C: S.map((row, i) => row.map((v, j) => (1 - s) * v + (i === j ? s * mu : 0))) };
}
/** Solves A z = b (Gaussian elimination with partial pivoting). */
function solve(A: Mat, b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) { const f = M[r]![c]! / M[c]![c]!; for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!; }
  }
  const z = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) { let s = M[r]![n]!; for (let k = r + 1; k < n; k++) s -= M[r]![k]! * z[k]!; z[r] = s / M[r]![r]!; }
  return z;
}
const mahal2 = (C: Mat, m: number[], x: number[]): number => { const dx = x.map((v, i) => v - m[i]!); return solve(C, dx).reduce((s, z, i) => s + z * dx[i]!, 0); };
const toMat = (t: torch.Tensor): Mat => { const [r, c] = t.shape as [number, number]; const f = Array.from(t.contiguous().data() as Float64Array, Number); return Array.from({ length: r }, (_, i) => f.slice(i * c, i * c + c)); };
const close = (a: number, b: number, rel: number, what: string): void => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('Ledoit-Wolf: shrinkage exactly 1 when beta > delta (the min(beta, delta) clamp), covariance then mu I', () => {
  for (const X of [[[1, 0], [0, 1], [0, 0]], [[2, 0], [0, 1], [-1, 0], [0, -1]], [[1, 2], [2, 1], [0, 0]]]) {
    const e = explicitLw(X);
    assert.ok(e.raw > 1, `the unclamped ratio is ${e.raw} > 1 for ${JSON.stringify(X)}`);
    const x = torch.tensor(X, { dtype: 'float64' });
    assert.equal(ledoitWolfShrinkage(x), 1, `shrinkage of ${JSON.stringify(X)}`);
    const { covariance, shrinkage } = ledoitWolf(x);
    assert.equal(shrinkage, 1);
    toMat(covariance).forEach((r, i) => r.forEach((v, j) => close(v, e.C[i]![j]!, 1e-12, `C[${i}][${j}]`)));
    torch.dispose([x, covariance]);
  }
});

test('Ledoit-Wolf and Mahalanobis on a correlated sample: shrinkage in (0, 1), covariance and distances equal the explicit computation', () => {
  const X: Mat = Array.from({ length: 12 }, (_, i) => [i, 2 * i + (i % 3), (i * 7) % 5]);
  const e = explicitLw(X);
  assert.ok(e.s > 0.05 && e.s < 0.5, `a strictly partial shrinkage (${e.s})`);
  const x = torch.tensor(X, { dtype: 'float64' });
  close(ledoitWolfShrinkage(x), e.s, 1e-10, 'shrinkage');
  const g = fitGaussian(x, { covariance: 'ledoit-wolf' });
  close(g.shrinkage, e.s, 1e-10, 'Gaussian.shrinkage');
  toMat(g.covariance!).forEach((r, i) => r.forEach((v, j) => close(v, e.C[i]![j]!, 1e-10, `C[${i}][${j}]`)));
  const q: Mat = [[3, 5, 1], [11, 30, 0], [6, 12, 4]];
  const xq = torch.tensor(q, { dtype: 'float64' });
  const d2 = Array.from(g.mahalanobis(xq).data() as Float64Array);
  const m = meanOf(X);
  q.forEach((r, i) => close(d2[i]!, mahal2(e.C, m, r), 1e-9, `d2[${i}]`));
  // empirical + eps I: the 1/N covariance plus eps on the diagonal
  const ge = fitGaussian(x, { covariance: 'empirical', eps: 0.5 });
  const Ce = cov(X, X.length).map((r, i) => r.map((v, j) => v + (i === j ? 0.5 : 0)));
  const d2e = Array.from(ge.mahalanobis(xq).data() as Float64Array);
  q.forEach((r, i) => close(d2e[i]!, mahal2(Ce, m, r), 1e-9, `empirical d2[${i}]`));
  g.dispose(); ge.dispose(); torch.dispose([x, xq]);
});

test('PaDiM: per-location mean and unbiased covariance + eps I accumulated over batches; the score is the (unsquared) Mahalanobis distance', () => {
  torch.manualSeed(5);
  const model = createModel('cifar_resnet20', { width: 4, inChannels: 1, numClasses: 2 }) as FeatureModel;
  const gen = new torch.Generator(8);
  const normal = torch.tidy(() => torch.rand([11, 1, 8, 8], { generator: gen }));
  const probe = torch.tidy(() => torch.rand([2, 1, 8, 8], { generator: gen }).mul(1.5));
  const padim = new Padim(model, { sigma: 0, eps: 0.05 });
  padim.fit([normal.narrow(0, 0, 6), normal.narrow(0, 6, 5)]);
  const emb = padim.embed(normal); // [N, L, D], the embeddings the statistics are made of
  const embP = padim.embed(probe);
  const [n, L, D] = emb.shape as [number, number, number];
  assert.equal(L, 64);
  const E = Array.from(emb.data() as Float64Array);
  const P = Array.from(embP.data() as Float64Array);
  const maps = Array.from(padim.scoreMaps(probe).data() as Float32Array); // [2, 1, 8, 8]: the grid is the image size
  assert.equal(maps.length, 2 * L);
  for (let l = 0; l < L; l++) {
    const X: Mat = Array.from({ length: n }, (_, i) => E.slice((i * L + l) * D, (i * L + l + 1) * D));
    const C = cov(X, n - 1).map((r, i) => r.map((v, j) => v + (i === j ? 0.05 : 0)));
    const m = meanOf(X);
    for (let k = 0; k < 2; k++) {
      const want = Math.sqrt(mahal2(C, m, P.slice((k * L + l) * D, (k * L + l + 1) * D)));
      close(maps[k * L + l]!, want, 2e-5, `score of probe ${k} at location ${l}`);
    }
  }
  torch.dispose([emb, embP, normal, probe]);
  padim.dispose(); model.dispose();
});

test('a singular covariance gets the smallest jitter that works (1e-10 x mean diagonal), not a large one', () => {
  // 3 samples in 5 dimensions: the empirical covariance (eps 0) has rank 2, so the plain Cholesky fails
  const X: Mat = [[1, 2, 0, 1, 3], [0, 1, 1, 2, 1], [2, 0, 1, 1, 0]];
  const x = torch.tensor(X, { dtype: 'float64' });
  const g = fitGaussian(x, { covariance: 'empirical', eps: 0 });
  const C = cov(X, 3);
  const scale = C.reduce((s, r, i) => s + r[i]!, 0) / 5;
  assert.ok(g.jitter > 0, 'jitter was needed');
  close(g.jitter, scale * 1e-10, 1e-12, 'the first jitter tried');
  g.dispose(); x.dispose();
});

test('Padim: options are checked (eps, sigma), sigma defaults to 1, finalize needs 2 images, dispose frees everything; empiricalThreshold refuses no scores', async () => {
  const { empiricalThreshold } = await import('../../src/methods/anomaly/stats.js');
  torch.manualSeed(5);
  const model = createModel('cifar_resnet20', { width: 4, inChannels: 1, numClasses: 2 }) as FeatureModel;
  for (const o of [{ eps: -1 }, { eps: NaN }, { eps: Infinity }]) assert.throws(() => new Padim(model, o), /padim eps must be a finite number >= 0/, JSON.stringify(o));
  for (const o of [{ sigma: -1 }, { sigma: NaN }, { sigma: Infinity }]) assert.throws(() => new Padim(model, o), /padim sigma must be a finite number >= 0/, JSON.stringify(o));
  for (const layers of [[], 'layer1']) assert.throws(() => new Padim(model, { layers: layers as string[] }), /padim layers must be a non-empty list of tap names/, JSON.stringify(layers));
  assert.equal(new Padim(model).sigma, 1);
  assert.equal(new Padim(model).eps, 0.01);
  const live = torch.liveTensors();
  const one = torch.rand([1, 1, 8, 8]);
  const p = new Padim(model, { sigma: 0 });
  p.partialFit(one);
  assert.throws(() => p.finalize(), /needs at least 2 normal images, got 1/);
  p.partialFit(one);
  p.finalize();
  p.dispose();
  one.dispose();
  assert.equal(torch.liveTensors(), live, 'no tensor left after dispose');
  assert.throws(() => empiricalThreshold([], 0.1), /no scores/);
  model.dispose();
});

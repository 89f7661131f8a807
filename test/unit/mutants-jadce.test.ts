/**
 * Mutation-guided tests of the JADCE baselines and metrics on hand-computed cases (issue 23, area jadce):
 * group-ISTA / FISTA against a plain-JS iteration on a diagonal problem, the step size, kappa, row detection at
 * its threshold, metric edge cases and accumulation, the threshold sweep's edges, one and two MMV-AMP iterations
 * composed from the (separately verified) denoiser, EM's estimates by their formulas, the re-estimate on a
 * 2 x 2 case, and the complex helpers. Tiny tensors only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import {
  abs2, addBatch, addScores, asComplex, bgDenoise, crandn, defaultKappa, detectRows, emptyTally, emStep, fro2, groupIsta, groupSoft, herm, lipschitz,
  metricsOf, mmvAmp, posteriorActivity, reestimate, rocOf, rowEnergy, type ScoreBag,
} from '../../src/methods/jadce/index.js';

torch.setNumThreads(1);
const close = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol;
const cplx = (re: number[][][], im?: number[][][]): Tensor => torch.tidy(() => torch.complex(torch.tensor(re, { dtype: 'float32' }), im ? torch.tensor(im, { dtype: 'float32' }) : torch.zeros([re.length, re[0]!.length, re[0]![0]!.length])));
const re = (t: Tensor): number[] => torch.tidy(() => [...(torch.real(t).contiguous().data() as Float32Array)]);
const arr = (t: Tensor): number[] => torch.tidy(() => [...(t.to('float64').contiguous().data() as Float64Array)]);

/** Plain-JS group-ISTA / FISTA for a diagonal Phi = diag(s) with one antenna (rows decouple): min 1/2 sum (s x - y)^2 + kappa sum |x|. */
function istaJs(s: number[], y: number[], kappa: number, iters: number, fista: boolean): number[] {
  const L = Math.max(...s.map((v) => v * v));
  const soft = (v: number, t: number): number => Math.sign(v) * Math.max(0, Math.abs(v) - t);
  let x = s.map(() => 0);
  let v = [...x];
  let t = 1;
  for (let k = 0; k < iters; k++) {
    const xn = v.map((vi, i) => soft(vi - (s[i]! * (s[i]! * vi - y[i]!)) / L, kappa / L));
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    v = fista ? xn.map((xi, i) => xi + ((t - 1) / tn) * (xi - x[i]!)) : xn;
    x = xn;
    t = tn;
  }
  return x;
}

test('group-ISTA and FISTA equal a plain-JS iteration on a diagonal problem (step 1 / ||Phi||^2, threshold kappa / ||Phi||^2)', () => {
  const s = [2, 1, 0.5];
  const y = [3, -1.2, 0.4];
  const phi = cplx([[[2, 0, 0], [0, 1, 0], [0, 0, 0.5]]]);
  const yt = cplx([[[3], [-1.2], [0.4]]]);
  for (const fista of [false, true]) {
    for (const iters of [1, 2, 5]) {
      const x = groupIsta(yt, phi, { iterations: iters, kappa: 0.3, fista });
      const want = istaJs(s, y, 0.3, iters, fista);
      const got = re(x);
      got.forEach((v, i) => assert.ok(close(v, want[i]!, 1e-5), `fista ${fista}, ${iters} iterations, x[${i}] ${v} vs ${want[i]}`));
      x.dispose();
    }
  }
  const ista5 = istaJs(s, y, 0.3, 5, false);
  const fista5 = istaJs(s, y, 0.3, 5, true);
  assert.ok(Math.abs(ista5[1]! - fista5[1]!) > 1e-3, 'the two differ on this case, so the comparison can tell them apart');
  phi.dispose(); yt.dispose();
});

test('lipschitz = largest squared singular value per slot; defaultKappa = reg sigma (sqrt M + sqrt(2 ln N)); groupSoft zeroes rows under theta', () => {
  const phi = cplx([[[3, 0], [0, 1]], [[0, 0.5], [0.5, 0]]]);
  const l = lipschitz(phi);
  assert.deepEqual(l.shape, [2, 1, 1]);
  assert.ok(close(arr(l)[0]!, 9, 1e-4) && close(arr(l)[1]!, 0.25, 1e-6), `${arr(l)}`);
  const single = cplx([[[0, 2], [2, 0]]]).squeeze(0); // one Phi [L, N] shared by every slot
  const ls = lipschitz(single);
  assert.deepEqual(ls.shape, [1, 1, 1]);
  assert.ok(close(arr(ls)[0]!, 4, 1e-5), `${arr(ls)}`);
  torch.dispose([single, ls]);
  assert.ok(close(defaultKappa(2, 0.25, 4, Math.exp(2)), 2 * 0.5 * (2 + 2), 1e-12));
  assert.ok(close(defaultKappa(1, 1, 9, Math.exp(8)), 3 + 4, 1e-12));
  const x = cplx([[[3, 0], [0.6, 0.8]]], [[[0, 4], [0, 0]]]); // row norms 5 and 1
  const g = groupSoft(x, torch.tensor([[[1], [2]]], { dtype: 'float32' }));
  assert.ok(close(arr(rowEnergy(g))[0]!, 16, 1e-4) && arr(rowEnergy(g))[1] === 0, 'per-row theta: 5 -> 4, 1 -> 0');
  assert.ok(close(re(g)[0]!, 3 * 0.8, 1e-6), 'the row is scaled, its direction kept');
  torch.dispose([phi, l, x, g]);
});

test('detectRows: active iff ||x_n||^2 >= thr * M * beta_n (equality counts as active)', () => {
  const x = cplx([[[2, 0], [1, 0], [0.5, 0.5], [0, 0]]]); // energies 4, 1, 0.5, 0; M = 2
  const beta = torch.tensor([[1, 0.5, 1, 0.1]], { dtype: 'float32' });
  const d = detectRows(x, beta, 1); // thresholds 2, 1, 2, 0.2
  assert.deepEqual(arr(d), [1, 1, 0, 0]);
  assert.deepEqual(arr(detectRows(x, beta, 0.25)), [1, 1, 1, 0]); // thresholds 0.5, 0.25, 0.5, 0.05
  torch.dispose([x, beta, d]);
});

test('metrics accumulate over batches; P_MD is 0 with no active device, P_FA 0 with no inactive one, P_e 0 with no device; NMSE in dB', () => {
  const t1 = torch.tidy(() => addBatch(emptyTally(), cplx([[[2], [0]]]), cplx([[[1], [0]]]), torch.tensor([[1, 1]], { dtype: 'float32' }), torch.tensor([[1, 0]], { dtype: 'float32' })));
  assert.deepEqual(t1, { slots: 1, devices: 2, errEnergy: 1, energy: 1, active: 1, missed: 0, falseAlarms: 1 });
  const t2 = torch.tidy(() => addBatch(t1, cplx([[[0], [0]], [[3], [0]]]), cplx([[[1], [0]], [[1], [1]]]), torch.tensor([[0, 0], [1, 0]], { dtype: 'float32' }), torch.tensor([[1, 0], [1, 1]], { dtype: 'float32' })));
  assert.deepEqual(t2, { slots: 3, devices: 6, errEnergy: 1 + 1 + 4 + 1, energy: 1 + 1 + 2, active: 4, missed: 2, falseAlarms: 1 });
  const m = metricsOf(t2);
  assert.ok(close(m.nmseDb, 10 * Math.log10(7 / 4), 1e-12));
  assert.deepEqual([m.pMd, m.pFa, m.pe, m.peAvg], [2 / 4, 1 / 2, 3 / 6, (0.5 + 0.5) / 2]);
  assert.deepEqual([metricsOf({ ...t2, active: 0, missed: 0 }).pMd, metricsOf({ ...t2, active: 6 }).pFa, metricsOf(emptyTally()).pe], [0, 0, 0]);
  assert.equal(metricsOf({ ...t2, active: 0, missed: 0, falseAlarms: 3 }).pFa, 3 / 6);
  const one = metricsOf({ slots: 1, devices: 1, errEnergy: 1, energy: 4, active: 1, missed: 1, falseAlarms: 0 });
  assert.deepEqual([one.pMd, one.pFa, one.pe], [1, 0, 1], 'a single device counts');
});

test('threshold sweep edges: no inactive scores or an unreachable level give no point; no active scores give P_MD 0; addScores splits at 0.5', () => {
  assert.deepEqual(rocOf({ active: [1], inactive: [] }, [0.1]), { pFa: [], pMd: [] });
  assert.deepEqual(rocOf({ active: [5, 0], inactive: [1, 2] }, [0.4, 0.5, 1]), { pFa: [0, 0.5], pMd: [0.5, 0.5] });
  assert.deepEqual(rocOf({ active: [], inactive: [1, 2, 3, 4] }, [0.25]), { pFa: [0.25], pMd: [0] });
  assert.deepEqual(rocOf({ active: [2.5, 3], inactive: [1, 2, 3, 4] }, [0.25]), { pFa: [0.25], pMd: [1] }, 'threshold 3 (one false alarm, 4): 2.5 and 3 (not above) are missed');
  assert.deepEqual(rocOf({ active: [2.5, 3.5], inactive: [1, 2, 3, 4] }, [0.25, 0.5]), { pFa: [0.25, 0.5], pMd: [0.5, 0] });
  // the default sweep reports the P_FA levels 1e-4 ... 0.3 exactly when there are enough inactive scores
  const levels = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3];
  const many = rocOf({ active: [0.5], inactive: Array.from({ length: 10000 }, (_, i) => i + 1) });
  assert.deepEqual(many.pFa, levels);
  assert.deepEqual(many.pMd, levels.map(() => 1));
  assert.deepEqual(rocOf({ active: [], inactive: Array.from({ length: 10 }, (_, i) => i) }).pFa, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.3], 'with 10 scores a level under 1/10 allows no false alarm: P_FA 0');
  const bag: ScoreBag = { active: [], inactive: [] };
  const sc = torch.tensor([[0.1, 0.2], [0.3, 0.4]], { dtype: 'float32' });
  const ac = torch.tensor([[1, 0], [0.5, 0.6]], { dtype: 'float32' });
  addScores(bag, sc, ac);
  assert.deepEqual(bag.active.map((v) => +v.toFixed(6)), [0.1, 0.4]);
  assert.deepEqual(bag.inactive.map((v) => +v.toFixed(6)), [0.2, 0.3]);
  sc.dispose(); ac.dispose();
});

test('MMV-AMP: one and two iterations equal the iteration composed by hand from the denoiser (damping, Onsager, tau^2, noise estimate, traces)', () => {
  torch.manualSeed(5);
  const [L, N, D] = [4, 6, 2];
  const phi = torch.tidy(() => crandn([1, L, N], 1 / L));
  const truth = torch.tidy(() => crandn([1, N, D], 1).mul(asComplex(torch.tensor([[[1], [0], [0], [1], [0], [0]]], { dtype: 'float32' }))));
  const y = torch.tidy(() => phi.matmul(truth).add(crandn([1, L, D], 0.01)));
  const beta0 = torch.ones([1, N]);
  const lam = 0.3, damp = 0.7;
  torch.tidy(() => {
    const g0 = beta0.unsqueeze(-1);
    const tau = (z: Tensor): Tensor => fro2(z).div(L * D);
    const lamT = torch.full([1, 1, 1], lam, { dtype: 'float32' });
    // iteration 1 from x = 0, z = y
    const r1 = herm(phi).matmul(y);
    const den1 = bgDenoise(r1, lamT, g0, tau(y), false);
    const x1 = den1.x.mul(damp);
    const z1 = y.sub(phi.matmul(x1)).add(y.mul(asComplex(den1.div.mul(N / L))));
    // iteration 2
    const r2 = herm(phi).matmul(z1).add(x1);
    const den2 = bgDenoise(r2, lamT, g0, tau(z1), false);
    const x2 = den2.x.mul(damp).add(x1.mul(1 - damp));
    const one = mmvAmp(y, phi, beta0, { iterations: 1, damping: damp, lambda: lam, em: false, truth, columnNorm: false });
    const two = mmvAmp(y, phi, beta0, { iterations: 2, damping: damp, lambda: lam, em: false, truth, columnNorm: false });
    const diff = (a: Tensor, b: Tensor): number => Number(abs2(a.sub(b)).max().item());
    assert.ok(diff(one.x, x1) < 1e-10, `1 iteration: ${diff(one.x, x1)}`);
    assert.ok(diff(two.x, x2) < 1e-10, `2 iterations: ${diff(two.x, x2)}`);
    // the detection statistics use the last r with the tau^2 it was formed at
    assert.ok(Number(two.pi.sub(posteriorActivity(r2, lam, g0, tau(z1)).squeeze(-1)).abs().max().item()) < 1e-6);
    assert.ok(Number(two.piLlr.sub(posteriorActivity(r2, 0.5, g0, tau(z1)).squeeze(-1)).abs().max().item()) < 1e-6);
    assert.ok(Number(two.logOdds.sigmoid().sub(two.pi).abs().max().item()) < 1e-6);
    assert.ok(close(arr(two.noiseVar)[0]!, Number(fro2(y.sub(phi.matmul(x2))).item()) / (L * D), 1e-7));
    assert.deepEqual(arr(two.lambda).map((v) => +v.toFixed(6)), [lam]);
    assert.equal(two.errTrace!.length, 2);
    assert.ok(close(two.errTrace![0]!, Number(fro2(x1.sub(truth)).item()), 1e-5) && close(two.errTrace![1]!, Number(fro2(x2.sub(truth)).item()), 1e-5));
    assert.ok(close(two.tau2Trace![0]!, Number(tau(y).item()), 1e-7) && close(two.tau2Trace![1]!, Number(tau(z1).item()), 1e-7));
    const none = mmvAmp(y, phi, beta0, { iterations: 2, damping: damp, lambda: lam, em: false, onsager: 'none', columnNorm: false });
    const z1n = y.sub(phi.matmul(x1));
    const r2n = herm(phi).matmul(z1n).add(x1);
    const x2n = bgDenoise(r2n, lamT, g0, tau(z1n), false).x.mul(damp).add(x1.mul(1 - damp));
    assert.ok(diff(none.x, x2n) < 1e-10, 'onsager none: plain residual');
    assert.equal(none.errTrace, undefined);
    const mat = mmvAmp(y, phi, beta0, { iterations: 2, damping: damp, lambda: lam, em: false, onsager: 'matrix', columnNorm: false });
    const den1m = bgDenoise(r1, lamT, g0, tau(y), true);
    const z1m = y.sub(phi.matmul(x1)).add(y.matmul(den1m.jacMean!).mul(N / L));
    const r2m = herm(phi).matmul(z1m).add(x1);
    const x2m = bgDenoise(r2m, lamT, g0, tau(z1m), false).x.mul(damp).add(x1.mul(1 - damp));
    assert.ok(diff(mat.x, x2m) < 1e-10, 'onsager matrix: Z times the mean Jacobian');
  });
  torch.dispose([phi, truth, y, beta0]);
});

test('emStep: lambda = mean pi (clamped to [1e-4, 1 - 1e-4]), scale = sum pi E||h||^2 / (D sum pi) with E||h||^2 = (a^2 ||r||^2 + D a tau2) / beta0', () => {
  torch.tidy(() => {
    const r = cplx([[[2, 0], [0.1, 0], [0, 1]]], [[[0, 1], [0, 0], [1, 0]]]); // ||r||^2: 5, 0.01, 2; D = 2
    const lambda = torch.full([1, 1, 1], 0.4, { dtype: 'float32' });
    const scale = torch.full([1, 1, 1], 2, { dtype: 'float32' });
    const beta0 = torch.tensor([[[1], [0.5], [2]]], { dtype: 'float32' });
    const tau2 = torch.full([1, 1, 1], 0.5, { dtype: 'float32' });
    const out = emStep(r, lambda, scale, beta0, tau2);
    const pi = arr(posteriorActivity(r, lambda, beta0.mul(2), tau2));
    const e = [5, 0.01, 2], b0 = [1, 0.5, 2];
    const a = b0.map((b) => (2 * b) / (2 * b + 0.5));
    const eh = e.map((en, i) => (a[i]! ** 2 * en + 2 * a[i]! * 0.5) / b0[i]!);
    const s = pi.reduce((acc, p, i) => acc + p * eh[i]!, 0) / (2 * pi.reduce((x, y) => x + y, 0));
    assert.ok(close(arr(out.lambda)[0]!, (pi[0]! + pi[1]! + pi[2]!) / 3, 1e-6), `${arr(out.lambda)} vs ${pi}`);
    assert.ok(close(arr(out.scale)[0]!, s, 1e-5), `${arr(out.scale)} vs ${s}`);
    const tiny = emStep(cplx([[[0, 0]]]), torch.full([1, 1, 1], 1e-3, { dtype: 'float32' }), scale, torch.ones([1, 1, 1]), tau2);
    assert.ok(close(arr(tiny.lambda)[0]!, 1e-4, 1e-9), 'lambda clamped at 1e-4');
    // one row, r = 0: E||h||^2 = D a tau2 / beta0 = 2 * 0.8 * 0.5 = 0.8, so scale = pi 0.8 / (2 pi) = 0.4 whatever the tiny pi (~4e-5)
    assert.ok(close(arr(tiny.scale)[0]!, 0.4, 1e-6), `${arr(tiny.scale)}`);
  });
});

test('re-estimate on a 2 x 2 case: LMMSE B Phi^H (Phi B Phi^H + s2 I)^-1 y per slot noise; LS is its s2 -> 0 limit', () => {
  torch.tidy(() => {
    const phi = cplx([[[1, 0], [0, 1]]]);
    const y = cplx([[[1], [1]], [[1], [1]]]);
    const support = torch.tensor([[1, 0], [1, 1]], { dtype: 'float32' });
    const beta = torch.tensor([[2, 3], [2, 3]], { dtype: 'float32' });
    const lm = re(reestimate(y, phi, support, beta, torch.tensor([1, 3], { dtype: 'float32' }), 'lmmse'));
    // slot 0: diag(2, 0): x = [2/3, 0]; slot 1 (noise 3): diag(2, 3): x = [2/5, 3/6]
    [2 / 3, 0, 2 / 5, 0.5].forEach((v, i) => assert.ok(close(lm[i]!, v, 1e-6), `lmmse ${lm}`));
    const scalar = re(reestimate(y, phi, support, beta, 1, 'lmmse'));
    [2 / 3, 0, 2 / 3, 3 / 4].forEach((v, i) => assert.ok(close(scalar[i]!, v, 1e-6), `lmmse scalar noise ${scalar}`));
    const ls = re(reestimate(y, phi, support, beta, 1, 'ls'));
    [1, 0, 1, 1].forEach((v, i) => assert.ok(close(ls[i]!, v, 1e-5), `ls ${ls}`));
  });
});

test('complex helpers: herm conjugates and transposes, abs2 / rowEnergy / fro2 by hand, crandn has variance v split evenly, asComplex has imaginary part 0', () => {
  torch.tidy(() => {
    const z = cplx([[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]);
    const h = herm(z);
    assert.deepEqual(re(h), [1, 3, 2, 4]);
    assert.deepEqual([...(torch.imag(h).contiguous().data() as Float32Array)], [-5, -7, -6, -8]);
    assert.deepEqual(arr(abs2(z)), [26, 40, 58, 80]);
    assert.deepEqual(arr(rowEnergy(z)), [66, 138]);
    assert.deepEqual(rowEnergy(z).shape, [1, 2, 1]);
    assert.deepEqual(arr(fro2(z)), [204]);
    assert.deepEqual(fro2(z).shape, [1, 1, 1]);
    const c = crandn([20000], 3, new torch.Generator(1));
    const vr = Number(torch.real(c).square().mean().item()), vi = Number(torch.imag(c).square().mean().item());
    assert.ok(close(vr, 1.5, 0.06) && close(vi, 1.5, 0.06), `re ${vr} im ${vi}`);
    const a = asComplex(torch.tensor([1.5, -2], { dtype: 'float32' }));
    assert.deepEqual([re(a), [...(torch.imag(a).data() as Float32Array)]], [[1.5, -2], [0, 0]]);
  });
});

/** semisup losses on hand-computed tiny cases: entropy gate, AKC, MMD, FIFO tables, warm-ups, pseudo-label mask, EMA, sharpening, BN stats frozen, config errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/core/torch.js';
import {
  akcLoss, cosineFactor, EmaModel, emaDecayAt, entropyGate, FeatureTable, gaussianKernel, linearWarmup, maskedCrossEntropy, meanTeacherLoss, mmd2,
  ictLoss, mixmatchLoss, pseudoLabelLoss, sharpen, softmaxMse, validateSemisupConfig, withBatchStatsOnly,
} from '../../../src/methods/semisup/index.js';
import type { FeatureModel } from '../../../src/models/index.js';
import { Rng } from '../../../src/data/rng.js';
import { tinyResNet } from '../finetune-fixtures.js';

const t = (rows: number[][]) => torch.tensor(Float32Array.from(rows.flat()), { shape: [rows.length, rows[0]!.length] });
const val = (x: torch.Tensor) => Number(x.item());
const near = (a: number, b: number, eps = 1e-6, what = '') => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${what} ${a} vs ${b}`);

test('entropy gate: H <= tau log K by hand (uniform rejected, confident kept, tau 1 keeps uniform)', () => torch.tidy(() => {
  const logits = t([[0, 0, 0], [10, 0, 0], [1, 0.5, 0]]);
  // H of softmax([1, .5, 0]) by hand
  const e = [Math.exp(1), Math.exp(0.5), 1];
  const z = e[0]! + e[1]! + e[2]!;
  const h3 = -e.reduce((s, v) => s + (v / z) * Math.log(v / z), 0);
  const tau3 = h3 / Math.log(3);
  assert.deepEqual([...entropyGate(logits, 0.7).data() as Float32Array], [0, 1, 0]);
  assert.deepEqual([...entropyGate(logits, 1).data() as Float32Array], [1, 1, 1]);
  assert.deepEqual([...entropyGate(logits, tau3 + 1e-4).data() as Float32Array], [0, 1, 1]);
  assert.deepEqual([...entropyGate(logits, tau3 - 1e-4).data() as Float32Array], [0, 1, 0]);
  const g = torch.randn([4, 3]).requiresGrad_(true);
  assert.equal(entropyGate(g, 0.7).requiresGrad, false);
}));

test('AKC: 0 when target equals source; masked mean of the scaled squared distance by hand; gradient only to the target', () => torch.tidy(() => {
  const s = t([[1, 2], [3, 4], [0, 0]]);
  assert.equal(val(akcLoss(s.clone(), s, torch.ones([3]), 100)), 0);
  const tg = t([[2, 2], [3, 6], [5, 5]]).requiresGrad_(true);
  const mask = torch.tensor(Float32Array.from([1, 1, 0]));
  // rows: (1 + 0)/10 = 0.1, (0 + 4)/10 = 0.4, masked out; mean over 2 selected = 0.25
  const l = akcLoss(tg, s, mask, 10);
  near(val(l), 0.25, 1e-6, 'akc');
  assert.equal(val(akcLoss(tg, s, torch.zeros([3]), 10)), 0, 'no selection: sum 0 / max(0, 1)');
  l.backward();
  assert.deepEqual([...tg.grad!.data() as Float32Array].map((v) => +v.toFixed(6)), [0.1, 0, 0, 0.2, 0, 0]);
}));

test('MMD: identical sets give 0; a 1-d case by hand; Gaussian kernel uses the mean over dimensions', () => torch.tidy(() => {
  const x = torch.randn([5, 4]);
  near(val(mmd2(x, x.clone())), 0, 1e-6, 'mmd(x, x)');
  const a = t([[0], [1]]);
  const b = t([[2]]);
  const E = Math.exp;
  near(val(mmd2(a, b)), (2 + 2 * E(-1)) / 4 + 1 - 2 * ((E(-4) + E(-1)) / 2), 1e-6, 'mmd 1-d');
  near(val(gaussianKernel(t([[0, 0]]), t([[1, 3]]))), E(-(1 + 9) / 2), 1e-6, 'kernel mean over d');
  assert.ok(val(mmd2(torch.randn([20, 3]), torch.randn([20, 3]).add(2))) > 0.1);
}));

test('FIFO table: appends, drops the oldest beyond its size, stores detached copies; gradient flows only through the current batch', () => {
  const table = new FeatureTable(3);
  const a = torch.keep(t([[1, 1], [2, 2]]).requiresGrad_(true));
  const b = torch.keep(t([[3, 3], [4, 4]]).requiresGrad_(true));
  torch.tidy(() => {
    const r1 = table.push(a);
    assert.equal(r1.size(0), 2);
    assert.equal(table.rows!.requiresGrad, false);
    const r2 = table.push(b);
    assert.deepEqual([...r2.detach().data() as Float32Array], [2, 2, 3, 3, 4, 4], 'oldest row dropped');
    assert.deepEqual([...table.rows!.data() as Float32Array], [2, 2, 3, 3, 4, 4]);
    r2.sum().backward();
  });
  assert.equal(a.grad, null, 'no gradient into an earlier batch');
  assert.deepEqual([...b.grad!.data() as Float32Array], [1, 1, 1, 1]);
  assert.equal(table.length, 3);
  table.load(null);
  assert.equal(table.length, 0);
  table.dispose(); a.dispose(); b.dispose();
});

test('warm-ups: linear lambda(t) = lambda min(1, t/T); cosine factor; EMA decay min(1 - 1/t, d)', () => {
  assert.equal(linearWarmup(50, 100, 1), 0.5);
  assert.equal(linearWarmup(50, 100, 50), 25);
  assert.equal(linearWarmup(50, 100, 100), 50);
  assert.equal(linearWarmup(50, 100, 500), 50);
  assert.equal(linearWarmup(1, 0, 1), 1);
  assert.equal(cosineFactor(0, 100, 7.9 / 16), 1);
  near(cosineFactor(50, 100, 7.9 / 16), Math.cos(Math.PI * 7.9 / 32));
  assert.ok(cosineFactor(100, 100, 7.9 / 16) > 0 && cosineFactor(100, 100, 0.5) < 1e-12);
  assert.equal(emaDecayAt(0.999, 1, true), 0);
  assert.equal(emaDecayAt(0.999, 10, true), 0.9);
  assert.equal(emaDecayAt(0.999, 1e6, true), 0.999);
  assert.equal(emaDecayAt(0.999, 1, false), 0.999);
});

test('FixMatch / Pseudo Label: mask is max p >= threshold; CE on the second view averaged over ALL examples', () => torch.tidy(() => {
  const l = (p: number) => Math.log(p / ((1 - p) / 2)); // logits [l, 0, 0] give max prob p
  const weak = t([[l(0.96), 0, 0], [0, l(0.94), 0], [0, 0, l(0.999)]]);
  const second = t([[1, 0, 0], [0, 2, 0], [3, 0, 1]]);
  const r = pseudoLabelLoss(weak, second, 0.95);
  near(r.mask, 2 / 3, 1e-6, 'mask ratio');
  const ce = (row: number[], k: number) => -row[k]! + Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
  near(val(r.loss), (ce([1, 0, 0], 0) + ce([3, 0, 1], 2)) / 3, 1e-5, 'masked CE');
  near(val(maskedCrossEntropy(second, torch.tensor(Int32Array.from([0, 1, 2])).to('int64'), torch.ones([3]))), (ce([1, 0, 0], 0) + ce([0, 2, 0], 1) + ce([3, 0, 1], 2)) / 3, 1e-5);
}));

test('Mean Teacher / softmax MSE by hand; sharpening', () => torch.tidy(() => {
  const s = t([[0, 0]]);
  const tch = t([[Math.log(3), 0]]); // softmax [0.75, 0.25]
  near(val(meanTeacherLoss(s, tch).loss), (0.25 ** 2 + 0.25 ** 2) / 2, 1e-6, 'mt');
  near(val(softmaxMse(s, t([[1, 0]]), torch.zeros([1]))), 0);
  const q = sharpen(t([[0.6, 0.4]]), 0.5);
  assert.deepEqual([...q.data() as Float32Array].map((v) => +v.toFixed(5)), [+(0.36 / 0.52).toFixed(5), +(0.16 / 0.52).toFixed(5)]);
}));

test('EMA: parameters averaged with decay d; buffers copied (or averaged for a teacher); frozen copy', () => {
  const m = tinyResNet(1);
  const e = new EmaModel(tinyResNet(2), m);
  const name = 'conv1.weight';
  const get = (mod: FeatureModel, n: string) => mod.stateDict().get(n)!;
  torch.tidy(() => assert.equal(val(get(e.copy, name).sub(get(m, name)).abs().max()), 0, 'starts as a copy'));
  assert.ok(e.copy.parameters().every((p) => !p.requiresGrad));
  const before = torch.keep(get(e.copy, name).clone());
  torch.noGrad(() => { for (const p of m.parameters()) p.add_(1); for (const [n, b] of m.namedBuffers()) if (n.endsWith('running_mean')) b.add_(2); });
  e.update(m, 0.9, false);
  torch.tidy(() => {
    near(val(get(e.copy, name).sub(before.mul(0.9).add(get(m, name).mul(0.1))).abs().max()), 0, 1e-6, 'ema param');
    assert.equal(val(get(e.copy, 'bn1.running_mean').sub(get(m, 'bn1.running_mean')).abs().max()), 0, 'buffers copied');
  });
  torch.noGrad(() => { for (const [n, b] of m.namedBuffers()) if (n.endsWith('running_mean')) b.add_(10); });
  const rm0 = torch.keep(get(e.copy, 'bn1.running_mean').clone());
  e.update(m, 0.5, true);
  torch.tidy(() => near(val(get(e.copy, 'bn1.running_mean').sub(rm0.mul(0.5).add(get(m, 'bn1.running_mean').mul(0.5))).abs().max()), 0, 1e-6, 'buffers averaged'));
  before.dispose(); rm0.dispose(); e.copy.dispose(); m.dispose();
});

test('withBatchStatsOnly: batch statistics, running statistics untouched, an earlier forward still backpropagates', () => {
  const m = tinyResNet(3);
  m.train();
  const snap = () => torch.tidy(() => m.namedBuffers().map(([n, b]) => [n, [...b.to('float64').data() as Float64Array]] as const));
  const x = torch.keep(torch.rand([4, 1, 8, 8]));
  torch.tidy(() => {
    const first = m.call(x).sum();
    const s0 = snap();
    const bs = withBatchStatsOnly(m, () => m.call(x));
    assert.deepEqual(snap(), s0, 'running statistics moved');
    first.add(bs.sum()).backward();
    const again = m.call(x);
    near(Number(again.sub(bs).abs().max().item()), 0, 1e-5, 'same output as a train-mode forward');
    assert.notDeepEqual(snap(), s0, 'a plain forward moves them (the test can fail)');
  });
  x.dispose(); m.dispose();
});

test('config: defaults resolved per algorithm; errors name the field and the range', () => {
  assert.equal(validateSemisupConfig({ algorithm: 'ict' }).coef, 100);
  assert.equal(validateSemisupConfig({ algorithm: 'fixmatch' }).warmupIter, 0);
  assert.equal(validateSemisupConfig({ algorithm: 'fixmatch', coef: 0.5 }).coef, 0.5);
  assert.throws(() => validateSemisupConfig({ algorithm: 'mixmatch2' }), /'method\.algorithm' must be one of 'supervised'/);
  assert.throws(() => validateSemisupConfig({ lambdaArc: -1 }), /'method\.lambdaArc' must be a finite number >= 0, got -1/);
  assert.throws(() => validateSemisupConfig({ arcThreshold: 0 }), /'method\.arcThreshold' must be a number in \(0, 1\]/);
  assert.throws(() => validateSemisupConfig({ tau: 1 }), /unknown semisup config field 'method\.tau'/);
  assert.throws(() => validateSemisupConfig({ algorithm: 'supervised', coef: 1 }), /'method\.coef' must be 0 or null/);
  assert.throws(() => validateSemisupConfig({ algorithm: 'mixmatch', mixmatchK: 1 }), /'method\.mixmatchK' must be >= 2/);
});

test('ICT and MixMatch on a tiny batch: mixing identical examples is a no-op (ICT = softmax MSE to the teacher); MixMatch gives finite positive losses whose gradient reaches the model', () => {
  const m = tinyResNet(5);
  m.train();
  torch.tidy(() => {
    const x = torch.rand([1, 1, 8, 8]).repeat([4, 1, 1, 1]);
    const teacher = t([[2, 0, -1], [2, 0, -1], [2, 0, -1], [2, 0, -1]]);
    const r = ictLoss(m, x, teacher, 0.75, new Rng(3));
    const want = withBatchStatsOnly(m, () => softmaxMse(m.call(x), torch.softmax(teacher, 1)));
    near(val(r.loss), val(want), 1e-5, 'ict');
    const xl = torch.rand([2, 1, 8, 8]);
    const yl = torch.tensor(Int32Array.from([0, 2])).to('int64');
    const mm = mixmatchLoss(m, xl, yl, [torch.rand([3, 1, 8, 8]), torch.rand([3, 1, 8, 8])], 3, 0.5, 0.75, new Rng(4));
    assert.ok(Number.isFinite(val(mm.lx)) && val(mm.lx) > 0 && Number.isFinite(val(mm.lu.loss)));
    mm.lx.add(mm.lu.loss).backward();
    assert.ok(m.parameters().some((p) => p.grad !== null), 'gradient reaches the model');
  });
  m.dispose();
});

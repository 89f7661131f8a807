/**
 * Mutation-guided tests of AdaFilter's pieces on hand-computed cases (issue 23, area adafilter): the gate
 * statistics (per layer, per class, entropy), the hard threshold at p = 0.5, the gate network's recurrence and
 * its order check, masked batch norm (cumulative momentum, channels with one selected value, no affine), the
 * shared-BN and no-BN mixes, and the conv/BN copies. Tiny tensors only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import { BatchNorm2d } from '../../src/core/nn/layers/norm.js';
import { Conv2d } from '../../src/core/nn/layers/conv.js';
import { binarize, copyBn, copyConv, GatedConv, GateNetwork, GateStats, maskedBatchNorm, straightThrough } from '../../src/methods/adafilter/index.js';

torch.setNumThreads(1);
const close = (a: number, b: number, tol = 1e-12): boolean => Math.abs(a - b) <= tol;
const vals = (t: Tensor): number[] => [...(t.contiguous().data() as Float32Array)];
const maxDiff = (a: Tensor, b: Tensor): number => torch.tidy(() => Number(a.sub(b).abs().max().item()));
const H13 = -((1 / 3) * Math.log2(1 / 3) + (2 / 3) * Math.log2(2 / 3)); // binary entropy of 1/3 (= of 2/3), 0.9183 bits

test('GateStats: per-layer, per-class and overall fine-tuned fractions and the mean binary entropy on a hand-computed case', () => {
  const s = new GateStats([2, 3], 3);
  const add = (layer: number, rows: number[][]): void => { const g = torch.tensor(rows); s.addLayer(layer, g); g.dispose(); };
  // batch 1: two examples (labels 0 and 2)
  add(0, [[0, 0], [1, 1]]);
  add(1, [[0, 1, 1], [1, 1, 1]]);
  s.endBatch([0, 2]);
  // batch 2: one example (label 2, as a bigint like an int64 tensor's data)
  add(0, [[0, 0]]);
  add(1, [[0, 1, 0]]);
  s.endBatch([2n]);
  s.endBatch([1]); // no layer added: no batch, nothing counted
  const r = s.summary();
  assert.equal(r.examples, 3);
  // layer 0 columns: 1, 1 of 3 -> 2/6; layer 1 columns: 1, 3, 2 of 3 -> 6/9
  assert.ok(close(r.perLayer[0]!, 1 / 3) && close(r.perLayer[1]!, 2 / 3), `${r.perLayer}`);
  assert.ok(close(r.fraction, 8 / 15), `${r.fraction}`);
  // per example (of 5 filters): ex0 0 + 2 = 2/5, ex1 2 + 3 = 1, ex2 0 + 1 = 1/5
  assert.equal(r.perClass.length, 3);
  assert.ok(close(r.perClass[0]!, 0.4) && r.perClass[1] === null && close(r.perClass[2]!, 0.6), `${r.perClass}`);
  // q per filter: 1/3, 1/3 | 1/3, 1, 2/3 -> H: h, h | h, 0, h
  assert.ok(close(r.entropyPerLayer[0]!, H13) && close(r.entropyPerLayer[1]!, (2 * H13) / 3), `${r.entropyPerLayer}`);
  assert.ok(close(r.entropy, (4 * H13) / 5), `${r.entropy}`);
});

test('GateStats: empty summary is zeros and nulls; labels outside [0, classes) count as examples but in no class; a constant gate has entropy 0', () => {
  const e = new GateStats([2], 2).summary();
  assert.deepEqual(e, { examples: 0, fraction: 0, perLayer: [0], perClass: [null, null], entropy: 0, entropyPerLayer: [0] });
  const s = new GateStats([1], 2);
  const g = torch.tensor([[1], [1], [1]]);
  s.addLayer(0, g);
  s.endBatch([-1, 2, 1]);
  g.dispose();
  const r = s.summary();
  assert.equal(r.examples, 3);
  assert.equal(r.fraction, 1);
  assert.deepEqual(r.perClass, [null, 1]);
  assert.equal(r.entropy, 0, 'q = 1: no diversity');
});

test('binarize: p exactly 0.5 (a = 0) is 0 in eval and in the straight-through forward; straightThrough keeps y\'s gradient', () => {
  const a = torch.tensor([[0, -1e-3, 1e-3]]);
  torch.tidy(() => {
    assert.deepEqual(vals(binarize(a, false, { binarize: 'st', temperature: 1 })), [0, 0, 1]);
    assert.deepEqual(vals(binarize(a, true, { binarize: 'st', temperature: 1 })), [0, 0, 1]);
    const y = torch.tensor([0.5, 0.2, 0.9]).requiresGrad_(true);
    const g = straightThrough(y);
    assert.deepEqual(vals(g), [0, 0, 1]);
    g.mul(torch.tensor([1, 2, 3], { dtype: 'float32' })).sum().backward();
    assert.deepEqual(vals(y.grad!), [1, 2, 3]);
  });
  a.dispose();
});

test('gumbel: temperature divides the noisy logit; with u clamped the gate of a huge logit is 1 and of a very negative one 0', () => {
  torch.manualSeed(3);
  const a = torch.tensor([[40, -40, 40, -40]], { dtype: 'float32' });
  torch.tidy(() => { assert.deepEqual(vals(binarize(a, true, { binarize: 'gumbel', temperature: 0.5 })), [1, 0, 1, 0]); });
  // the same noise (same seed) at temperature t: sigmoid((a + L) / t); its gradient d/da = s (1 - s) / t
  const b = torch.tensor([[0.3, -0.2]]).requiresGrad_(true);
  const grads: number[][] = [];
  for (const t of [1, 4]) {
    torch.manualSeed(11);
    torch.tidy(() => { binarize(b, true, { binarize: 'gumbel', temperature: t }).sum().backward(); });
    grads.push(vals(b.grad!));
    b.grad = null;
  }
  torch.manualSeed(11);
  const noise = torch.tidy(() => { const u = torch.clamp(torch.randLike(b), 1e-6, 1 - 1e-6); return vals(u.log().sub(u.rsub(1).log())); });
  const bv = [0.3, -0.2];
  [1, 4].forEach((t, k) => bv.forEach((v, i) => {
    const s = 1 / (1 + Math.exp(-(v + noise[i]!) / t));
    assert.ok(close(grads[k]![i]!, (s * (1 - s)) / t, 1e-6), `t=${t} i=${i}: ${grads[k]![i]} vs ${(s * (1 - s)) / t}`);
  }));
  a.dispose(); b.dispose();
});

test('gate network: head biases start at gateBias; the LSTM state carries layer 0 into layer 1 (MLP gates do not); order and range are checked', () => {
  const spec = { layers: [[2, 3], [3, 2]] as [number, number][], projSize: 4, hiddenSize: 5, gateBias: 0.75, binarize: 'st' as const, temperature: 1 };
  torch.manualSeed(1);
  const x0 = torch.rand([2, 2, 3, 3]);
  const x0b = torch.rand([2, 2, 3, 3]);
  const x1 = torch.rand([2, 3, 3, 3]);
  for (const kind of ['lstm', 'gru', 'mlp'] as const) {
    torch.manualSeed(2);
    const net = new GateNetwork({ ...spec, kind });
    for (const h of net.heads) assert.deepEqual(vals(h.bias!), new Array(h.bias!.shape[0]).fill(0.75));
    torch.tidy(() => {
      net.logits(0, x0);
      const after0 = net.logits(1, x1);
      net.logits(0, x0b);
      const after0b = net.logits(1, x1);
      net.logits(0, x0);
      const again = net.logits(1, x1);
      assert.equal(maxDiff(after0, again), 0, `${kind}: the state is reset at layer 0`);
      if (kind === 'mlp') assert.equal(maxDiff(after0, after0b), 0, 'mlp: no state between layers');
      else assert.ok(maxDiff(after0, after0b) > 1e-6, `${kind}: layer 1 depends on layer 0's input through the cell`);
    });
    if (kind === 'mlp') torch.tidy(() => { net.logits(1, x1); net.logits(1, x1); });
    else {
      net.logits(0, x0).dispose();
      assert.throws(() => net.logits(0, x0) && net.logits(1, x1) && net.logits(1, x1), /layer 1 ran after layer 1; the recurrent gate needs the gated layers in forward order/);
    }
    assert.throws(() => net.logits(2, x1), /layer 2 out of range \[0, 1\]/);
    assert.throws(() => net.logits(-1, x1), /out of range/);
    assert.throws(() => net.logits(0.5, x1), /out of range/);
    net.dispose();
  }
  torch.manualSeed(2);
  const fresh = new GateNetwork({ ...spec, kind: 'lstm' });
  assert.throws(() => fresh.logits(1, x1), /layer 1 ran after layer -1/, 'a fresh network must start at layer 0');
  fresh.dispose();
  x0.dispose(); x0b.dispose(); x1.dispose();
});

test('gate network forward: force 0/1 gives constant gates of the logits\' shape, a force function gets (layer, logits); onGate sees every gate', () => {
  torch.manualSeed(4);
  const net = new GateNetwork({ layers: [[2, 3]], kind: 'mlp', projSize: 2, hiddenSize: 2, gateBias: 0, binarize: 'st', temperature: 1 });
  const x = torch.rand([2, 2, 2, 2]);
  const seen: number[][] = [];
  net.onGate = (l, g) => { seen.push([l, ...g.shape]); };
  torch.tidy(() => {
    net.force = 1;
    assert.deepEqual(vals(net.call(0, x)), [1, 1, 1, 1, 1, 1]);
    net.force = 0;
    assert.deepEqual(vals(net.call(0, x)), [0, 0, 0, 0, 0, 0]);
    net.force = (l, a) => a.mul(0).add(l + 0.5);
    assert.deepEqual(vals(net.call(0, x)), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    net.force = null;
    net.eval();
    const g = net.call(0, x);
    const a = net.logits(0, x);
    assert.deepEqual(vals(g), vals(a).map((v) => (v > 0 ? 1 : 0)));
  });
  assert.deepEqual(seen, [[0, 2, 3], [0, 2, 3], [0, 2, 3], [0, 2, 3]]);
  net.dispose(); x.dispose();
});

test('masked batch norm: cumulative average with momentum null; a channel with one selected value keeps its running stats; no affine', () => {
  const bn = new BatchNorm2d(2, { momentum: null, affine: false });
  // x [3, 2, 1, 1]: channel 0 values 1, 2, 4 (examples 0 and 2 selected); channel 1 values 5, 6, 7 (example 1 only)
  const x = torch.tensor([1, 5, 2, 6, 4, 7], { dtype: 'float32' }).view([3, 2, 1, 1]);
  const m = torch.tensor([[1, 0], [0, 1], [1, 0]], { dtype: 'float32' });
  torch.tidy(() => {
    const y = maskedBatchNorm(bn, x, m);
    // channel 0: mean 2.5, biased var 2.25, unbiased 4.5; first batch: factor 1 / 1 -> running = batch statistics
    assert.ok(close(vals(bn.runningMean!)[0]!, 2.5, 1e-6) && close(vals(bn.runningVar!)[0]!, 4.5, 1e-6), `${vals(bn.runningMean!)} ${vals(bn.runningVar!)}`);
    assert.deepEqual([vals(bn.runningMean!)[1], vals(bn.runningVar!)[1]], [0, 1], 'one selected value: running stats unchanged');
    const yv = vals(y);
    assert.ok(close(yv[0]!, (1 - 2.5) / Math.sqrt(2.25 + 1e-5), 1e-5) && close(yv[4]!, (4 - 2.5) / Math.sqrt(2.25 + 1e-5), 1e-5), `${yv}`);
    assert.ok(close(yv[3]!, 0, 1e-6), 'channel 1 normalised by its single value: 0');
    // second batch, factor 1/2: running = (first + second) / 2
    const x2 = torch.tensor([3, 0, 0, 0, 5, 0], { dtype: 'float32' }).view([3, 2, 1, 1]);
    maskedBatchNorm(bn, x2, m);
    assert.ok(close(vals(bn.runningMean!)[0]!, (2.5 + 4) / 2, 1e-6) && close(vals(bn.runningVar!)[0]!, (4.5 + 2) / 2, 1e-6), `${vals(bn.runningMean!)} ${vals(bn.runningVar!)}`);
    assert.equal(Number(bn.numBatchesTracked!.item()), 2);
  });
  const plain = new BatchNorm2d(2, { trackRunningStats: false });
  torch.tidy(() => { const y = maskedBatchNorm(plain, x, m); assert.ok(close(vals(y)[0]!, (1 - 2.5) / Math.sqrt(2.25 + 1e-5), 1e-5)); });
  bn.dispose(); plain.dispose(); x.dispose(); m.dispose();
});

test('GatedConv mixes: shared BN normalises the mix, no BN returns it; masked statistics apply only in training', () => {
  torch.manualSeed(6);
  const x = torch.rand([3, 2, 4, 4]);
  const g = torch.tensor([[1, 0], [0, 1], [1, 1]], { dtype: 'float32' });
  const mk = (bn: BatchNorm2d | null, gatedBn: boolean, bnStats: 'batch' | 'masked' = 'batch'): { layer: GatedConv; gates: GateNetwork } => {
    torch.manualSeed(7);
    const conv = new Conv2d(2, 2, 3, { padding: 1 });
    const gates = new GateNetwork({ layers: [[2, 2]], kind: 'mlp', projSize: 2, hiddenSize: 2, gateBias: 0, binarize: 'st', temperature: 1 });
    gates.force = () => g.clone();
    const layer = new GatedConv(conv, 0, gates, { bn, gatedBn, bnStats });
    torch.noGrad(() => layer.tuned.weight.mul_(-1.5));
    return { layer, gates };
  };
  const g4 = g.view([3, 2, 1, 1]);
  const none = mk(null, false);
  torch.tidy(() => {
    const ref = g4.mul(none.layer.tuned.call(x)).add(g4.rsub(1).mul(none.layer.frozen.call(x)));
    assert.equal(maxDiff(none.layer.call(x), ref), 0);
  });
  const shared = mk(new BatchNorm2d(2), false);
  assert.equal(shared.layer.bnFrozen, null);
  torch.tidy(() => {
    const mix = g4.mul(shared.layer.tuned.call(x)).add(g4.rsub(1).mul(shared.layer.frozen.call(x)));
    const ref = torch.batchNorm(mix, null, null, null, null, true, 0.1, 1e-5);
    assert.ok(maxDiff(shared.layer.call(x), ref) < 1e-5);
  });
  const masked = mk(new BatchNorm2d(2), true, 'masked');
  masked.layer.eval();
  torch.tidy(() => {
    // eval: both BNs use their running statistics (0 and 1 at creation): y = mix of the raw convolutions / sqrt(1 + eps)
    const mix = g4.mul(masked.layer.tuned.call(x)).add(g4.rsub(1).mul(masked.layer.frozen.call(x))).div(Math.sqrt(1 + 1e-5));
    assert.ok(maxDiff(masked.layer.call(x), mix) < 1e-5);
  });
  assert.equal(Number(masked.layer.bnTuned!.numBatchesTracked!.item()), 0, 'eval does not update statistics');
  masked.layer.train();
  const refF = copyBn(masked.layer.bnTuned!);
  const refS = copyBn(masked.layer.bnFrozen!);
  torch.tidy(() => {
    const y = masked.layer.call(x);
    // training with bnStats 'masked': BN^F normalises (and updates its statistics) over the examples with g = 1, BN^S over g = 0
    const yF = maskedBatchNorm(refF, masked.layer.tuned.call(x), g);
    const yS = maskedBatchNorm(refS, masked.layer.frozen.call(x), g.rsub(1));
    assert.ok(maxDiff(y, g4.mul(yF).add(g4.rsub(1).mul(yS))) < 1e-5, 'the masked mix');
    assert.ok(maxDiff(masked.layer.bnTuned!.runningMean!, refF.runningMean!) < 1e-7 && maxDiff(masked.layer.bnFrozen!.runningVar!, refS.runningVar!) < 1e-7, 'masked running statistics');
    const plain = torch.batchNorm(masked.layer.tuned.call(x), null, null, null, null, true, 0.1, 1e-5);
    assert.ok(maxDiff(yF, plain) > 1e-3, 'masked and whole-batch statistics differ here');
  });
  assert.equal(Number(masked.layer.bnTuned!.numBatchesTracked!.item()), 1);
  refF.dispose(); refS.dispose();
  for (const o of [none, shared, masked]) { o.layer.dispose(); o.gates.dispose(); }
  x.dispose(); g.dispose();
});

test('copyConv and copyBn keep every hyper-parameter and value; the copies are independent', () => {
  torch.manualSeed(8);
  const c = new Conv2d(4, 6, 3, { stride: 2, padding: 2, dilation: 2, groups: 2, bias: false });
  const d = copyConv(c);
  assert.deepEqual([d.inChannels, d.outChannels, d.kernelSize, d.stride, d.padding, d.dilation, d.groups, d.bias], [c.inChannels, c.outChannels, c.kernelSize, c.stride, c.padding, c.dilation, c.groups, null]);
  assert.equal(maxDiff(d.weight, c.weight), 0);
  torch.noGrad(() => d.weight.add_(1));
  assert.equal(maxDiff(d.weight, c.weight), 1);
  const b = new BatchNorm2d(3, { eps: 1e-3, momentum: 0.3, affine: true });
  torch.noGrad(() => { b.runningMean!.fill_(0.5); b.weight!.fill_(2); b.numBatchesTracked!.fill_(7); });
  b.eval();
  const e = copyBn(b);
  assert.deepEqual([e.numFeatures, e.eps, e.momentum, e.affine, e.trackRunningStats, e.training], [3, 1e-3, 0.3, true, true, false]);
  assert.deepEqual(vals(e.runningMean!), [0.5, 0.5, 0.5]);
  assert.deepEqual(vals(e.weight!), [2, 2, 2]);
  assert.equal(Number(e.numBatchesTracked!.item()), 7);
  c.dispose(); d.dispose(); b.dispose(); e.dispose();
});

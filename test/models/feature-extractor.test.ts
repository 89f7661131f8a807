// FeatureExtractor: graph mode only where it equals the eager forward (no gradients, eval mode, no hooks), eager
// otherwise; the graph follows the weights; an untraceable forward falls back to eager; no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { createModel, FeatureExtractor, FeatureModel, type Stage } from '../../src/models/index.js';
import { assertClose } from '../helpers.js';

const NAMES = ['layer1', 'pool', 'logits'];

function model(): FeatureModel {
  torch.manualSeed(21);
  const m = createModel('cifar_resnet20', { inChannels: 1, width: 4, numClasses: 3 });
  // non-trivial running statistics, so that eval mode (folded BN) and train mode (batch statistics) differ
  torch.noGrad(() => {
    for (const b of m.modules().filter((x) => x instanceof nn.BatchNorm2d) as nn.BatchNorm2d[]) {
      b.runningMean!.copy_(torch.randn(b.runningMean!.shape).mul(0.3));
      b.runningVar!.copy_(torch.rand(b.runningVar!.shape).add(0.5));
    }
  });
  return m;
}

test('no grad + eval: the graph answers, equal to forwardFeatures within float rounding', () => {
  const m = model().eval();
  using fx = new FeatureExtractor(m, NAMES);
  torch.tidy(() => {
    const x = torch.randn([4, 1, 12, 12]);
    const want = torch.noGrad(() => m.forwardFeatures(x, NAMES));
    const got = torch.noGrad(() => fx.run(x));
    assert.deepEqual([...got.keys()], NAMES);
    for (const n of NAMES) assertClose(got.get(n)!, want.get(n)!, { atol: 1e-5, rtol: 1e-4, what: n });
    assert.deepEqual(fx.calls, { graph: 1, eager: 0 });
    assert.equal(fx.graphMode, true);
  });
  m.dispose();
});

test('gradients on, train mode or a forward hook: eager, with the eager semantics', () => {
  const m = model().eval();
  using fx = new FeatureExtractor(m, NAMES);
  torch.tidy(() => {
    const x = torch.randn([4, 1, 12, 12]);
    const withGrad = fx.run(x);
    assert.equal(withGrad.get('logits')!.requiresGrad, true, 'under gradients the taps join the graph');
    assert.deepEqual(fx.calls, { graph: 0, eager: 1 });
    m.train();
    const trainWant = torch.noGrad(() => m.forwardFeatures(x, NAMES));
    const trainGot = torch.noGrad(() => fx.run(x));
    assertClose(trainGot.get('logits')!, trainWant.get('logits')!, { atol: 0, rtol: 0, what: 'train-mode logits' });
    m.eval();
    m.getSubmodule('layer1').training = true; // one module left in train mode is enough to go eager
    torch.noGrad(() => fx.run(x));
    m.eval();
    const h = m.getSubmodule('layer2').registerForwardHook(() => undefined);
    torch.noGrad(() => fx.run(x));
    h.remove();
    assert.deepEqual(fx.calls, { graph: 0, eager: 4 });
    torch.noGrad(() => fx.run(x));
    assert.deepEqual(fx.calls, { graph: 1, eager: 4 });
  });
  m.dispose();
});

test('graph: false is always eager; the graph follows changed weights', () => {
  const m = model().eval();
  using eager = new FeatureExtractor(m, NAMES, { graph: false });
  using fx = new FeatureExtractor(m, NAMES);
  torch.tidy(() => {
    const x = torch.randn([2, 1, 12, 12]);
    torch.noGrad(() => { eager.run(x); fx.run(x); });
    torch.noGrad(() => { for (const p of m.parameters()) p.mul_(1.5); });
    const a = torch.noGrad(() => eager.run(x));
    const b = torch.noGrad(() => fx.run(x));
    assertClose(b.get('logits')!, a.get('logits')!, { atol: 1e-5, rtol: 1e-4, what: 'after a weight change' });
    assert.deepEqual(eager.calls, { graph: 0, eager: 2 });
    assert.deepEqual(fx.calls, { graph: 2, eager: 0 });
  });
  assert.throws(() => new FeatureExtractor(m, []), /non-empty/);
  assert.throws(() => new FeatureExtractor(m, NAMES, { graph: 'yes' as unknown as boolean }), /graph must be a boolean/);
  m.dispose();
});

class DataDependent extends FeatureModel {
  readonly featureDim = 2;
  constructor() { super(); this.setHead(new nn.Linear(2, 2)); }
  protected stages(): Stage[] {
    return [
      { name: 'pool', modules: [], run: (x: Tensor) => ((x.sum().item() as number) > 0 ? x.relu() : x.neg()) },
      { name: 'logits', modules: ['fc'], run: (x: Tensor) => this.runHead(x) },
    ];
  }
}

test('a forward that cannot be traced runs eagerly from then on; no tensors leak', () => {
  const m = new DataDependent().eval();
  using fx = new FeatureExtractor(m, ['pool', 'logits']);
  torch.tidy(() => {
    const x = torch.tensor([[1, -3]], { dtype: 'float32' });
    const got = torch.noGrad(() => fx.run(x));
    assertClose(got.get('pool')!, torch.tensor([[-1, 3]], { dtype: 'float32' }), { atol: 0, rtol: 0, what: 'eager fallback' });
    assert.equal(fx.graphMode, false);
    assert.deepEqual(fx.calls, { graph: 0, eager: 1 });
  });
  m.dispose();
  const r = model().eval();
  const fr = new FeatureExtractor(r, NAMES);
  const step = (): void => torch.tidy(() => { torch.noGrad(() => fr.run(torch.randn([2, 1, 12, 12]))); });
  step();
  const before = torch.liveTensors();
  for (let i = 0; i < 4; i++) step();
  assert.equal(torch.liveTensors(), before);
  fr.dispose();
  fr.dispose();
  assert.equal(fr.graphMode, false);
  r.dispose();
});

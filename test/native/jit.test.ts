// Graph mode (torch.jit, issue 20): traced / frozen / optimize_for_inference graphs equal the eager forward
// (small CNN, CIFAR ResNet-20 with non-trivial BN statistics in eval mode, torchvision ResNet-18 at 64x64);
// one graph per input shape; stale weights re-trace; bad input gives errors, not crashes; dispose frees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, GraphModeError, TorchError, ShapeError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { assertClose } from '../helpers.js';

// BN with running statistics and affine parameters far from (0, 1, 1, 0), so that conv-BN folding is exercised.
function randomiseBatchNorm(m: nn.AnyModule): void {
  torch.noGrad(() => {
    for (const [name, t] of [...m.namedBuffers(), ...m.namedParameters()]) {
      if (name.endsWith('running_mean')) t.copy_(torch.randn(t.shape).mul(0.2));
      else if (name.endsWith('running_var')) t.copy_(torch.rand(t.shape).mul(1.5).add(0.25));
      else if (/bn\d*\.(weight|bias)$|downsample\.1\.(weight|bias)$/.test(name)) t.copy_(torch.randn(t.shape).mul(0.3).add(name.endsWith('weight') ? 1 : 0));
    }
  });
}

function eagerEval(m: nn.AnyModule, x: Tensor): Tensor {
  m.eval();
  return torch.noGrad(() => m.call(x) as Tensor);
}

for (const optimize of ['none', 'freeze', 'inference'] as const) {
  test(`small CNN: compiled (${optimize}) forward equals eager within 1e-5`, () => {
    torch.manualSeed(1);
    const m = createModel('small_cnn', {});
    torch.tidy(() => {
      const x = torch.randn([8, 1, 28, 28]);
      const want = eagerEval(m, x);
      using c = m.compile(x, { optimize });
      for (let i = 0; i < 3; i++) assertClose(c.forward(x) as Tensor, want, { atol: 1e-5, rtol: 1e-5, what: `run ${i}` });
      assert.equal(c.traces, 1);
    });
    m.dispose();
  });
}

test('CIFAR ResNet-20 (BN in eval mode, random statistics): optimize_for_inference graph equals eager', () => {
  torch.manualSeed(2);
  const m = createModel('cifar_resnet20', { inChannels: 3 });
  randomiseBatchNorm(m);
  torch.tidy(() => {
    const x = torch.randn([4, 3, 32, 32]);
    const want = eagerEval(m, x);
    using t = torch.noGrad(() => torch.jit.trace(m, x));
    assert.equal(t.stage, 'traced');
    assertClose(t.forward(x) as Tensor, want, { atol: 1e-6, rtol: 1e-6, what: 'traced' });
    using o = t.optimizeForInference();
    assert.equal(o.stage, 'optimized');
    assert.match(o.graph, /mkldnn_convolution/, 'oneDNN convolutions expected after optimize_for_inference');
    assert.doesNotMatch(o.graph, /batch_norm/, 'BN folded into the convolutions');
    for (let i = 0; i < 3; i++) assertClose(o.forward(x) as Tensor, want, { atol: 1e-4, rtol: 1e-4, what: `optimized run ${i}` });
    // the eager module is unchanged by freezing (folding makes new tensors)
    assertClose(eagerEval(m, x), want, { atol: 0, rtol: 0, what: 'eager after optimize' });
  });
  m.dispose();
});

test('torchvision ResNet-18 at 64x64: compiled forward equals eager; a second batch size gets its own graph', () => {
  torch.manualSeed(3);
  const m = createModel('resnet18', { numClasses: 10 });
  randomiseBatchNorm(m);
  torch.tidy(() => {
    const x = torch.randn([2, 3, 64, 64]);
    const want = eagerEval(m, x);
    using c = m.compile(x);
    assertClose(c.forward(x) as Tensor, want, { atol: 1e-4, rtol: 1e-4, what: 'batch 2' });
    const x3 = torch.randn([3, 3, 64, 64]);
    assertClose(c.forward(x3) as Tensor, eagerEval(m, x3), { atol: 1e-4, rtol: 1e-4, what: 'batch 3' });
    assert.equal(c.traces, 2);
    c.forward(x);
    assert.equal(c.traces, 2, 'graphs are cached per shape');
  });
  m.dispose();
});

test('changed weights (in place or replaced) re-trace; the training mode is restored', () => {
  torch.manualSeed(4);
  const m = createModel('small_cnn', {});
  m.train();
  torch.tidy(() => {
    const x = torch.randn([2, 1, 28, 28]);
    using c = m.compile(x);
    assert.equal(m.training, true, 'compile restores the training flag');
    c.forward(x);
    const fc = m.getSubmodule('fc') as nn.Linear;
    torch.noGrad(() => fc.bias!.add_(1));
    const out = c.forward(x) as Tensor;
    assert.equal(c.traces, 2);
    assertClose(out, eagerEval(m, x), { atol: 1e-5, rtol: 1e-5, what: 'after bias += 1' });
    m.resetClassifier(3);
    assert.deepEqual((c.forward(x) as Tensor).shape, [2, 3]);
    assert.equal(c.traces, 3);
  });
  m.dispose();
});

test('multiple outputs and constants made from JS data during the trace', () => {
  class Two extends nn.Module<[Tensor], Tensor[]> {
    lin = this.registerModule('lin', new nn.Linear(3, 2));
    forward(x: Tensor): Tensor[] {
      const k = torch.tensor([1, 2, 3]);          // JS data: a constant of the graph, not an aten::empty
      const y = x.add(k);
      return [this.lin.call(y), y.sum(1)];
    }
  }
  torch.manualSeed(5);
  const m = new Two();
  torch.tidy(() => {
    using s = torch.noGrad(() => torch.jit.trace(m, torch.zeros([4, 3])));
    using f = s.freeze();
    const x = torch.randn([4, 3]);
    const want = torch.noGrad(() => m.forward(x));
    for (const g of [s, f]) {
      const got = g.forward(x) as Tensor[];
      assert.equal(got.length, 2);
      assertClose(got[0]!, want[0]!, { atol: 1e-6, rtol: 1e-6, what: `${g.stage} output 0` });
      assertClose(got[1]!, want[1]!, { atol: 1e-6, rtol: 1e-6, what: `${g.stage} output 1` });
    }
  });
  m.dispose();
});

test('bad input: wrong shape, wrong input count, non-tensors and untraceable forwards are errors that name the module', () => {
  torch.manualSeed(6);
  const m = createModel('small_cnn', {});
  torch.tidy(() => {
    const x = torch.randn([2, 1, 28, 28]);
    using c = m.compile(x);
    assert.throws(() => c.forward(torch.randn([2, 3, 28, 28])), (e: unknown) =>
      e instanceof GraphModeError && /SmallCnn/.test(e.message) && /float32\[2,3,28,28\]/.test(e.message) && e.cause instanceof ShapeError);
    using o = torch.noGrad(() => torch.jit.trace(m.eval(), x)).optimizeForInference();
    assert.throws(() => o.forward(torch.randn([2, 3, 28, 28])), TorchError);
    assert.throws(() => o.forward(torch.randn([2, 1, 28]).reshape([2, 28, 1])), TorchError);
    assert.throws(() => o.forward(x, x), (e: unknown) => e instanceof TorchError && /takes 1 input\(s\), got 2/.test(e.message));
    assert.throws(() => o.forward(3 as unknown as Tensor), TypeError);
    assert.throws(() => o.optimizeForInference(), /already optimized/);
    assert.throws(() => torch.jit.compile(m, x, { optimize: 'fast' as 'none' }), TypeError);
  });
  class DataDependent extends nn.Module {
    forward(x: Tensor): Tensor { return (x.sum().item() as number) > 0 ? x.relu() : x.neg(); }
  }
  class Unregistered extends nn.Module {
    lin = new nn.Linear(2, 2);  // a field, not registerModule'd: its weights are not the module's state
    forward(x: Tensor): Tensor { return this.lin.call(x); }
  }
  class NotATensor extends nn.Module {
    forward(): Tensor { return 42 as unknown as Tensor; }
  }
  torch.tidy(() => {
    assert.throws(() => torch.jit.trace(new DataDependent(), torch.ones([2])), (e: unknown) =>
      e instanceof GraphModeError && /DataDependent/.test(e.message) && /item/.test(e.message) && /eagerly/.test(e.message));
    assert.equal(torch.jit.isTracing(), false, 'a failed trace leaves no tracer behind');
    const u = new Unregistered();
    assert.throws(() => torch.jit.trace(u, torch.ones([1, 2])), (e: unknown) => e instanceof GraphModeError &&
      /Unregistered/.test(e.message) && /requires grad as a constant/.test(e.message) && !/Columns/.test(e.message));
    u.lin.dispose();
    assert.throws(() => torch.jit.trace(new NotATensor(), torch.ones([2])), (e: unknown) =>
      e instanceof GraphModeError && /NotATensor/.test(e.message) && /not a Tensor/.test(e.message));
    // after failures, tracing works again
    using ok = torch.jit.trace(new nn.ReLU(), torch.ones([2]));
    assertClose(ok.forward(torch.tensor([-1, 2])) as Tensor, torch.tensor([0, 2]), { atol: 0, rtol: 0 });
  });
  m.dispose();
});

test('dispose frees graphs at once; a disposed module refuses use; no tensor leaks', () => {
  torch.manualSeed(7);
  const m = createModel('cifar_resnet20', { inChannels: 1, width: 4 });
  const x = torch.randn([2, 1, 16, 16]);
  const before = torch.liveTensors();
  const c = m.compile(x);
  torch.tidy(() => { c.forward(x); });
  const s = torch.jit.trace(m.eval(), x);
  assert.equal(torch.liveTensors(), before, 'tracing and compiled forwards leave no live tensor handles');
  s.dispose();
  s.dispose();
  assert.equal(s.isDisposed, true);
  assert.throws(() => s.forward(x), (e: unknown) => e instanceof GraphModeError && /after dispose/.test(e.message));
  assert.throws(() => s.freeze(), GraphModeError);
  c.dispose();
  c.dispose();
  // a disposed CompiledModule is still usable: it re-traces
  torch.tidy(() => { c.forward(x); });
  assert.equal(c.traces, 2);
  c.dispose();
  x.dispose();
  m.dispose();
});

test('feature taps in graph mode (compileFeatures) equal forwardFeatures', () => {
  torch.manualSeed(8);
  const m = createModel('cifar_resnet20', { inChannels: 1, width: 4, numClasses: 3 });
  randomiseBatchNorm(m);
  const names = ['layer2', 'pool', 'layer1.0.conv2', 'logits'];
  torch.tidy(() => {
    const x = torch.randn([3, 1, 16, 16]);
    m.eval();
    const want = torch.noGrad(() => m.forwardFeatures(x, names));
    using c = m.compileFeatures(names);
    const got = c.forward(x) as Tensor[];
    assert.equal(got.length, names.length);
    names.forEach((n, i) => assertClose(got[i]!, want.get(n)!, { atol: 1e-5, rtol: 1e-4, what: n }));
  });
  m.dispose();
});

test('maxShapes bounds the cached graphs (least recently used freed); bad options are refused', () => {
  torch.manualSeed(9);
  const m = createModel('small_cnn', { channels: [4, 8] });
  torch.tidy(() => {
    const a = torch.randn([1, 1, 28, 28]);
    const b = torch.randn([2, 1, 28, 28]);
    using c = m.compile(undefined, { maxShapes: 1 });
    const ga = c.graphFor(a);
    c.forward(a);
    assert.equal(c.traces, 1);
    c.forward(b);
    assert.equal(c.traces, 2);
    assert.equal(ga.isDisposed, true, 'the evicted graph is freed');
    assertClose(c.forward(a) as Tensor, eagerEval(m, a), { atol: 1e-5, rtol: 1e-5 });
    assert.equal(c.traces, 3);
    assert.throws(() => m.compile(undefined, { maxShapes: 0 }), RangeError);
  });
  m.dispose();
});

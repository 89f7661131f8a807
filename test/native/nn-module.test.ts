// nn.Module: PyTorch's state-dict names/order/shapes/dtypes/values for a small ResNet-like model
// (test/fixtures/gen_nn.py), loadStateDict round trip and errors, traversal, modes, hooks, to(), memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { torch, nn, io, ShapeError, CheckpointError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, FIXTURES } from '../helpers.js';

const st = io.loadSafetensors(join(FIXTURES, 'nn_state.safetensors'));
const fx = st.tensors;
const keys: string[] = JSON.parse(st.metadata.keys!);

class Block extends nn.Module {
  conv1: nn.Conv2d; bn1: nn.BatchNorm2d; relu: nn.ReLU; conv2: nn.Conv2d; bn2: nn.BatchNorm2d;
  downsample: nn.Sequential | null;
  constructor(cin: number, cout: number, stride: number) {
    super();
    this.conv1 = this.registerModule('conv1', new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(cout));
    this.relu = this.registerModule('relu', new nn.ReLU());
    this.conv2 = this.registerModule('conv2', new nn.Conv2d(cout, cout, 3, { padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm2d(cout));
    this.downsample = this.registerModule('downsample', stride !== 1 || cin !== cout
      ? new nn.Sequential(new nn.Conv2d(cin, cout, 1, { stride, bias: false }), new nn.BatchNorm2d(cout)) : null);
  }
  forward(x: Tensor): Tensor {
    const idt = this.downsample ? this.downsample.call(x) : x;
    const y = this.relu.call(this.bn1.call(this.conv1.call(x)));
    return this.relu.call(this.bn2.call(this.conv2.call(y)).add(idt));
  }
}
class Net extends nn.Module {
  conv1 = this.registerModule('conv1', new nn.Conv2d(3, 4, 3, { padding: 1, bias: false }));
  bn1 = this.registerModule('bn1', new nn.BatchNorm2d(4));
  relu = this.registerModule('relu', new nn.ReLU());
  layer1 = this.registerModule('layer1', new nn.Sequential(new Block(4, 4, 1), new Block(4, 6, 2)));
  avgpool = this.registerModule('avgpool', new nn.AdaptiveAvgPool2d([1, 1]));
  fc = this.registerModule('fc', new nn.Linear(6, 3));
  forward(x: Tensor): Tensor {
    const y = this.layer1.call(this.relu.call(this.bn1.call(this.conv1.call(x))));
    return this.fc.call(this.avgpool.call(y).flatten(1));
  }
}

test('stateDict: PyTorch keys in order, shapes, dtypes (num_batches_tracked int64) and init values', () => {
  torch.manualSeed(0);
  const net = new Net();
  const sd = net.stateDict();
  assert.deepEqual([...sd.keys()], keys);
  assert.ok(keys.includes('layer1.1.downsample.0.weight') && keys.includes('layer1.0.bn1.num_batches_tracked'));
  for (const [k, t] of sd) {
    const ref = fx.get(k)!;
    assert.deepEqual(t.shape, ref.shape, `${k} shape`);
    assert.equal(t.dtype, ref.dtype, `${k} dtype`);
    assertClose(t, ref, { what: k, atol: 1e-7, rtol: 1e-6 });
  }
  assert.equal(net.buffers().length, 3 * 6);
  assert.equal(net.parameters().length, keys.length - 3 * 6);
  net.dispose();
});

test('loadStateDict round trip: PyTorch weights give PyTorch eval output; our stateDict reloads', () => {
  const net = new Net();
  const dict = new Map([...fx].filter(([k]) => k.startsWith('R.')).map(([k, v]) => [k.slice(2), v] as [string, Tensor]));
  const res = net.loadStateDict(dict);
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  net.eval();
  torch.tidy(() => assertClose(net.call(fx.get('x')!), fx.get('y')!, { what: 'eval output', atol: 1e-5 }));
  assert.equal(Number(net.stateDict().get('bn1.num_batches_tracked')!.item()), 5);
  const other = new Net().eval();
  other.loadStateDict(net.stateDict());
  torch.tidy(() => assertClose(other.call(fx.get('x')!), fx.get('y')!, { what: 'reloaded output', atol: 1e-5 }));
  // parameters are still leaves that require grad after loading
  assert.ok(other.parameters().every((p) => p.isLeaf && p.requiresGrad));
  net.dispose();
  other.dispose();
});

test('loadStateDict errors: missing/unexpected keys (strict) and shape mismatches name key and shapes', () => {
  const m = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
  const sd = new Map(m.stateDict());
  torch.tidy(() => {
    const bad = new Map(sd);
    bad.delete('1.running_var');
    bad.set('2.weight', torch.zeros([1]));
    assert.throws(() => m.loadStateDict(bad), (e: Error) => e instanceof CheckpointError &&
      /missing key\(s\): "1\.running_var"/.test(e.message) && /unexpected key\(s\): "2\.weight"/.test(e.message));
    const r = m.loadStateDict(bad, { strict: false });
    assert.deepEqual(r, { missingKeys: ['1.running_var'], unexpectedKeys: ['2.weight'] });
    const noNbt = new Map(sd);
    noNbt.delete('1.num_batches_tracked');
    assert.deepEqual(m.loadStateDict(noNbt), { missingKeys: [], unexpectedKeys: [] }, 'num_batches_tracked may be absent');
    const wrong = new Map(sd);
    wrong.set('0.weight', torch.zeros([3, 4]));
    assert.throws(() => m.loadStateDict(wrong), (e: Error) => e instanceof ShapeError &&
      /"0\.weight": checkpoint has shape \[3, 4\], module has \[3, 2\]/.test(e.message));
  });
  m.dispose();
});

test('traversal: names, children, modules, getSubmodule, ModuleList/ModuleDict naming', () => {
  const net = new Net();
  assert.deepEqual(net.namedChildren().map((e) => e[0]), ['conv1', 'bn1', 'relu', 'layer1', 'avgpool', 'fc']);
  assert.equal(net.getSubmodule('layer1.1.downsample.0'), net.layer1.at(1).getSubmodule('downsample.0'));
  assert.throws(() => net.getSubmodule('layer1.5'), /no submodule '5'/);
  assert.equal(net.modules().length, net.namedModules().length);
  assert.ok(net.namedModules().some(([n]) => n === 'layer1.0.bn2'));
  const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.ReLU()]);
  const dict = new nn.ModuleDict({ enc: new nn.Linear(2, 3), head: new nn.Linear(3, 1, { bias: false }) });
  const holder = new nn.Sequential(list, dict);
  assert.deepEqual([...holder.stateDict().keys()], ['0.0.weight', '0.0.bias', '1.enc.weight', '1.enc.bias', '1.head.weight']);
  assert.deepEqual(dict.keys(), ['enc', 'head']);
  assert.equal(list.length, 2);
  assert.match(String(net.fc), /Linear\(in_features=6, out_features=3, bias=true\)/);
  net.dispose();
  holder.dispose();
});

test('parameters: same Tensor objects every call (no new handles), survive tidy, leaves with grad', () => {
  const m = torch.tidy(() => new nn.Linear(3, 2));
  assert.ok(!m.weight.isDisposed && m.weight.isLeaf && m.weight.requiresGrad);
  const before = torch.liveTensors();
  for (let i = 0; i < 50; i++) { m.namedParameters(); m.parameters(); m.stateDict(); m.buffers(); }
  assert.equal(torch.liveTensors(), before);
  assert.equal(m.parameters()[0], m.weight);
  assert.equal(m.namedParameters()[1]![1], m.bias);
  m.dispose();
  assert.ok(m.weight.isDisposed);
});

test('train/eval, requiresGrad_, zeroGrad, apply, to(dtype)', () => {
  const net = new Net();
  net.eval();
  assert.ok(net.modules().every((mm) => !mm.training));
  net.train();
  assert.ok(net.getSubmodule('layer1.0.bn1').training);
  net.requiresGrad_(false);
  assert.ok(net.parameters().every((p) => !p.requiresGrad));
  net.requiresGrad_(true);
  torch.tidy(() => net.call(torch.randn([2, 3, 6, 6])).sum().backward());
  const g = net.fc.weight.grad;
  assert.ok(g !== null);
  g.dispose();
  net.zeroGrad(false);
  const z = net.fc.weight.grad!;
  assert.equal(z.abs().sum().item(), 0);
  z.dispose();
  net.zeroGrad();
  assert.equal(net.fc.weight.grad, null);
  const names: string[] = [];
  net.apply((mm) => names.push(mm.constructor.name));
  assert.equal(names[names.length - 1], 'Net');
  const w = net.fc.weight;
  net.to('float64');
  assert.equal(net.fc.weight, w);
  assert.equal(w.dtype, 'float64');
  assert.equal(net.bn1.numBatchesTracked!.dtype, 'int64');
  torch.tidy(() => assert.equal(net.call(torch.randn([1, 3, 6, 6], { dtype: 'float64' })).dtype, 'float64'));
  net.dispose();
});

test('forward hooks read intermediate features by name and can be removed', () => {
  const net = new Net().eval();
  const feats = new Map<string, number[]>();
  const handles = ['layer1.0', 'avgpool'].map((name) =>
    net.getSubmodule(name).registerForwardHook((_m, _in, out: Tensor) => { feats.set(name, out.shape); }));
  torch.tidy(() => net.call(torch.randn([2, 3, 6, 6])));
  assert.deepEqual(feats.get('layer1.0'), [2, 4, 6, 6]);
  assert.deepEqual(feats.get('avgpool'), [2, 6, 1, 1]);
  handles.forEach((h) => h.remove());
  feats.clear();
  torch.tidy(() => net.call(torch.randn([2, 3, 6, 6])));
  assert.equal(feats.size, 0);
  const h = net.fc.registerForwardHook((_m, _in, out: Tensor) => out.mul(0));
  torch.tidy(() => assert.equal(net.call(torch.randn([1, 3, 6, 6])).abs().sum().item(), 0));
  h.remove();
  net.dispose();
});

test('registration errors', () => {
  class Bad extends nn.Module { forward(x: Tensor): Tensor { return x; } }
  const b = new Bad();
  assert.throws(() => b.registerParameter('a.b', torch.zeros([1])), /without '\.'/);
  b.registerBuffer('x', torch.zeros([1]));
  assert.throws(() => b.registerParameter('x', torch.zeros([1])), /already registered/);
  b.dispose();
});

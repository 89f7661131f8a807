// Named feature taps: forwardFeatures equals forward hooks on the same modules, runs the network once and
// only as far as needed, taps submodule paths, rejects unknown names; no tensor leaks under tidy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { assertClose } from '../helpers.js';

test('resnet taps equal forward-hook values; logits equal forward(); one pass per call', () => {
  torch.manualSeed(3);
  const m = createModel('cifar_resnet18', { width: 4, inChannels: 1, numClasses: 3 }).eval();
  const seen = new Map<string, Tensor>();
  const calls = new Map<string, number>();
  const hook = (name: string, mod: nn.AnyModule, f: (t: Tensor) => Tensor = (t) => t): nn.RemovableHandle =>
    mod.registerForwardHook((_m: nn.AnyModule, _i: unknown, out: Tensor) => {
      seen.set(name, f(out));
      calls.set(name, (calls.get(name) ?? 0) + 1);
    });
  const hs = [hook('stem', m.relu), ...['layer1', 'layer2', 'layer3', 'layer4'].map((n) => hook(n, m.getSubmodule(n))),
    hook('pool', m.avgpool, (t) => t.flatten(1)), hook('layer2.1', m.getSubmodule('layer2.1')), hook('logits', m.fc)];
  torch.tidy(() => {
    const x = torch.randn([2, 1, 12, 12]);
    const names = ['logits', 'stem', 'layer1', 'layer2', 'layer3', 'layer4', 'pool', 'layer2.1'];
    const f = m.forwardFeatures(x, names);
    assert.deepEqual([...f.keys()], names);
    for (const n of names) assertClose(f.get(n)!, seen.get(n)!, { what: n, atol: 0, rtol: 0 });
    // relu runs 1 + 2 per block... but layer4 and fc run exactly once per forwardFeatures call
    assert.equal(calls.get('layer4'), 1);
    assert.equal(calls.get('logits'), 1);
    assert.deepEqual(f.get('pool')!.shape, [2, 32]);
    assert.deepEqual(f.get('layer2')!.shape, [2, 8, 6, 6]);
    assertClose(f.get('logits')!, m.call(x), { what: 'logits vs forward', atol: 0, rtol: 0 });
  });
  for (const h of hs) h.remove();
  m.dispose();
});

test('forwardFeatures stops after the last stage needed; submodule paths map to their stage', () => {
  const m = createModel('resnet18', { width: 4, numClasses: 2 }).eval();
  let fcRuns = 0;
  let l4Runs = 0;
  m.fc.registerForwardHook(() => { fcRuns++; });
  m.getSubmodule('layer4').registerForwardHook(() => { l4Runs++; });
  torch.tidy(() => {
    const x = torch.randn([1, 3, 32, 32]);
    const f = m.forwardFeatures(x, ['layer1', 'layer3.0.conv2']);
    assert.deepEqual(f.get('layer1')!.shape, [1, 4, 8, 8]);
    assert.deepEqual(f.get('layer3.0.conv2')!.shape, [1, 16, 2, 2]);
    assert.equal(l4Runs, 0);
    assert.equal(fcRuns, 0);
    m.forwardFeatures(x, ['fc']);
    assert.equal(fcRuns, 1);
    assert.equal(l4Runs, 1);
  });
  m.dispose();
});

test('small_cnn taps: block1, block2, pool (flattened head input), logits', () => {
  const m = createModel('small_cnn', { channels: [3, 5], numClasses: 4 });
  assert.deepEqual(m.tapNames, ['block1', 'block2', 'pool', 'logits']);
  torch.tidy(() => {
    const f = m.forwardFeatures(torch.randn([2, 1, 28, 28]), ['block1', 'block2', 'pool', 'logits', 'conv2']);
    assert.deepEqual(f.get('block1')!.shape, [2, 3, 14, 14]);
    assert.deepEqual(f.get('block2')!.shape, [2, 5, 7, 7]);
    assert.deepEqual(f.get('pool')!.shape, [2, m.featureDim]);
    assert.equal(m.featureDim, 5 * 7 * 7);
    assert.deepEqual(f.get('conv2')!.shape, [2, 5, 14, 14]);
    assertClose(f.get('pool')!, f.get('block2')!.flatten(1), { what: 'pool', atol: 0, rtol: 0 });
  });
  m.dispose();
});

test('unknown taps throw naming the valid taps; hooks are removed even when it throws', () => {
  const m = createModel('cifar_resnet20', { inChannels: 1, width: 2 });
  assert.deepEqual(m.tapNames, ['stem', 'layer1', 'layer2', 'layer3', 'pool', 'logits']);
  // count hooks added to / removed from layer1.0 by wrapping its registerForwardHook
  const blk = m.getSubmodule('layer1.0');
  const orig = blk.registerForwardHook.bind(blk);
  let open = 0;
  blk.registerForwardHook = (fn) => {
    open++;
    const h = orig(fn);
    return { remove: () => { open--; h.remove(); } };
  };
  torch.tidy(() => {
    const x = torch.randn([1, 1, 8, 8]);
    assert.throws(() => m.forwardFeatures(x, ['layer4']), /unknown tap 'layer4'; taps are stem, layer1, layer2, layer3, pool, logits/);
    assert.throws(() => m.forwardFeatures(x, ['layer1.9']), /unknown tap 'layer1\.9'/);
    assert.throws(() => m.forwardFeatures(x, ['layer1.0', 'nope']), /unknown tap 'nope'/);
    assert.equal(open, 0, 'the hook registered on layer1.0 before the error was removed');
    const f = m.forwardFeatures(x, ['layer1.0']);
    assert.deepEqual(f.get('layer1.0')!.shape, [1, 2, 8, 8]);
    assert.equal(open, 0);
  });
  m.dispose();
});

test('no tensor leaks over repeated forward / forwardFeatures / backward in tidy', () => {
  const m = createModel('cifar_resnet20', { inChannels: 1, width: 2, numClasses: 3 });
  const step = (): void => torch.tidy(() => {
    const x = torch.randn([2, 1, 8, 8]);
    const f = m.forwardFeatures(x, ['layer1', 'pool', 'logits']);
    f.get('logits')!.sum().backward();
    m.zeroGrad();
    m.call(x);
  });
  step();
  const before = torch.liveTensors();
  for (let i = 0; i < 5; i++) step();
  assert.equal(torch.liveTensors(), before);
  m.eval();
  const infer = (): void => torch.tidy(() => { torch.noGrad(() => m.forwardFeatures(torch.randn([2, 1, 8, 8]), ['layer2', 'logits'])); });
  infer();
  const mid = torch.liveTensors();
  for (let i = 0; i < 5; i++) infer();
  assert.equal(torch.liveTensors(), mid);
  m.dispose();
});

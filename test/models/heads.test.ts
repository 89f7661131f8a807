// Classifier heads: resetClassifier (new Linear with PyTorch's init, Identity for 0, state-dict order kept),
// reinitClassifier, imprintClassifier (normalised class means, bias 0, scale; classifies the class means).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { assertClose } from '../helpers.js';

test('resetClassifier replaces fc with Linear(featureDim, n) initialised like PyTorch; keys keep their place', () => {
  const m = createModel('cifar_resnet20', { inChannels: 1, width: 2, numClasses: 10 });
  const keys = [...m.stateDict().keys()];
  const live = torch.liveTensors();
  torch.manualSeed(5);
  const head = m.resetClassifier(3) as nn.Linear;
  assert.equal(torch.liveTensors(), live, 'old head disposed');
  assert.ok(head instanceof nn.Linear && m.getClassifier() === head && m.getSubmodule('fc') === head);
  assert.deepEqual([head.inFeatures, head.outFeatures, m.numClasses], [8, 3, 3]);
  assert.deepEqual([...m.stateDict().keys()], keys, 'fc stays last');
  torch.manualSeed(5);
  const ref = new nn.Linear(8, 3);
  assertClose(head.weight, ref.weight, { atol: 0, rtol: 0, what: 'weight' });
  assertClose(head.bias!, ref.bias!, { atol: 0, rtol: 0, what: 'bias' });
  torch.tidy(() => assert.deepEqual(m.call(torch.randn([2, 1, 8, 8])).shape, [2, 3]));
  // reinit draws new values in place
  const before = torch.tidy(() => head.weight.clone());
  m.reinitClassifier();
  assert.equal(m.getClassifier(), head);
  assert.ok(torch.tidy(() => torch.sub(head.weight, before).abs().max().item()) as number > 0);
  before.dispose();
  ref.dispose();
  // 0 classes: identity head, logits are the pooled features
  m.resetClassifier(0);
  assert.ok(m.getClassifier() instanceof nn.Identity);
  assert.equal(m.numClasses, m.featureDim);
  m.eval();
  torch.tidy(() => {
    const f = m.forwardFeatures(torch.randn([2, 1, 8, 8]), ['pool', 'logits']);
    assertClose(f.get('logits')!, f.get('pool')!, { atol: 0, rtol: 0 });
  });
  assert.ok(!m.stateDict().has('fc.weight'));
  assert.throws(() => m.resetClassifier(-1), /numClasses must be an integer >= 0, got -1/);
  m.dispose();
});

test('resetClassifier keeps eval mode and the parameters train', () => {
  const m = createModel('small_cnn', { channels: [2, 2] }).eval();
  const h = m.resetClassifier(4);
  assert.equal(h.training, false);
  assert.ok((h as nn.Linear).weight.requiresGrad);
  m.dispose();
});

test('imprintClassifier: rows are scaled unit class means of normalised features, bias 0; means classify correctly', () => {
  const m = createModel('small_cnn', { channels: [2, 3], globalPool: true });
  torch.tidy(() => {
    // 3 classes in a 3-d feature space, 4 samples each, noisy around distinct directions
    torch.manualSeed(7);
    const centers = torch.tensor([[3, 0, 0], [0, 2, 1], [1, 1, 4]], { dtype: 'float32' });
    const labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    const feats = torch.add(torch.indexSelect(centers, 0, labels), torch.randn([12, 3]).mul(0.3));
    const head = m.imprintClassifier(feats, labels, { scale: 10 });
    assert.equal(m.getClassifier(), head);
    assert.deepEqual(head.weight.shape, [3, 3]);
    assertClose(head.bias!, torch.zeros([3]), { what: 'bias', atol: 0, rtol: 0 });
    assertClose(torch.vectorNorm(head.weight, 2, 1), torch.full([3], 10), { what: 'row norms', atol: 1e-5 });
    // expected: per-class mean of normalised features, normalised, times 10
    const fn = torch.div(feats, torch.vectorNorm(feats, 2, 1, true));
    for (let c = 0; c < 3; c++) {
      const idx = torch.nonzero(labels.eq(c)).flatten();
      const mean = torch.indexSelect(fn, 0, idx).mean(0);
      assertClose(head.weight.select(0, c), torch.div(mean, torch.vectorNorm(mean)).mul(10), { what: `row ${c}`, atol: 1e-5 });
    }
    const pred = head.call(centers).argmax(1);
    assert.deepEqual([...pred.data()].map(Number), [0, 1, 2]);
    assert.ok(head.weight.requiresGrad && head.weight.isLeaf);
  });
  m.dispose();
});

test('imprintClassifier validates shapes, labels and empty classes', () => {
  const m = createModel('small_cnn', { channels: [2, 3], globalPool: true });
  torch.tidy(() => {
    const f = torch.randn([4, 3]);
    assert.throws(() => m.imprintClassifier(torch.randn([4, 5]), torch.tensor([0, 1, 0, 1])), /features must be \[N, 3\], got \[4, 5\]/);
    assert.throws(() => m.imprintClassifier(f, torch.tensor([0, 1])), /labels must be \[4\]/);
    assert.throws(() => m.imprintClassifier(f, torch.tensor([0, 2, 0, 2])), /no samples for class\(es\) 1/);
    assert.throws(() => m.imprintClassifier(f, torch.tensor([0, 1, 0, 1]), { numClasses: 4 }), /no samples for class\(es\) 2, 3/);
    assert.throws(() => m.imprintClassifier(f, torch.tensor([0, 5, 0, 1]), { numClasses: 2 }), /labels must lie in \[0, 1\]/);
    assert.throws(() => m.imprintClassifier(f, torch.tensor([0, 1, 0, 1]), { scale: 0 }), /scale must be > 0/);
  });
  assert.equal(m.numClasses, 10, 'head untouched after failed imprints');
  m.dispose();
});

test('imprintClassifier leaves no temporary tensors behind (only the new head\'s parameters)', () => {
  const m = createModel('small_cnn', { channels: [2, 3], globalPool: true });
  const feats = torch.randn([6, 3]);
  const labels = torch.tensor([0, 1, 2, 0, 1, 2]);
  m.imprintClassifier(feats, labels);
  const before = torch.liveTensors();
  for (let i = 0; i < 3; i++) m.imprintClassifier(feats, labels); // each call replaces the head
  assert.equal(torch.liveTensors(), before);
  feats.dispose(); labels.dispose(); m.dispose();
});

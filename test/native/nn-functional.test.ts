// nn.functional: forward parity with PyTorch (interpolate size rules, pad modes, unfold/fold, normalize,
// convTranspose2d, padding='same', oneHot) and float64 gradchecks of every functional op.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixture } from '../helpers.js';
import { gradcheck, leaf } from '../gradcheck.js';

const F = nn.functional;
const fx = fixture('nn_functional');
const get = (k: string): Tensor => {
  const t = fx.get(k);
  if (!t) throw new Error(`fixture key ${k} missing`);
  return t;
};
const x = get('x');

const CASES: Record<string, () => Tensor> = {
  nearest_s2: () => F.interpolate(x, { scaleFactor: 2 }),
  nearest_s1_7: () => F.interpolate(x, { scaleFactor: 1.7, mode: 'nearest' }),
  nearest_size: () => F.interpolate(x, { size: [5, 3] }),
  bilinear_size: () => F.interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: false }),
  bilinear_ac: () => F.interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: true }),
  bilinear_s1_5: () => F.interpolate(x, { scaleFactor: 1.5, mode: 'bilinear' }),
  bicubic_s2: () => F.interpolate(x, { scaleFactor: 2, mode: 'bicubic', alignCorners: false }),
  area: () => F.interpolate(x, { size: 2, mode: 'area' }),
  pad_const: () => F.pad(x, [1, 2, 0, 1], { value: 0.5 }),
  pad_reflect: () => F.pad(x, [2, 1, 1, 2], { mode: 'reflect' }),
  pad_replicate: () => F.pad(x, [1, 2, 2, 1], { mode: 'replicate' }),
  unfold: () => F.unfold(x, [2, 3], { padding: 1, stride: [1, 2] }),
  fold: () => F.fold(get('unfold'), [3, 4], [2, 3], { padding: 1, stride: [1, 2] }),
  normalize: () => F.normalize(x, { dim: 1 }),
  conv_t: () => F.convTranspose2d(x, get('wt'), get('bt'), { stride: 2, padding: 1, outputPadding: 1 }),
  conv_same: () => F.conv2d(x, get('w'), null, { padding: 'same' }),
  conv_same_even: () => F.conv2d(x, get('w2'), null, { padding: 'same' }),
};

for (const [name, fn] of Object.entries(CASES)) {
  test(`functional parity: ${name}`, () => {
    torch.tidy(() => assertClose(fn(), get(name), { what: name }));
  });
}

test('oneHot and interpolate argument errors', () => {
  torch.tidy(() => {
    const oh = F.oneHot(torch.tensor([0, 2, 1]), 4);
    assert.equal(oh.dtype, 'int64');
    assert.deepEqual(oh.toArray(), get('onehot').toArray());
    assert.throws(() => F.interpolate(x, { size: 4, scaleFactor: 2 }), /exactly one of size and scaleFactor/);
    assert.throws(() => F.interpolate(x, { scaleFactor: 2, alignCorners: true }), /alignCorners/);
    assert.throws(() => F.pad(x, [1, 1, 1, 1, 1, 1], { mode: 'reflect' }), /reflect/);
    assert.throws(() => F.dropout(x, { p: 1.5 }), RangeError);
  });
});

test('gradcheck (float64): conv, linear, norms, pooling, activations', () => {
  torch.manualSeed(3);
  torch.tidy(() => {
    const img = leaf([1, 2, 4, 4]);
    const checks: [string, (...t: Tensor[]) => Tensor, Tensor[]][] = [
      ['conv2d', (a, b, c) => F.conv2d(a, b, c, { stride: 2, padding: 1, dilation: 1 }), [img, leaf([3, 2, 3, 3]), leaf([3])]],
      ['conv2d groups/same', (a, b) => F.conv2d(a, b, null, { padding: 'same', groups: 2 }), [img, leaf([2, 1, 2, 2])]],
      ['convTranspose2d', (a, b, c) => F.convTranspose2d(a, b, c, { stride: 2, padding: 1, outputPadding: 1 }), [img, leaf([2, 3, 3, 3]), leaf([3])]],
      ['linear', (a, b, c) => F.linear(a, b, c), [leaf([2, 3]), leaf([4, 3]), leaf([4])]],
      ['batchNorm train', (a, b, c) => F.batchNorm(a, null, null, { weight: b, bias: c, training: true }), [leaf([3, 2, 2]), leaf([2]), leaf([2])]],
      ['layerNorm', (a, b, c) => F.layerNorm(a, [3], { weight: b, bias: c }), [leaf([2, 3]), leaf([3]), leaf([3])]],
      ['groupNorm', (a, b, c) => F.groupNorm(a, 2, { weight: b, bias: c }), [leaf([2, 4, 2]), leaf([4]), leaf([4])]],
      ['normalize', (a) => F.normalize(a, { dim: 1 }), [leaf([2, 3])]],
      ['maxPool2d', (a) => F.maxPool2d(a, 2, { stride: 1, padding: 1 }), [img]],
      ['avgPool2d', (a) => F.avgPool2d(a, 3, { stride: 2, padding: 1, countIncludePad: false }), [img]],
      ['adaptiveAvgPool2d', (a) => F.adaptiveAvgPool2d(a, [3, null]), [img]],
      ['relu', (a) => F.relu(a), [leaf([6])]],
      ['leakyRelu', (a) => F.leakyRelu(a, 0.2), [leaf([6])]],
      ['gelu', (a) => F.gelu(a), [leaf([6])]],
      ['gelu tanh', (a) => F.gelu(a, { approximate: 'tanh' }), [leaf([6])]],
      ['silu', (a) => F.silu(a), [leaf([6])]],
      ['sigmoid', (a) => F.sigmoid(a), [leaf([6])]],
      ['tanh', (a) => F.tanh(a), [leaf([6])]],
      ['softplus', (a) => F.softplus(a, { beta: 2 }), [leaf([6])]],
      ['softmax', (a) => F.softmax(a, 1), [leaf([2, 3])]],
      ['logSoftmax', (a) => F.logSoftmax(a, 0), [leaf([2, 3])]],
    ];
    for (const [what, f, inputs] of checks) gradcheck(f, inputs, { what });
  });
});

test('gradcheck (float64): interpolate, pad, unfold/fold, dropout, embedding', () => {
  torch.manualSeed(4);
  torch.tidy(() => {
    const img = leaf([1, 1, 3, 3]);
    const checks: [string, (...t: Tensor[]) => Tensor, Tensor[]][] = [
      ['interpolate nearest', (a) => F.interpolate(a, { scaleFactor: 1.5 }), [img]],
      ['interpolate bilinear', (a) => F.interpolate(a, { size: [4, 5], mode: 'bilinear' }), [img]],
      ['interpolate bilinear ac', (a) => F.interpolate(a, { size: [4, 5], mode: 'bilinear', alignCorners: true }), [img]],
      ['interpolate bicubic', (a) => F.interpolate(a, { scaleFactor: 2, mode: 'bicubic' }), [img]],
      ['pad constant', (a) => F.pad(a, [1, 0, 2, 1], { value: 3 }), [img]],
      ['pad reflect', (a) => F.pad(a, [2, 1, 1, 2], { mode: 'reflect' }), [img]],
      ['pad replicate', (a) => F.pad(a, [1, 2, 2, 1], { mode: 'replicate' }), [img]],
      ['unfold', (a) => F.unfold(a, 2, { padding: 1 }), [img]],
      ['fold', (a) => F.fold(a, [3, 3], 2, { padding: 1 }), [leaf([1, 4, 16])]],
      ['embedding', (a) => F.embedding(torch.tensor([[0, 2], [2, 1]]), a), [leaf([3, 2])]], // paddingIdx rows get no grad by design (fixture test)
    ];
    for (const [what, f, inputs] of checks) gradcheck(f, inputs, { what });
    // dropout: the same mask on every evaluation (reseeded), so finite differences are valid
    gradcheck((a) => { torch.manualSeed(9); return F.dropout(a, { p: 0.3 }); }, [leaf([8])], { what: 'dropout' });
  });
});

test('adaptiveAvgPool2d / adaptiveMaxPool2d accept one integer for a square output, as PyTorch does', () => {
  torch.tidy(() => {
    const x = torch.randn([2, 3, 5, 7]);
    assert.deepEqual(torch.adaptiveAvgPool2d(x, 1).shape, [2, 3, 1, 1]);
    assert.deepEqual(torch.adaptiveMaxPool2d(x, 2)[0].shape, [2, 3, 2, 2]);
    assertClose(torch.adaptiveAvgPool2d(x, 1).flatten(1), x.mean([2, 3]));
  });
});

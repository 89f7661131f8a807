// Model registry: every entry builds, gives the right output shape on tiny inputs, trains (a finite gradient
// for every parameter), has the documented parameter count; configs are validated naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import { createModel, listModels, ResNet, SmallCnn, type ModelName } from '../../src/models/index.js';

const count = (m: nn.AnyModule): number => m.parameters().reduce((a, p) => a + p.numel(), 0);

test('listModels names every registry entry', () => {
  assert.deepEqual(listModels().sort(), ['cifar_resnet18', 'cifar_resnet20', 'cifar_resnet32', 'cifar_resnet34',
    'cifar_resnet56', 'resnet18', 'resnet34', 'resnet50', 'small_cnn']);
});

test('parameter counts: torchvision resnet18/50 (1000 classes), CIFAR and small CNN', () => {
  const cases: [ModelName, object, number][] = [
    ['resnet18', {}, 11_689_512], // torchvision's published count
    ['resnet50', {}, 25_557_032],
    ['cifar_resnet20', { inChannels: 3 }, 272_474], // 0.27M (He et al.), with 1x1 projection shortcuts
    ['small_cnn', {}, 16 * 9 + 16 + 32 * 16 * 9 + 32 + 32 * 7 * 7 * 10 + 10],
  ];
  for (const [name, cfg, n] of cases) {
    const m = createModel(name, cfg);
    assert.equal(count(m), n, name);
    m.dispose();
  }
});

const small = (name: ModelName): { cfg: object; shape: number[] } => {
  if (name.startsWith('resnet')) return { cfg: { numClasses: 5, width: 8 }, shape: [2, 3, 32, 32] };
  if (name === 'small_cnn') return { cfg: { numClasses: 5, channels: [4, 6] }, shape: [2, 1, 28, 28] };
  return { cfg: { numClasses: 5, inChannels: 1, width: 4 }, shape: [2, 1, 28, 28] };
};

for (const name of listModels()) {
  test(`${name}: output shape, eval on batch 1, forward+backward gives a finite gradient for every parameter`, () => {
    torch.manualSeed(1);
    const { cfg, shape } = small(name);
    const m = createModel(name, cfg);
    assert.ok(m instanceof (name === 'small_cnn' ? SmallCnn : ResNet));
    torch.tidy(() => {
      const x = torch.randn(shape);
      const y = m.call(x);
      assert.deepEqual(y.shape, [shape[0], 5]);
      torch.crossEntropy(y, torch.tensor([0, 4])).backward();
      for (const [k, p] of m.namedParameters()) {
        const g = p.grad;
        assert.ok(g, `${k}: no gradient`);
        assert.deepEqual(g.shape, p.shape, `${k}: gradient shape`);
        assert.equal(torch.isfinite(g).all().item(), true, `${k}: non-finite gradient`);
      }
      m.eval();
      assert.deepEqual(m.call(torch.randn([1, ...shape.slice(1)])).shape, [1, 5]);
    });
    m.dispose();
  });
}

test('resnet18 on 1x3x32x32 (eval) and cifar_resnet18 width 16 on 2x1x28x28 give [N, classes]', () => {
  const a = createModel('resnet18', { numClasses: 7 }).eval();
  const b = createModel('cifar_resnet18', { width: 16, inChannels: 1 });
  torch.tidy(() => {
    assert.deepEqual(a.call(torch.randn([1, 3, 32, 32])).shape, [1, 7]);
    assert.deepEqual(b.call(torch.randn([2, 1, 28, 28])).shape, [2, 10]);
  });
  assert.equal(b.featureDim, 128);
  assert.equal(b.getSubmodule('layer4.1.conv2').constructor.name, 'Conv2d');
  a.dispose();
  b.dispose();
});

test('config validation names the model, the field and the allowed range', () => {
  const bad: [ModelName, unknown, RegExp][] = [
    ['resnet18', { numClasses: 0 }, /resnet18.*numClasses must be an integer in \[1, 1000000\], got 0/],
    ['cifar_resnet18', { width: 2.5 }, /width must be an integer in \[1, 1024\], got 2\.5/],
    ['cifar_resnet20', { inChannels: '3' }, /inChannels must be an integer .* got "3"/],
    ['resnet50', { zeroInitResidual: 1 }, /zeroInitResidual must be a boolean/],
    ['small_cnn', { channels: [16] }, /channels must be a number or a pair/],
    ['small_cnn', { inputSize: 2 }, /inputSize\[0\] must be an integer in \[4, 4096\]/],
    ['resnet34', { widht: 3 }, /unknown config field 'widht' \(allowed: numClasses, inChannels, width, zeroInitResidual\)/],
  ];
  for (const [name, cfg, re] of bad) {
    assert.throws(() => createModel(name, cfg as never), (e: unknown) => e instanceof Error && re.test(e.message), `${name} ${JSON.stringify(cfg)}`);
  }
  assert.throws(() => createModel('vgg16' as ModelName), /unknown model 'vgg16' \(available: resnet18/);
});

test('input checks name the expected layout', () => {
  const m = createModel('small_cnn', { inputSize: [28, 28] });
  const r = createModel('cifar_resnet20', { inChannels: 1 });
  torch.tidy(() => {
    assert.throws(() => m.call(torch.randn([1, 1, 32, 32])), /expected input \(N, 1, 28, 28\)/);
    assert.throws(() => r.call(torch.randn([1, 3, 32, 32])), /expected input \(N, 1, H, W\)/);
  });
  const g = createModel('small_cnn', { globalPool: true, channels: [4, 8] });
  torch.tidy(() => assert.deepEqual(g.call(torch.randn([1, 1, 40, 36])).shape, [1, 10]));
  assert.equal(g.featureDim, 8);
  for (const x of [m, r, g]) x.dispose();
});

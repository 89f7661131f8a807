// exportOnnx + verifyOnnx: every zoo model at tiny widths runs in ONNX Runtime within 1e-4 of adaptune, with and
// without BN folding, at batch sizes 1 and 7 (dynamic batch); metadata round-trips; unsupported modules and
// exporters that do not mirror forward() fail with errors naming the module; no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { createModel, listModels, type ModelName } from '../../src/models/index.js';
import { exportOnnx, verifyOnnx, registerOnnxExporter, readOnnxMetadata, parseOnnxInfo, UnsupportedModuleError, type VerifyResult } from '../../src/export/index.js';
import { decodeModel } from '../../src/export/proto.js';

torch.setNumThreads(1);

/** Random BN statistics and affine parameters, so that eval-mode BN and its folding are not the identity. */
function randomizeBn(m: nn.AnyModule): void {
  torch.noGrad(() => torch.tidy(() => {
    for (const b of m.modules()) {
      if (b instanceof nn.BatchNorm2d || b instanceof nn.BatchNorm1d) {
        b.runningMean!.copy_(torch.randn([b.numFeatures]).mul(0.2));
        b.runningVar!.copy_(torch.rand([b.numFeatures]).add(0.5));
        b.weight!.copy_(torch.rand([b.numFeatures]).add(0.5));
        b.bias!.copy_(torch.randn([b.numFeatures]).mul(0.1));
      }
    }
  }));
}

/** Exports m for inputs [N, ...shape] and verifies batches of 1 and 7 of uniform [0, 1) inputs. */
async function roundTrip(m: nn.AnyModule, shape: number[], o: Parameters<typeof exportOnnx>[2] = {}): Promise<{ r: VerifyResult; ops: Record<string, number>; bytes: Uint8Array }> {
  const xs = [torch.rand([1, ...shape]), torch.rand([7, ...shape])];
  try {
    const e = exportOnnx(m, xs[0]!, o);
    const r = await verifyOnnx(m, e.bytes, [{ name: 'b1', x: xs[0]! }, { name: 'b7', x: xs[1]! }]);
    return { r, ops: e.ops, bytes: e.bytes };
  } finally { torch.dispose(xs); }
}

const TINY: Record<ModelName, { config: object; input: number[] }> = {
  resnet18: { config: { width: 4, numClasses: 3 }, input: [3, 32, 32] },
  resnet34: { config: { width: 2, numClasses: 3 }, input: [3, 32, 32] },
  resnet50: { config: { width: 2, numClasses: 3 }, input: [3, 32, 32] },
  cifar_resnet18: { config: { width: 2, inChannels: 1, numClasses: 4 }, input: [1, 12, 12] },
  cifar_resnet34: { config: { width: 2, inChannels: 1, numClasses: 4 }, input: [1, 12, 12] },
  cifar_resnet20: { config: { width: 4, inChannels: 1, numClasses: 5 }, input: [1, 16, 16] },
  cifar_resnet32: { config: { width: 2, inChannels: 3, numClasses: 5 }, input: [3, 8, 8] },
  cifar_resnet56: { config: { width: 2, inChannels: 1, numClasses: 5 }, input: [1, 8, 8] },
  small_cnn: { config: { channels: [4, 8], numClasses: 6 }, input: [1, 28, 28] },
};

test('every zoo model runs in ONNX Runtime within 1e-4 of adaptune, BN as nodes and folded, batches 1 and 7', async () => {
  assert.deepEqual(Object.keys(TINY).sort(), listModels().sort());
  const live = torch.liveTensors();
  for (const name of listModels()) {
    torch.manualSeed(1);
    const { config, input } = TINY[name];
    const m = createModel(name, config as never);
    randomizeBn(m);
    for (const foldBn of [false, true]) {
      const { r, ops } = await roundTrip(m, input, { foldBn });
      const what = `${name} foldBn=${foldBn}`;
      assert.ok(r.ok && r.maxAbsDiff < 1e-4, `${what}: max abs diff ${r.maxAbsDiff}`);
      assert.deepEqual(r.batches.map((b) => b.batch), [1, 7], what);
      const convs = [...m.modules()].filter((x) => x instanceof nn.Conv2d).length;
      const bns = [...m.modules()].filter((x) => x instanceof nn.BatchNorm2d).length;
      assert.equal(ops.Conv, convs, what);
      assert.equal(ops.BatchNormalization ?? 0, foldBn ? 0 : bns, what);
      assert.equal(ops.Gemm, 1, what);
    }
    m.dispose();
  }
  assert.equal(torch.liveTensors(), live, 'no tensor leaked');
});

test('BN folding: folded and unfolded graphs agree with each other and with training-mode flags restored', async () => {
  torch.manualSeed(2);
  const m = createModel('cifar_resnet20', { width: 4, inChannels: 1, numClasses: 5 });
  randomizeBn(m);
  m.train();
  m.layers[0]!.eval();
  const modes = m.modules().map((x) => x.training);
  const x = torch.rand([3, 1, 16, 16]);
  const ort = await import('onnxruntime-node');
  const outs: Float32Array[] = [];
  for (const foldBn of [false, true]) {
    const e = exportOnnx(m, x, { foldBn });
    const s = await ort.InferenceSession.create(e.bytes);
    outs.push((await s.run({ input: new ort.Tensor('float32', x.data() as Float32Array, x.shape) })).logits!.data as Float32Array);
    await s.release();
  }
  assert.deepEqual(m.modules().map((y) => y.training), modes, 'each module keeps its own mode');
  const diff = Math.max(...outs[0]!.map((v, i) => Math.abs(v - outs[1]![i]!)));
  assert.ok(diff < 1e-4, `folded vs unfolded max abs diff ${diff}`);
  assert.ok(outs[0]!.some((v) => Math.abs(v) > 1e-3), 'non-trivial logits');
  x.dispose();
  m.dispose();
});

test('graph input/output dims are [batch, ...] with a dynamic batch; initialisers hold the trained weights', () => {
  torch.manualSeed(3);
  const m = createModel('small_cnn', { channels: [2, 3], numClasses: 4, inputSize: 8 });
  const x = torch.rand([2, 1, 8, 8]);
  const e = exportOnnx(m, x, { opset: 13, softmax: true });
  const g = decodeModel(e.bytes);
  assert.equal(g.opsetImport[0]!.version, 13);
  const dims = (v: { type: { tensorType: { shape: { dim: object[] } } } }): object[] => v.type.tensorType.shape.dim;
  assert.deepEqual(dims(g.graph.input[0]!), [{ dimParam: 'batch' }, { dimValue: 1 }, { dimValue: 8 }, { dimValue: 8 }]);
  assert.deepEqual(g.graph.output.map((o) => o.name), ['logits', 'probabilities']);
  assert.deepEqual(dims(g.graph.output[1]!), [{ dimParam: 'batch' }, { dimValue: 4 }]);
  const w = g.graph.initializer.find((t) => t.name === 'fc.weight')!;
  assert.deepEqual(w.dims, [4, 12]);
  assert.deepEqual(Array.from(new Float32Array(Uint8Array.from(w.rawData).buffer)), Array.from((m.fc as nn.Linear).weight.data() as Float32Array));
  x.dispose();
  m.dispose();
});

test('metadata round-trip: class names, input shape and range, normalisation (applied in the graph), source run, extras', async () => {
  torch.manualSeed(4);
  const m = createModel('small_cnn', { channels: [2, 3], numClasses: 3, inputSize: 8, inChannels: 3 });
  const normalize = { mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] };
  const { r, bytes } = await roundTrip(m, [3, 8, 8], { normalize, classNames: ['a', 'b c', 'd/é'], sourceRun: 'runs/x', softmax: true, metadata: { note: 'n' } });
  assert.ok(r.ok, `max abs diff ${r.maxAbsDiff}`);
  assert.deepEqual(r.outputs, ['logits', 'probabilities']);
  const info = parseOnnxInfo(readOnnxMetadata(bytes));
  assert.deepEqual(info.classNames, ['a', 'b c', 'd/é']);
  assert.deepEqual(info.inputShape, [3, 8, 8]);
  assert.deepEqual(info.inputRange, [0, 1]);
  assert.deepEqual(info.normalization, normalize);
  assert.equal(info.sourceRun, 'runs/x');
  assert.equal(info.props.note, 'n');
  assert.equal(info.bnFolded, false);
  const x = torch.rand([1, 3, 8, 8]);
  assert.throws(() => exportOnnx(m, x, { classNames: ['a'] }), /classNames must be 3 strings/);
  assert.throws(() => exportOnnx(m, x, { metadata: { class_names: 'x' } }), /metadata.class_names must be not a reserved key/);
  assert.throws(() => exportOnnx(m, x, { normalize: { mean: [0, 0], std: [1, 1] } }), /normalize.mean must be 1 or 3/);
  assert.throws(() => exportOnnx(m, x, { opset: 9 }), /opset must be an integer in \[13, 21\]/);
  x.dispose();
  m.dispose();
});

class Gate extends nn.Module { forward(x: Tensor): Tensor { return x.mul(torch.sigmoid(x.mean([2, 3], true))); } }
class MyReLU extends nn.ReLU { override forward(x: Tensor): Tensor { return torch.relu(x).mul(2); } }

test('modules without an exact ONNX form fail with an error naming the module path and class', () => {
  const x = torch.rand([1, 2, 6, 6]);
  const cases: [nn.AnyModule, RegExp][] = [
    [new nn.Sequential(new nn.Conv2d(2, 2, 3), new Gate()), /module '1' \(Gate\): no ONNX exporter is registered for class Gate/],
    [new nn.Sequential(new nn.Sequential(new MyReLU())), /module '0\.0' \(MyReLU\)/],
    [new nn.Sequential(new nn.BatchNorm2d(2, { trackRunningStats: false })), /module '0' \(BatchNorm2d\): BatchNorm without running statistics/],
    [new nn.Sequential(new nn.MaxPool2d(2, { ceilMode: true })), /module '0' \(MaxPool2d\): ceilMode/],
    [new nn.Sequential(new nn.AdaptiveAvgPool2d([4, 4])), /module '0' \(AdaptiveAvgPool2d\): adaptive pooling from 6x6 to 4x4/],
    [new nn.Sequential(new nn.AvgPool2d(2, { divisorOverride: 3 })), /module '0' \(AvgPool2d\): divisorOverride/],
    [new nn.Sequential(new nn.ReLU(), new nn.Softplus(1, 5)), /module '1' \(Softplus\): threshold 5 < 15/],
    [new nn.Sequential(new nn.LayerNorm(6)), /module '0' \(LayerNorm\): LayerNormalization needs opset >= 17 \(exporting at 13\)/],
  ];
  for (const [m, re] of cases) {
    assert.throws(() => exportOnnx(m, x, { opset: 13 }), (e: unknown) => e instanceof UnsupportedModuleError && re.test(e.message), String(re));
    m.dispose();
  }
  x.dispose();
});

class TwoBranch extends nn.Module {
  readonly a = this.registerModule('a', new nn.Conv2d(2, 3, 1));
  readonly b = this.registerModule('b', new nn.Conv2d(2, 2, 3, { padding: 'same' }));
  forward(x: Tensor): Tensor { return torch.cat([this.a.call(x), torch.tanh(this.b.call(x))], 1); }
}
class Twice extends nn.Module { forward(x: Tensor): Tensor { return x.mul(2); } }

test('registerOnnxExporter: a custom module exports through its registered form; a wrong form is caught before writing', async () => {
  registerOnnxExporter(TwoBranch, (m, x, ctx) => {
    const b = ctx.module(m.b, x);
    return ctx.concat([ctx.module(m.a, x), ctx.op('Tanh', [b], torch.tanh(b.sample))], 1, ctx.pathOf(m));
  });
  registerOnnxExporter(Twice, (_m, x) => x); // deliberately wrong: drops the * 2
  torch.manualSeed(5);
  const m = new nn.Sequential(new TwoBranch(), new nn.ReLU(), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(5, 2));
  const { r, ops } = await roundTrip(m, [2, 5, 5]);
  assert.ok(r.ok, `max abs diff ${r.maxAbsDiff}`);
  assert.equal(ops.Concat, 1);
  const bad = new nn.Sequential(new nn.Conv2d(2, 2, 1), new Twice());
  const x = torch.rand([1, 2, 3, 3]);
  assert.throws(() => exportOnnx(bad, x), /does not reproduce its forward\(\)/);
  const hooked = new nn.Sequential(new nn.Conv2d(2, 2, 1), new nn.Tanh()); // tanh: the hook's x3 always shows
  const h = hooked.at(0).registerForwardHook((_m: nn.AnyModule, _i: unknown, out: Tensor) => out.mul(3));
  assert.throws(() => exportOnnx(hooked, x), /a forward hook changes outputs/);
  h.remove();
  assert.equal(exportOnnx(hooked, x).nodes, 2, 'exports once the hook is gone');
  hooked.dispose();
  x.dispose();
  bad.dispose();
  m.dispose();
});

test('activations, norms and layers beyond the zoo (opset 21): GELU (exact, tanh), SiLU, Softplus, LeakyReLU, LayerNorm, BatchNorm1d, 3-D Linear', async () => {
  torch.manualSeed(6);
  const m = new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1, dilation: 1, groups: 2 }), new nn.GELU(), new nn.AvgPool2d(2, { countIncludePad: false, padding: 1 }),
    new nn.SiLU(), new nn.Flatten(2), new nn.Linear(9, 6), new nn.GELU('tanh'), new nn.LayerNorm(6), new nn.Softplus(2),
    new nn.Flatten(), new nn.Linear(24, 8), new nn.BatchNorm1d(8), new nn.LeakyReLU(0.2), new nn.Dropout(0.3), new nn.Sigmoid(),
    new nn.Linear(8, 3, { bias: false }), new nn.Tanh(), new nn.LogSoftmax(1),
  );
  randomizeBn(m);
  const { r, ops, bytes } = await roundTrip(m, [2, 10, 10], { opset: 21 });
  assert.deepEqual([decodeModel(bytes).irVersion, decodeModel(bytes).opsetImport[0]!.version], [10, 21]);
  assert.ok(r.ok, `max abs diff ${r.maxAbsDiff}`);
  for (const op of ['Erf', 'Tanh', 'Sigmoid', 'Softplus', 'LayerNormalization', 'BatchNormalization', 'MatMul', 'Reshape', 'LeakyRelu', 'LogSoftmax', 'AveragePool']) {
    assert.ok(ops[op], `graph has ${op}`);
  }
  m.dispose();
});

test('a FeatureModel with its head removed (Identity) exports its pooled features; an imprinted head exports as Gemm', async () => {
  torch.manualSeed(7);
  const m = createModel('cifar_resnet20', { width: 2, inChannels: 1, numClasses: 5 });
  randomizeBn(m);
  torch.noGrad(() => m.resetClassifier(0));
  const a = await roundTrip(m, [1, 8, 8]);
  assert.ok(a.r.ok, `max abs diff ${a.r.maxAbsDiff}`);
  assert.equal(a.ops.Gemm, undefined);
  assert.deepEqual((decodeModel(a.bytes).graph.output[0]!.type.tensorType.shape.dim), [{ dimParam: 'batch' }, { dimValue: m.featureDim }]);
  torch.tidy(() => m.imprintClassifier(torch.randn([6, m.featureDim]), torch.tensor(BigInt64Array.from([0n, 1n, 2n, 0n, 1n, 2n])), { scale: 5 }));
  const b = await roundTrip(m, [1, 8, 8], { classNames: ['x', 'y', 'z'] });
  assert.ok(b.r.ok, `max abs diff ${b.r.maxAbsDiff}`);
  assert.equal(b.ops.Gemm, 1);
  m.dispose();
});

/** Stands in for a method's module swapped into a block at run time (as a gated conv replaces conv1 and an Identity bn1). */
class Scaled extends nn.Module {
  constructor(readonly inner: nn.Conv2d) { super(); this.registerModule('inner', inner); }
  forward(x: Tensor): Tensor { return this.inner.call(x).mul(0.5); }
}

test('a module swapped into a ResNet block is exported through its own exporter (error naming it when it has none), BN folding or not', async () => {
  torch.manualSeed(8);
  const m = createModel('cifar_resnet20', { width: 2, inChannels: 1, numClasses: 3 });
  randomizeBn(m);
  const block = m.getSubmodule('layer2.0') as unknown as Record<string, nn.AnyModule> & nn.AnyModule;
  const swapped = new Scaled(block.conv1 as nn.Conv2d);
  block.registerModule('conv1', swapped);
  block.conv1 = swapped;
  const x = torch.rand([1, 1, 8, 8]);
  for (const foldBn of [false, true]) {
    assert.throws(() => exportOnnx(m, x, { foldBn }), /module 'layer2\.0\.conv1' \(Scaled\): no ONNX exporter/);
  }
  registerOnnxExporter(Scaled, (s, v, ctx) => {
    const y = ctx.module(s.inner, v);
    return ctx.op('Mul', [y, ctx.constant(`${ctx.pathOf(s)}.half`, [0.5], [])], s.call(v.sample));
  });
  for (const foldBn of [false, true]) {
    const { r, ops } = await roundTrip(m, [1, 8, 8], { foldBn });
    assert.ok(r.ok, `foldBn=${foldBn}: max abs diff ${r.maxAbsDiff}`);
    assert.equal(ops.BatchNormalization ?? 0, foldBn ? 1 : 21, 'only the swapped pair keeps its BatchNormalization when folding');
  }
  x.dispose();
  m.dispose();
});

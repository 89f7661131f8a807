/** AdaFilter: forced gates reproduce the pre-trained / fine-tuned models exactly, gradients reach only the chosen branch, gated BN, ST gradients, per-example gates, bottleneck blocks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/core/torch.js';
import type { Tensor } from '../../../src/core/torch.js';
import { BatchNorm2d } from '../../../src/core/nn/layers/norm.js';
import { Conv2d } from '../../../src/core/nn/layers/conv.js';
import { ResNet } from '../../../src/models/resnet.js';
import type { FeatureModel } from '../../../src/models/index.js';
import { binarize, createAdafilterTask, GateNetwork, GatedConv, maskedBatchNorm, type AdafilterConfig } from '../../../src/methods/adafilter/index.js';
import { tinyCnn, tinyResNet } from '../finetune-fixtures.js';

torch.setNumThreads(1); // tiny tensors: one thread is fastest on a shared machine

const input = (n = 4, seed = 3): Tensor => torch.rand([n, 1, 8, 8], { generator: new torch.Generator(seed) });
const maxDiff = (a: Tensor, b: Tensor): number => torch.tidy(() => Number(a.sub(b).abs().max().item()));
const tinyBottleneck = (): ResNet => { torch.manualSeed(5); return new ResNet({ block: 'bottleneck', layers: [1, 1], stem: 'cifar', width: 2, inChannels: 1, numClasses: 3, zeroInitResidual: false }); };
const KEEP: Partial<AdafilterConfig> = { head: 'keep' };

/** Randomises every fine-tuned copy (conv and BN^F, running stats included) so that the two branches differ. */
function perturbTuned(layers: GatedConv[]): void {
  torch.noGrad(() => {
    for (const l of layers) {
      for (const p of [...l.tuned.parameters(), ...(l.bnTuned?.parameters() ?? [])]) p.add_(torch.randLike(p).sub(0.5));
      if (l.bnTuned) { l.bnTuned.runningMean!.add_(0.3); l.bnTuned.runningVar!.mul_(1.5); }
    }
  });
}

/** Copies every GatedConv's fine-tuned conv and BN^F into `plain` (a model with the original layout). */
function loadTuned(plain: FeatureModel, paths: string[], layers: GatedConv[]): void {
  paths.forEach((p, i) => {
    const conv = plain.getSubmodule(p) as Conv2d;
    conv.loadStateDict(layers[i]!.tuned.stateDict());
    const parent = p.split('.').slice(0, -1).join('.');
    const kids = plain.getSubmodule(parent).namedChildren();
    const next = kids[kids.findIndex(([, m]) => m === conv) + 1]?.[1];
    if (layers[i]!.bnTuned) (next as BatchNorm2d).loadStateDict(layers[i]!.bnTuned!.stateDict());
  });
}

for (const [name, make] of [['cifar_resnet20 (basic)', () => tinyResNet()], ['small_cnn', () => tinyCnn()], ['bottleneck ResNet', tinyBottleneck]] as const) {
  test(`${name}: gates forced to 0 give the pre-trained model exactly, forced to 1 the fine-tuned copy, in eval and train mode`, () => {
    const ref = make();
    const model = make();
    const task = createAdafilterTask(model, KEEP);
    const convs = ref.modules().filter((m) => m instanceof Conv2d).length;
    assert.equal(task.layers.length, convs, 'every backbone conv is gated by default');
    perturbTuned(task.layers);
    const tuned = make();
    loadTuned(tuned, task.paths, task.layers);
    const x = input();
    for (const training of [false, true]) {
      for (const m of [ref, model, tuned]) m.train(training);
      torch.tidy(() => {
        task.gates.force = 0;
        assert.equal(maxDiff(model.call(x), ref.call(x)), 0, `forced 0 (training ${training})`);
        task.gates.force = 1;
        assert.equal(maxDiff(model.call(x), tuned.call(x)), 0, `forced 1 (training ${training})`);
        assert.ok(maxDiff(ref.call(x), tuned.call(x)) > 1e-3, 'the branches should differ');
      });
    }
    task.dispose(); for (const m of [ref, model, tuned]) m.dispose(); x.dispose();
  });
}

test('gradients reach only the branch the gate chose, filter by filter and example by example', () => {
  const model = tinyCnn();
  const task = createAdafilterTask(model, KEEP);
  const l0 = task.layers[0]!;
  const c = l0.outChannels;
  // layer 0: example 0 fine-tunes filters 0 and 2 only; example 1 fine-tunes nothing; other layers frozen branch
  task.gates.force = (layer, a) => torch.tidy(() => {
    if (layer !== 0) return torch.zerosLike(a);
    const g = new Float32Array(a.size(0) * c);
    g[0] = 1; g[2] = 1;
    return torch.tensor(g).reshape([a.size(0), c]);
  });
  const x = input(2);
  torch.tidy(() => model.call(x).pow(2).sum().backward());
  const rows = torch.tidy(() => [...(l0.tuned.weight.grad!.abs().sum([1, 2, 3]).data() as Float32Array)]);
  assert.ok(rows[0]! > 0 && rows[2]! > 0, `filters 0 and 2 get gradient: ${rows}`);
  assert.deepEqual(rows.filter((_, j) => j !== 0 && j !== 2), new Array(c - 2).fill(0));
  assert.equal(l0.frozen.weight.grad, null, 'the frozen filters never get a gradient');
  assert.equal(l0.frozen.weight.requiresGrad, false);
  const l1 = task.layers[1]!;
  assert.equal(torch.tidy(() => Number(l1.tuned.weight.grad?.abs().sum().item() ?? 0)), 0);
  model.zeroGrad();
  // small_cnn has no BN, so examples do not interact: the loss of example 1 alone (no filter of layer 0 fine-tuned) gives F_0 no gradient
  torch.tidy(() => model.call(x).narrow(0, 1, 1).pow(2).sum().backward());
  assert.equal(torch.tidy(() => Number(l0.tuned.weight.grad!.abs().sum().item())), 0);
  assert.ok(torch.tidy(() => Number(l0.frozen.weight.grad?.abs().sum().item() ?? 0)) === 0);
  task.dispose(); model.dispose(); x.dispose();
});

test('gated BN mixes BN^F(F x) and BN^S(S x) per example and channel; masked statistics use only the selected examples', () => {
  torch.manualSeed(2);
  const conv = new Conv2d(2, 3, 3, { padding: 1, bias: false });
  const bn = new BatchNorm2d(3);
  const gates = new GateNetwork({ layers: [[2, 3]], kind: 'lstm', projSize: 4, hiddenSize: 5, gateBias: 0, binarize: 'st', temperature: 1 });
  const g = torch.tensor([[1, 0, 1], [0, 0, 1], [1, 0, 0], [0, 0, 1]]);
  gates.force = () => g.clone();
  const layer = new GatedConv(conv, 0, gates, { bn, gatedBn: true, bnStats: 'batch' });
  torch.noGrad(() => { layer.tuned.weight.mul_(-2); layer.bnTuned!.bias!.fill_(0.7); });
  const x = torch.rand([4, 2, 5, 5], { generator: new torch.Generator(9) });
  torch.tidy(() => {
    const y = layer.call(x);
    const ref = torch.tidy(() => {
      const yf = torch.batchNorm(layer.tuned.call(x), layer.bnTuned!.weight, layer.bnTuned!.bias, null, null, true, 0.1, 1e-5);
      const ys = torch.batchNorm(layer.frozen.call(x), bn.weight, bn.bias, null, null, true, 0.1, 1e-5);
      const g4 = g.view([4, 3, 1, 1]);
      return g4.mul(yf).add(g4.rsub(1).mul(ys));
    });
    assert.ok(maxDiff(y, ref) < 1e-6, `mix differs by ${maxDiff(y, ref)}`);
  });
  // masked moments: BN^F's channel 0 sees examples 0 and 2 only; channel 1 (no example) keeps its running stats
  const fresh = new BatchNorm2d(3);
  const v = torch.rand([4, 3, 2, 2], { generator: new torch.Generator(4) });
  torch.tidy(() => {
    const y = maskedBatchNorm(fresh, v, g);
    const sel = torch.stack([v.select(0, 0).select(0, 0), v.select(0, 2).select(0, 0)]);
    const mean = Number(sel.mean().item());
    const unbiased = Number(sel.var().item());
    const rm = fresh.runningMean!.data() as Float32Array;
    const rv = fresh.runningVar!.data() as Float32Array;
    assert.ok(Math.abs(rm[0]! - 0.1 * mean) < 1e-6, `running mean ${rm[0]} vs ${0.1 * mean}`);
    assert.ok(Math.abs(rv[0]! - (0.9 + 0.1 * unbiased)) < 1e-6);
    assert.equal(rm[1], 0); assert.equal(rv[1], 1);
    const biased = Number(sel.var(null, 0).item());
    const y00 = Number(y.select(0, 0).select(0, 0).select(0, 0).select(0, 0).item());
    const x00 = Number(v.select(0, 0).select(0, 0).select(0, 0).select(0, 0).item());
    assert.ok(Math.abs(y00 - (x00 - mean) / Math.sqrt(biased + 1e-5)) < 1e-4, 'normalised with the masked moments');
    assert.equal(Number(fresh.numBatchesTracked!.item()), 1);
  });
  for (const t of [g, x, v]) t.dispose();
  layer.dispose(); gates.dispose(); fresh.dispose();
});

test('straight-through: forward exactly 1[p > 0.5], backward the sigmoid gradient; Gumbel gives 0/1 with temperature-scaled gradients; eval is deterministic', () => {
  const a = torch.tensor([[-2, -0.1, 0.2, 3]]).requiresGrad_(true);
  const w = torch.tensor([[1, 2, 3, 4]]);
  torch.tidy(() => {
    const g = binarize(a, true, { binarize: 'st', temperature: 1 });
    assert.deepEqual([...(g.data() as Float32Array)], [0, 0, 1, 1]);
    g.mul(w).sum().backward();
    const s = torch.sigmoid(a.detach());
    const want = s.mul(s.rsub(1)).mul(w);
    assert.ok(maxDiff(a.grad!, want) < 1e-7);
  });
  a.grad = null;
  torch.manualSeed(1);
  torch.tidy(() => {
    const g = binarize(a, true, { binarize: 'gumbel', temperature: 5 });
    const vals = [...(g.data() as Float32Array)];
    assert.ok(vals.every((v) => v === 0 || v === 1), `${vals}`);
    g.sum().backward();
    const gr = [...(a.grad!.data() as Float32Array)];
    assert.ok(gr.every((v) => v > 0 && v <= 0.25 / 5 + 1e-7), `gumbel grads ${gr}`);
    assert.deepEqual([...(binarize(a, false, { binarize: 'gumbel', temperature: 5 }).data() as Float32Array)], [0, 0, 1, 1]);
  });
  a.dispose(); w.dispose();
});

test('gate network: shapes per layer, ONE shared cell (lstm/gru) or per-layer MLPs, gates of an example do not depend on the rest of the batch', () => {
  for (const gate of ['lstm', 'gru', 'mlp'] as const) {
    const model = tinyResNet();
    const task = createAdafilterTask(model, { ...KEEP, gate });
    const names = task.gates.namedParameters().map(([n]) => n);
    assert.equal(names.filter((n) => n.startsWith('cell.')).length, gate === 'mlp' ? 0 : 4, gate);
    assert.equal(names.filter((n) => n.startsWith('heads.')).length, 2 * task.layers.length);
    const shapes: number[][] = [];
    const per: Tensor[] = [];
    model.eval();
    const x = input(3);
    torch.tidy(() => {
      task.gates.onGate = (_l, g) => { per.push(g); };
      const full = model.call(x);
      const fullGates = per.splice(0);
      shapes.push(...fullGates.map((g) => g.shape));
      for (let i = 0; i < 3; i++) {
        const one = model.call(x.narrow(0, i, 1));
        assert.ok(maxDiff(one, full.narrow(0, i, 1)) < 1e-5, `example ${i} depends on the batch (${gate})`);
        per.splice(0).forEach((g, l) => assert.equal(maxDiff(g, fullGates[l]!.narrow(0, i, 1)), 0));
      }
    });
    assert.deepEqual(shapes, task.layers.map((l) => [3, l.outChannels]));
    task.dispose(); model.dispose(); x.dispose();
  }
});

test('stages: only the chosen stages are gated; bad stage names and double wrapping are refused naming the field', () => {
  const model = tinyResNet();
  const task = createAdafilterTask(model, { stages: ['layer3', 'layer2'] });
  assert.ok(task.paths.every((p) => p.startsWith('layer2') || p.startsWith('layer3')));
  assert.ok(task.paths[0]!.startsWith('layer2'), 'forward order whatever the config order');
  assert.ok(model.getSubmodule('conv1') instanceof Conv2d);
  assert.throws(() => createAdafilterTask(tinyResNet(), { stages: ['layer9'] }), /method\.stages.*'layer9'.*'stem', 'layer1'/);
  assert.throws(() => createAdafilterTask(model, { stages: ['layer2'] }), /already gated/);
  assert.throws(() => createAdafilterTask(tinyResNet(), { gate: 'rnn' } as never), /method\.gate' must be one of 'lstm', 'gru', 'mlp', got "rnn"/);
  assert.throws(() => createAdafilterTask(tinyResNet(), { gatedBn: false, bnStats: 'masked' }), /method\.bnStats/);
  task.dispose(); model.dispose();
});

test('the gate network learns through the straight-through estimator once F differs from S (at creation F = S: no gate gradient)', () => {
  const model = tinyResNet();
  const task = createAdafilterTask(model, { numClasses: 3 });
  const x = input(4);
  const y = torch.tensor([0, 1, 2, 0]).to('int64');
  const gradSums = (): [string, number][] => task.gates.namedParameters().filter(([n]) => n.endsWith('weight'))
    .map(([n, p]) => [n, torch.tidy(() => Number(p.grad?.abs().sum().item() ?? 0))]);
  torch.tidy(() => task.loss({ x, y }).loss.backward());
  assert.deepEqual(gradSums().filter(([, v]) => v !== 0), [], 'dL/dg = (dL/dy) (yF - yS) is exactly 0 while the copies equal the originals');
  model.zeroGrad();
  perturbTuned(task.layers);
  torch.tidy(() => task.loss({ x, y }).loss.backward());
  assert.deepEqual(gradSums().filter(([, v]) => !(v > 0)), [], 'every projection, the shared cell and every head get a gradient');
  task.dispose(); model.dispose(); x.dispose(); y.dispose();
});

test("head 'reinit' gives a new head of numClasses outputs (new weights even at the same size); 'keep' keeps the head and needs its size", () => {
  const model = tinyResNet();
  const fc = (m: FeatureModel) => Array.from(torch.tidy(() => (m.getSubmodule('fc') as unknown as { weight: Tensor }).weight.detach().contiguous().data() as Float32Array));
  const before = fc(model);
  torch.manualSeed(99);
  const task = createAdafilterTask(model, { head: 'reinit' });
  assert.equal(model.numClasses, before.length / model.featureDim);
  assert.notDeepEqual(fc(model), before, 'reinit draws new head weights');
  task.dispose(); model.dispose();
  const kept = tinyResNet();
  const w = fc(kept);
  const t2 = createAdafilterTask(kept, { head: 'keep' });
  assert.deepEqual(fc(kept), w);
  t2.dispose(); kept.dispose();
  assert.throws(() => createAdafilterTask(tinyResNet(), { head: 'keep', numClasses: 7 }), /'method\.numClasses' \(7\) differs from the kept head's/);
  const five = tinyResNet();
  const t5 = createAdafilterTask(five, { numClasses: 5 });
  assert.equal(five.numClasses, 5);
  t5.dispose(); five.dispose();
});

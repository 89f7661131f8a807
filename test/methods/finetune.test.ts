/** Standard fine-tuning: strategies (linear probe, partial, BN frozen, scratch), L2 vs L2-SP, discriminative lr, imprinting, a short real fine-tune, leaks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import { buildOptimizer, train } from '../../src/train/index.js';
import { createFinetuneTask, finetuneTrainConfig, type FinetuneConfig } from '../../src/methods/finetune/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { FeatureModel } from '../../src/models/index.js';
import type { Linear } from '../../src/core/nn/layers/linear.js';
import { changed, loaderOf, makeSet, snapshot, tinyCnn, tinyResNet, tmp } from './finetune-fixtures.js';

const RUN = { handleSignals: false, checkpoint: { atEpochEnd: false } } as const;
const stats = (m: FeatureModel) => snapshot(m.namedBuffers().filter(([n]) => n.includes('running_')));

/** Trains `steps` optimizer steps through the engine; returns the result and the eval metrics. */
async function fit(model: FeatureModel, ft: Partial<FinetuneConfig>, ds: Dataset, steps: number, evalSet?: Dataset) {
  const task = createFinetuneTask(model, ft, evalSet ? { eval: loaderOf(evalSet, 32, false) } : {});
  const cfg = finetuneTrainConfig(ft, { seed: 1, maxSteps: steps, checkpoint: { atEpochEnd: false }, eval: { atEpochEnd: false } });
  const r = await train(task, cfg, { data: loaderOf(ds), runDir: tmp('fit'), handleSignals: RUN.handleSignals });
  return { task, r };
}

test('linear probe: backbone weights bit-identical and BN running stats unchanged after training; the head trains', async () => {
  const ds = makeSet(48, 1);
  const model = tinyResNet();
  const w0 = snapshot(model.namedParameters().filter(([n]) => !n.startsWith('fc.')));
  const s0 = stats(model);
  const { task, r } = await fit(model, { strategy: 'linear-probe', numClasses: 3, elr: 0.5, momentum: 0.9 }, ds, 6);
  assert.equal(r.step, 6);
  assert.deepEqual(changed(w0, snapshot(model.namedParameters().filter(([n]) => !n.startsWith('fc.')))), []);
  assert.deepEqual(changed(s0, stats(model)), [], 'BN running stats moved');
  assert.deepEqual(task.paramGroups().map((g) => g.name), ['head']);
  assert.ok(model.namedParameters().every(([n, p]) => p.requiresGrad === n.startsWith('fc.')));
  assert.equal(task.frozenBn.length, model.modules().filter((m) => m.constructor.name === 'BatchNorm2d').length);
  task.dispose(); model.dispose(); ds.dispose();
});

test('partial: freezeUpTo layer1 freezes exactly stem + layer1 (weights and BN stats), layer2/3 and the head train', async () => {
  const ds = makeSet(48, 2);
  const model = tinyResNet();
  const frozen = (n: string): boolean => /^(conv1|bn1|layer1)\./.test(n);
  const p0 = snapshot(model.namedParameters());
  const s0 = stats(model);
  const { task } = await fit(model, { strategy: 'partial', freezeUpTo: 'layer1', numClasses: 3, elr: 0.5 }, ds, 4);
  assert.deepEqual(task.frozenStages, ['stem', 'layer1']);
  for (const [n, p] of model.namedParameters()) assert.equal(p.requiresGrad, !frozen(n), n);
  const moved = changed(p0, snapshot(model.namedParameters()));
  assert.ok(moved.every((n) => !frozen(n)), `frozen params moved: ${moved.filter(frozen)}`);
  assert.ok(moved.some((n) => n.startsWith('layer2.')) && moved.some((n) => n.startsWith('layer3.')), 'layer2/3 did not train');
  const sMoved = changed(s0, stats(model));
  assert.ok(sMoved.length > 0 && sMoved.every((n) => !frozen(n)), `BN stats: ${sMoved}`);
  const bad = tinyCnn();
  assert.throws(() => createFinetuneTask(bad, { strategy: 'partial', freezeUpTo: 'layer2' }), /method\.freezeUpTo' must be one of 'block1', 'block2' for SmallCnn, got 'layer2'/);
  const cnn = tinyCnn();
  const t2 = createFinetuneTask(cnn, { strategy: 'partial', freezeUpTo: 'block1' });
  assert.deepEqual(cnn.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n]) => n), ['conv1.weight', 'conv1.bias']);
  task.dispose(); t2.dispose(); model.dispose(); cnn.dispose(); bad.dispose(); ds.dispose();
});

test('BN frozen: full fine-tuning keeps running stats (engine calls task.setTrainMode), freezeBnAffine keeps BN weights', async () => {
  const ds = makeSet(48, 3);
  const model = tinyResNet();
  const bnP = (m: FeatureModel) => snapshot(m.namedParameters().filter(([n]) => /bn\d\./.test(n)));
  const s0 = stats(model), b0 = bnP(model);
  const { task } = await fit(model, { bn: 'frozen', freezeBnAffine: true, numClasses: 3, elr: 0.5 }, ds, 3);
  assert.deepEqual(changed(s0, stats(model)), []);
  assert.deepEqual(changed(b0, bnP(model)), []);
  const fresh = tinyResNet();
  assert.ok(changed(snapshot([['w', model.conv1.weight]]), snapshot([['w', fresh.conv1.weight]])).length === 1, 'conv1 did not train');
  fresh.dispose();
  const m2 = tinyResNet();
  const s2 = stats(m2);
  const r2 = await fit(m2, { bn: 'train', numClasses: 3 }, ds, 1);
  assert.ok(changed(s2, stats(m2)).length > 0, 'bn train should update running stats');
  task.dispose(); r2.task.dispose(); model.dispose(); m2.dispose(); ds.dispose();
});

test('setTrainMode: train mode except the frozen BN layers; eval mode for all; loss() leaves modes alone', () => {
  const model = tinyResNet();
  const task = createFinetuneTask(model, { strategy: 'partial', freezeUpTo: 'layer1', numClasses: 3 });
  const bns = model.modules().filter((m) => m.constructor.name === 'BatchNorm2d');
  const frozen = new Set(task.frozenBn);
  assert.ok(frozen.size > 0 && frozen.size < bns.length, `frozen BN ${frozen.size} of ${bns.length}`);
  task.setTrainMode(true);
  assert.ok(model.modules().every((m) => m.training === !frozen.has(m)));
  task.setTrainMode(false);
  assert.ok(model.modules().every((m) => !m.training));
  model.train(); // a caller that bypasses the hook: loss() no longer re-applies the frozen modes
  torch.tidy(() => { task.loss({ x: torch.zeros([2, 1, 8, 8]), y: torch.tensor([0, 1], { dtype: 'int64' }) }); });
  assert.ok(task.frozenBn.every((m) => m.training));
  task.dispose(); model.dispose();
});

test('L2-SP: value equals the formula, backbone term 0 at init, one step of pure L2-SP moves weights towards w0', () => {
  const model = tinyCnn();
  const task = createFinetuneTask(model, { regularizer: 'l2-sp', alpha: 0.3, beta: 0.02 });
  const sum2 = (ts: torch.Tensor[]) => ts.reduce((s, t) => s + torch.tidy(() => Number(t.detach().to('float64').square().sum().item())), 0);
  const head = model.fc.parameters();
  const p0 = torch.tidy(() => task.penalty()!.parts);
  assert.equal(Number(p0['l2sp_backbone']!.item()), 0);
  assert.ok(Math.abs(Number(p0['l2sp_head']!.item()) - 0.01 * sum2(head)) < 1e-6);
  torch.dispose(p0);
  // Perturb the backbone by a known delta.
  const g = new torch.Generator(4);
  const deltas = torch.tidy(() => task.backbone.map(([, p]) => torch.randn(p.shape, { generator: g }).mul(0.1)));
  torch.noGrad(() => task.backbone.forEach(([, p], i) => p.add_(deltas[i]!)));
  const want = 0.15 * sum2(deltas) + 0.01 * sum2(head);
  const got = torch.tidy(() => Number(task.penalty()!.total.item()));
  assert.ok(Math.abs(got - want) < 1e-5 * want, `L2-SP ${got} vs formula ${want}`);
  // Gradient step on the penalty alone: w <- w - lr * alpha * (w - w0) exactly; distance shrinks by (1 - lr*alpha).
  const dist = () => torch.tidy(() => sum2(task.backbone.map(([, p], i) => torch.sub(p.detach(), task.reference[i]!))));
  const d0 = dist();
  torch.tidy(() => task.penalty()!.total.backward());
  torch.noGrad(() => torch.tidy(() => { for (const [, p] of [...task.backbone, ...task.head.map(([n, t]) => [n, t] as [string, torch.Tensor])]) { p.sub_(p.grad!.mul(0.5)); p.grad = null; } }));
  const d1 = dist();
  assert.ok(Math.abs(d1 - d0 * (1 - 0.5 * 0.3) ** 2) < 1e-6 * d0, `distance ${d0} -> ${d1}`);
  // Plain L2 as a penalty differs (it pulls towards 0, not w0).
  const l2 = createFinetuneTask(model, { head: 'keep', l2Mode: 'penalty', weightDecay: 0.3 });
  const l2v = torch.tidy(() => Number(l2.penalty()!.parts['l2']!.item()));
  assert.ok(Math.abs(l2v - 0.15 * torch.tidy(() => sum2(model.parameters()))) < 1e-5 * l2v);
  assert.notEqual(l2v.toFixed(6), got.toFixed(6));
  const l2opt = createFinetuneTask(model, { head: 'keep', regularizer: 'l2' });
  assert.equal(l2opt.penalty(), null, 'optimizer-mode L2 adds no loss term');
  torch.dispose(deltas); task.dispose(); l2.dispose(); l2opt.dispose(); model.dispose();
});

test('L2 vs L2-SP: the optimizer groups carry weightDecay only for plain L2; training ends at different weights', async () => {
  const ds = makeSet(32, 5);
  const runs: Map<string, Buffer>[] = [];
  for (const reg of ['l2', 'l2-sp'] as const) {
    const model = tinyCnn();
    const ft = { regularizer: reg, weightDecay: 0.05, alpha: 0.05, beta: 0.05 };
    const t = createFinetuneTask(model, ft);
    assert.deepEqual(t.paramGroups().map((gr) => gr.weightDecay), reg === 'l2' ? [0.05, 0.05] : [0, 0]);
    t.dispose();
    const { task } = await fit(model, ft, ds, 3);
    runs.push(snapshot(model.namedParameters()));
    task.dispose(); model.dispose();
  }
  assert.ok(changed(runs[0]!, runs[1]!).length > 0);
  ds.dispose();
});

test('discriminative lr: headLrScale reaches the optimizer groups (lr = elr * (1 - momentum))', () => {
  const model = tinyCnn();
  const ft = { elr: 0.2, momentum: 0.75, headLrScale: 10 };
  const task = createFinetuneTask(model, ft);
  const cfg = finetuneTrainConfig(ft);
  const opt = buildOptimizer(task.paramGroups(), cfg.optim);
  assert.ok(Math.abs(opt.paramGroups[0]!.lr - 0.05) < 1e-15);
  assert.ok(Math.abs(opt.paramGroups[1]!.lr - 0.5) < 1e-12);
  assert.equal((opt.paramGroups[1] as unknown as { momentum: number }).momentum, 0.75);
  assert.equal(opt.paramGroups[1]!.params.length, 2);
  opt.dispose(); task.dispose(); model.dispose();
});

test('imprinting: the head rows are the normalised class means of the pooled training features; needs data; no leaks', () => {
  const live = torch.liveTensors();
  const ds = makeSet(30, 6);
  const model = tinyCnn(11, 10);
  const task = createFinetuneTask(model, { head: 'imprint', numClasses: 3, imprintScale: 2 }, { imprint: loaderOf(ds, 8, false) });
  assert.equal(model.numClasses, 3);
  torch.tidy(() => {
    const f = torch.noGrad(() => model.forwardPooled(torch.div(ds.images.to('float32'), 255)));
    const fn = torch.div(f, torch.vectorNorm(f, 2, 1, true));
    const ys = Array.from(ds.labels.data() as BigInt64Array, Number);
    for (let c = 0; c < 3; c++) {
      const idx = torch.tensor(Int32Array.from(ys.flatMap((y, i) => (y === c ? [i] : [])))).to('int64');
      const mean = fn.indexSelect(0, idx).mean(0);
      const want = torch.div(mean, torch.vectorNorm(mean, 2, 0)).mul(2);
      const err = Number(torch.abs(torch.sub((model.fc as Linear).weight.select(0, c), want)).max().item());
      assert.ok(err < 1e-5, `class ${c}: max error ${err}`);
    }
    assert.equal(Number(torch.abs((model.fc as Linear).bias!).max().item()), 0);
  });
  const noData = tinyCnn();
  assert.throws(() => createFinetuneTask(noData, { head: 'imprint' }), /method\.head' is 'imprint' but no labelled data/);
  noData.dispose();
  task.dispose(); model.dispose(); ds.dispose();
  assert.equal(torch.liveTensors(), live, 'tensors leaked by imprinting (the pooled features and labels)');
});

test('short fine-tune of small_cnn on synthetic data: loss falls and held-out accuracy beats chance; scratch re-initialises', async () => {
  const trainSet = makeSet(96, 7), testSet = makeSet(60, 8);
  const model = tinyCnn(11, 10);
  const losses: number[] = [];
  const task = createFinetuneTask(model, { numClasses: 3, elr: 0.5, momentum: 0.9, labelSmoothing: 0.1 }, { eval: loaderOf(testSet, 30, false) });
  const before = await task.evaluate();
  const cfg = finetuneTrainConfig(task.config, { seed: 2, epochs: 6, checkpoint: { atEpochEnd: false } });
  const r = await train(task, cfg, { data: loaderOf(trainSet), runDir: tmp('short'), handleSignals: false, onEvent: (e) => { if (e.type === 'step' && e.loss !== null) losses.push(e.loss); } });
  const acc = r.lastEval!['accuracy']!;
  const first = losses.slice(0, 6).reduce((a, b) => a + b) / 6, last = losses.slice(-6).reduce((a, b) => a + b) / 6;
  console.log(`short fine-tune small_cnn: loss ${first.toFixed(3)} -> ${last.toFixed(3)} over ${losses.length} steps; held-out acc ${before['accuracy']!.toFixed(3)} -> ${acc.toFixed(3)} (chance 0.333)`);
  assert.ok(last < first * 0.7, `loss ${first} -> ${last}`);
  assert.ok(acc > 0.6, `held-out accuracy ${acc}`);
  const preModel = tinyCnn();
  const pre = snapshot(preModel.namedParameters());
  preModel.dispose();
  const scratch = tinyCnn();
  const ts = createFinetuneTask(scratch, { strategy: 'scratch' });
  assert.equal(changed(pre, snapshot(scratch.namedParameters())).length, pre.size, 'scratch must re-initialise every weight');
  task.dispose(); ts.dispose(); model.dispose(); scratch.dispose(); trainSet.dispose(); testSet.dispose();
});

test('no tensor leaks over a few L2-SP steps with evaluation; the task frees its reference; resume state round-trips', async () => {
  const ds = makeSet(32, 9);
  const model = tinyResNet();
  await fit(model, { regularizer: 'l2-sp', numClasses: 3 }, ds, 1).then(({ task }) => task.dispose()); // warm-up
  const before = torch.liveTensors();
  const { task } = await fit(model, { regularizer: 'l2-sp', numClasses: 3 }, ds, 4, ds);
  const st = task.stateDict();
  assert.equal(st.tensors.size, task.backbone.length);
  const saved = new Map([...st.tensors].map(([k, t]) => [k, torch.keep(t.clone())]));
  const keep0 = snapshot([['r', task.reference[0]!]]);
  torch.noGrad(() => task.reference[0]!.add_(1));
  assert.equal(changed(keep0, snapshot([['r', task.reference[0]!]])).length, 1);
  task.loadStateDict({ tensors: saved, json: st.json });
  assert.deepEqual(changed(keep0, snapshot([['r', task.reference[0]!]])), [], 'loadStateDict did not restore w0');
  torch.dispose([...saved.values()]);
  task.dispose();
  assert.equal(torch.liveTensors() - before, 0, 'tensors leaked over training, evaluation and the task');
  model.dispose(); ds.dispose();
});

test('the loss of a MixUp/CutMix pair is lambda CE(y) + (1 - lambda) CE(yB), checked against the softmax of the logits by hand', () => {
  const ds = makeSet(6, 4);
  const model = tinyCnn(11, 3);
  const task = createFinetuneTask(model, { regularizer: 'none' });
  const x = torch.div(ds.images.to('float32'), 255);
  const y = torch.tensor([0, 1, 2, 0, 1, 2], { dtype: 'int64' });
  const yB = torch.tensor([2, 2, 0, 1, 0, 1], { dtype: 'int64' });
  const out = task.loss({ x, y, yB, lambda: 0.3 } as never);
  const logits = Array.from(torch.tidy(() => out.output!.detach().contiguous().data() as Float32Array));
  const ce = (rows: number[]): number => rows.reduce((s, c, i) => {
    const z = logits.slice(3 * i, 3 * i + 3);
    const m = Math.max(...z);
    return s + (Math.log(z.reduce((a, zi) => a + Math.exp(zi - m), 0)) + m - z[c]!);
  }, 0) / rows.length;
  const want = 0.3 * ce([0, 1, 2, 0, 1, 2]) + 0.7 * ce([2, 2, 0, 1, 0, 1]);
  const got = Number(out.loss.item());
  assert.ok(Math.abs(got - want) < 1e-5, `loss ${got} vs ${want}`);
  const plain = Number(task.loss({ x, y } as never).loss.item());
  assert.ok(Math.abs(plain - ce([0, 1, 2, 0, 1, 2])) < 1e-5, 'no pair: the plain CE');
  torch.dispose([x, y, yB]);
  task.dispose(); model.dispose(); ds.dispose();
});

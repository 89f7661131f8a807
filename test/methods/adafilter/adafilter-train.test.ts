/** AdaFilter through the engine: parameter groups and lrs, a tiny synthetic task it must learn, checkpoint/resume bit-identical, no tensor leak. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../../src/core/torch.js';
import { Trainer, classificationMetrics, evaluateClassifier, makeConfig, resume, train } from '../../../src/train/index.js';
import { adafilterTrainConfig, createAdafilterTask, GateStats, type AdafilterConfig } from '../../../src/methods/adafilter/index.js';
import { loaderOf, makeSet, snapshot, changed, tinyCnn, tinyResNet, tmp } from '../finetune-fixtures.js';

torch.setNumThreads(1); // tiny tensors: one thread is fastest on a shared machine

const BASE = { seed: 1, checkpoint: { atEpochEnd: false }, eval: { atEpochEnd: false }, log: { every: 1 } };

test('parameter groups: filters / gate / head with their lr scales and decays; frozen filters and (by default) BN^S affine excluded', () => {
  const model = tinyResNet();
  const task = createAdafilterTask(model, { numClasses: 3, gateLrScale: 4, headLrScale: 2, weightDecay: 1e-3, gateWeightDecay: 1e-2 });
  const g = task.paramGroups();
  assert.deepEqual(g.map((x) => [x.name, x.lrScale, x.weightDecay]), [['filters', 1, 1e-3], ['gate', 4, 1e-2], ['head', 2, 1e-3]]);
  const named = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  const filters = g[0]!.params.map((p) => named.get(p)!);
  assert.ok(filters.some((n) => n.endsWith('tuned.weight')) && filters.some((n) => n.includes('bn_tuned.')));
  assert.ok(!filters.some((n) => n.includes('.frozen.') || n.startsWith('frozen.') || n.includes('bn_frozen') || n.startsWith('adafilter_gate') || n.startsWith('fc.')), filters.join());
  assert.ok(model.namedParameters().filter(([n]) => /(^|\.)frozen\.weight$/.test(n)).every(([, p]) => !p.requiresGrad));
  const opt = adafilterTrainConfig({ lr: 0.05 }, { epochs: 2 });
  assert.deepEqual([opt.optim.name, opt.optim.lr, opt.optim.momentum, opt.optim.weightDecay], ['sgd', 0.05, 0.9, 0]);
  assert.throws(() => adafilterTrainConfig({}, { optim: { lr: 0.3 } }), /optim\.lr.*contradicts method\.lr/);
  const t2 = createAdafilterTask(tinyResNet(), { frozenBnAffine: 'trainable', ungated: 'frozen', stages: ['layer3'] });
  const n2 = new Map(t2.model.namedParameters().map(([n, p]) => [p, n]));
  const f2 = t2.paramGroups()[0]!.params.map((p) => n2.get(p)!);
  assert.ok(f2.some((n) => n.includes('bn_frozen')) && f2.every((n) => n.startsWith('layer3.')), f2.join());
  task.dispose(); model.dispose(); t2.dispose(); t2.model.dispose();
});

const VARIANTS: [Partial<AdafilterConfig>, number, number][] = [[{ gate: 'lstm' }, 15, 0.8], [{ gate: 'mlp', binarize: 'gumbel', bnStats: 'masked', usagePenalty: 0.1 }, 10, 0.6]];
for (const [o, steps, minAcc] of VARIANTS) {
  test(`a tiny synthetic task is learnt (${JSON.stringify(o)}, ${steps} steps); gate statistics are logged`, async () => {
    const ds = makeSet(96, 1);
    const ev = makeSet(60, 2);
    const model = tinyResNet();
    const task = createAdafilterTask(model, { numClasses: 3, ...o }, { eval: loaderOf(ev, 30, false) });
    const before = task.evaluate()['accuracy']!;
    const cfg = adafilterTrainConfig({ lr: 0.05 }, { ...BASE, maxSteps: steps });
    const dir = tmp('af-fit');
    const r = await train(task, cfg, { data: loaderOf(ds), runDir: dir, handleSignals: false });
    assert.equal(r.status, 'completed');
    const m = task.evaluate();
    assert.ok(m['accuracy']! > minAcc && m['accuracy']! > before, `accuracy ${before} -> ${m['accuracy']}`);
    assert.ok(m['ft_fraction']! >= 0 && m['ft_fraction']! <= 1 && m['gate_entropy']! >= 0 && m['gate_entropy']! <= 1);
    assert.ok(task.paths.every((p) => typeof m[`ft/${p}`] === 'number'));
    assert.equal([0, 1, 2].filter((k) => typeof m[`ft_class/${k}`] === 'number').length, 3);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines.filter((l) => l['split'] === 'train').at(-1) ?? {};
    assert.ok('gate_mean' in last && `ft/${task.paths[0]}` in last, `step parts ${Object.keys(last).slice(0, 5)}`);
    assert.equal('usage' in last, (o.usagePenalty ?? 0) > 0);
    task.dispose(); model.dispose(); ds.dispose(); ev.dispose();
  });
}

test('checkpoint/resume through the engine is bit-identical to an uninterrupted run (small_cnn, gumbel gates)', async () => {
  const ds = makeSet(48, 3);
  const cfg = adafilterTrainConfig({ numClasses: 3, binarize: 'gumbel' }, { ...BASE, maxSteps: 6, checkpoint: { every: 1, keep: 2 } });
  const full = createAdafilterTask(tinyCnn(), cfg.method as Partial<AdafilterConfig>);
  await train(full, cfg, { data: loaderOf(ds), runDir: tmp('af-full'), handleSignals: false });
  const dir = tmp('af-stop');
  const a = createAdafilterTask(tinyCnn(), cfg.method as Partial<AdafilterConfig>);
  const t = new Trainer(a, makeConfig(cfg), { data: loaderOf(ds), runDir: dir, handleSignals: false, onEvent: (e) => { if (e.type === 'step' && e.step === 3) t.requestStop('test'); } });
  assert.equal((await t.train()).status, 'stopped');
  const b = createAdafilterTask(tinyCnn(99), cfg.method as Partial<AdafilterConfig>); // other init: everything must come from the checkpoint
  const rb = await resume(dir, b, { data: loaderOf(ds), handleSignals: false });
  assert.equal(rb.step, 6);
  assert.deepEqual(changed(snapshot(full.model.stateDict()), snapshot(b.model.stateDict())), []);
  for (const x of [full, a, b]) { x.dispose(); x.model.dispose(); }
  ds.dispose();
});

test('no tensor leaks: loss + backward and evaluate leave the live tensor count unchanged', () => {
  const ds = makeSet(16, 4);
  const model = tinyResNet();
  const task = createAdafilterTask(model, { numClasses: 3, bnStats: 'masked', binarize: 'gumbel', usagePenalty: 0.1 }, { eval: loaderOf(ds, 8, false) });
  const loader = loaderOf(ds, 8, false);
  const step = (): void => {
    const b = loader.batchAt(0, 0);
    torch.tidy(() => { task.loss(b, undefined as never).loss.backward(); });
    torch.dispose(b);
    model.zeroGrad();
    task.evaluate();
  };
  step();
  const live = torch.liveTensors();
  for (let i = 0; i < 3; i++) step();
  assert.equal(torch.liveTensors(), live);
  task.dispose(); model.dispose(); ds.dispose();
});

test('evaluation in graph mode (gates as graph outputs) gives the eager evaluation: accuracy, loss, gate statistics', async () => {
  const ds = makeSet(96, 1);
  const ev = makeSet(60, 2);
  const model = tinyResNet();
  const task = createAdafilterTask(model, { numClasses: 3, gate: 'lstm' }, { eval: loaderOf(ev, 30, false) });
  await train(task, adafilterTrainConfig({ lr: 0.05 }, { ...BASE, maxSteps: 8 }), { data: loaderOf(ds), runDir: tmp('af-graph'), handleSignals: false });
  const graph = task.evaluate();
  assert.equal(task.lastEvalGraph, true, 'evaluate() fell back to eager: the eval module did not trace');
  const graphGates = task.lastGateSummary!;
  // eager: the same statistics fed from inside the forward, as before graph mode
  const stats = new GateStats(task.layers.map((l) => l.outChannels), 3);
  task.gates.onGate = (l, g) => stats.addLayer(l, g);
  let eager: { accuracy: number; loss: number };
  try { eager = evaluateClassifier(model, loaderOf(ev, 30, false), (y) => stats.endBatch(y.data() as BigInt64Array), { graph: false }); } finally { task.gates.onGate = null; }
  const s = stats.summary();
  assert.equal(graph['accuracy'], eager.accuracy);
  assert.ok(Math.abs(graph['loss']! - eager.loss) < 1e-5, `loss ${graph['loss']} vs ${eager.loss}`);
  assert.ok(s.fraction > 0 && s.fraction < 1, `a partial gate (fraction ${s.fraction}) makes the comparison meaningful`);
  assert.ok(Math.abs(graphGates.fraction - s.fraction) < 1e-9, `fraction ${graphGates.fraction} vs ${s.fraction}`);
  assert.deepEqual(graphGates.perLayer, s.perLayer);
  assert.deepEqual(graphGates.perClass, s.perClass);
  // the final metrics through the eval module (graph mode) equal the plain model's eager ones
  const viaModule = await classificationMetrics(task.evalModule, loaderOf(ev, 30, false), 3);
  const plain = await classificationMetrics(model, loaderOf(ev, 30, false), 3, { graph: false });
  assert.deepEqual(viaModule.confusion, plain.confusion);
  task.dispose(); model.dispose(); ds.dispose(); ev.dispose();
});

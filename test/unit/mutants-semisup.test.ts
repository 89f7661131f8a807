/**
 * AKC's entropy gate inside the task, against an explicit computation: the gate is 1[H(p_source) <= akcThreshold
 * log K] on the frozen source model's logits (not arcThreshold, not absent), and the AKC term is the gate-weighted
 * mean of sum_c (f_target - f_source)^2 / akcScale. Thresholds are chosen so the gate is partial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import type { StepContext } from '../../src/train/index.js';
import { createSemisupTask, extraViews, usesUnlabelled } from '../../src/methods/semisup/index.js';
import { tinyResNet } from '../methods/finetune-fixtures.js';

const rows = (t: torch.Tensor): number[][] => { const [r, c] = t.shape as [number, number]; const f = Array.from(torch.tidy(() => t.detach().to('float64').contiguous().data() as Float64Array)); return Array.from({ length: r }, (_, i) => f.slice(i * c, i * c + c)); };
const entropyOf = (z: number[]): number => { const m = Math.max(...z); const e = z.map((v) => Math.exp(v - m)); const s = e.reduce((a, b) => a + b, 0); return -e.reduce((h, v) => h + (v / s) * Math.log(v / s), 0); };

test('AKC gate: uses akcThreshold on the source entropy (partial gate), independent of arcThreshold; the AKC term is the gated mean distance', () => {
  const source = tinyResNet(12);
  torch.noGrad(() => source.resetClassifier(4));
  source.eval(); // as the task keeps it
  const gen = new torch.Generator(2);
  const xl = torch.tidy(() => torch.rand([4, 1, 8, 8], { generator: gen }).mul(3));
  const uw = torch.tidy(() => torch.rand([8, 1, 8, 8], { generator: gen }).mul(3));
  const yl = torch.tensor([0, 1, 2, 0], { dtype: 'int64' });
  const all = torch.cat([xl, uw], 0);
  const src = torch.noGrad(() => source.forwardFeatures(all, ['pool', 'logits']));
  const K = 4;
  const h = rows(src.get('logits')!).map((z) => entropyOf(z) / Math.log(K)); // normalised entropies in [0, 1]
  const sorted = [...h].sort((a, b) => a - b);
  assert.ok(sorted[0]! < sorted[sorted.length - 1]!, 'entropies differ');
  const fs = rows(src.get('pool')!);
  for (const q of [3, 8]) { // thresholds between sorted entropies: 4 and 9 of 12 examples pass
    const tau = (sorted[q]! + sorted[q + 1]!) / 2;
    const gate: number[] = h.map((v) => (v <= tau ? 1 : 0));
    for (const arcThreshold of [0.01, 1]) {
      const model = tinyResNet(11);
      const task = createSemisupTask(model, { algorithm: 'supervised', akc: true, arc: false, akcThreshold: tau, arcThreshold, imprint: false, ema: false, numClasses: 3, akcScale: 7, lambdaAkc: 1, regWarmupIter: 0 }, { source });
      task.setTrainMode(false); // deterministic target features (BatchNorm in eval mode)
      const ft = rows(torch.noGrad(() => model.forwardFeatures(all, ['pool'])).get('pool')!);
      const out = task.loss({ xl, yl, u: [uw] } as never, { step: 0 } as unknown as StepContext);
      const gateAkc = out.parts!['gate_akc'] as number;
      assert.ok(Math.abs(gateAkc - (q + 1) / 12) < 1e-6, `gate_akc ${gateAkc} with akcThreshold ${tau.toFixed(3)}, arcThreshold ${arcThreshold}`);
      const per = ft.map((r, i) => r.reduce((s, v, c) => s + (v - fs[i]![c]!) ** 2, 0) / 7);
      const want = per.reduce((s, v, i) => s + v * gate[i]!, 0) / Math.max(1, gate.reduce((a, b) => a + b, 0));
      const got = Number((out.parts!['akc'] as torch.Tensor).item());
      assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, want), `akc ${got} vs ${want}`);
      torch.dispose([out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
      task.dispose(); model.dispose();
    }
  }
  torch.dispose([xl, uw, yl, all, ...src.values()]);
  source.dispose();
});

test('masked CE, soft CE and pseudo-labels on a hand-computed 2 x 3 case (softmax over classes, mean over all examples)', async () => {
  const { maskedCrossEntropy, softCrossEntropy, pseudoLabels } = await import('../../src/methods/semisup/losses.js');
  const L = [[1, 2, 3], [0, 0, 1]];
  const logSm = (z: number[]): number[] => { const m = Math.max(...z); const s = Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)) + m; return z.map((v) => v - s); };
  const ls = L.map(logSm);
  torch.tidy(() => {
    const logits = torch.tensor(L, { dtype: 'float32' });
    const mce = Number(maskedCrossEntropy(logits, torch.tensor([2, 0], { dtype: 'int64' }), torch.tensor([1, 0], { dtype: 'float32' })).item());
    assert.ok(Math.abs(mce - (-ls[0]![2]! / 2)) < 1e-6, `masked CE ${mce}`);
    const T = [[0.2, 0.3, 0.5], [1, 0, 0]];
    const sce = Number(softCrossEntropy(logits, torch.tensor(T, { dtype: 'float32' })).item());
    const want = -(T[0]!.reduce((s, t, k) => s + t * ls[0]![k]!, 0) + T[1]!.reduce((s, t, k) => s + t * ls[1]![k]!, 0)) / 2;
    assert.ok(Math.abs(sce - want) < 1e-6, `soft CE ${sce} vs ${want}`);
    const pl = pseudoLabels(torch.tensor([[1, 2, 3], [0, 0, 0]], { dtype: 'float32' }), 0.5);
    assert.deepEqual(Array.from(pl.labels.data() as BigInt64Array, Number), [2, 0]);
    assert.deepEqual(Array.from(pl.mask.data() as Float32Array), [1, 0], 'max p 0.665 passes 0.5, 1/3 does not');
  });
});

test('EmaModel: a copy with another head size is given the tracked model\'s head, then its weights', async () => {
  const { EmaModel } = await import('../../src/methods/semisup/ema.js');
  const from = tinyResNet(3);
  torch.noGrad(() => from.resetClassifier(5));
  const copy = tinyResNet(4); // 3 classes
  const ema = new EmaModel(copy, from);
  assert.equal(copy.numClasses, 5);
  const a = from.stateDict();
  for (const [k, t] of copy.stateDict()) torch.tidy(() => assert.equal(Number(t.sub(a.get(k)!).abs().max().item()), 0, k));
  assert.ok(copy.parameters().every((p) => !p.requiresGrad), 'frozen');
  assert.ok(ema.params.length > 0);
  copy.dispose(); from.dispose();
});

test('extra unlabelled views per algorithm and whether a run reads unlabelled data at all', () => {
  const v = (algorithm: string, mixmatchK = 2) => extraViews({ algorithm, mixmatchK } as never);
  assert.deepEqual([v('fixmatch'), v('pseudo-label'), v('mean-teacher'), v('mixmatch', 4), v('ict'), v('supervised')],
    [{ count: 1, strong: true }, { count: 1, strong: false }, { count: 1, strong: false }, { count: 3, strong: false }, { count: 0, strong: false }, { count: 0, strong: false }]);
  const u = (algorithm: string, akc: boolean, arc: boolean) => usesUnlabelled({ algorithm, akc, arc } as never);
  assert.deepEqual([u('supervised', false, false), u('supervised', true, false), u('supervised', false, true), u('fixmatch', false, false), u('ict', true, true)], [false, true, true, true, true]);
});

/**
 * The ARC fixture: labelled and weak unlabelled batches from Generator(seed), a task maker in which only
 * arcThreshold varies (the same new head each time: manualSeed(7)), and the normalised target entropy h of every row.
 */
function arcFixture(seed: number) {
  const gen = new torch.Generator(seed);
  const xl = torch.tidy(() => torch.rand([4, 1, 8, 8], { generator: gen }).mul(3));
  const uw = torch.tidy(() => torch.rand([8, 1, 8, 8], { generator: gen }).mul(3));
  const yl = torch.tensor([0, 1, 2, 0], { dtype: 'int64' });
  const all = torch.cat([xl, uw], 0);
  const make = (tau: number) => {
    torch.manualSeed(7);
    const model = tinyResNet(11);
    const task = createSemisupTask(model, { algorithm: 'supervised', akc: false, arc: true, arcThreshold: tau, imprint: false, ema: false, numClasses: 3 }, {});
    task.setTrainMode(false);
    return { model, task };
  };
  const probe = make(0.5);
  const h = rows(torch.noGrad(() => probe.model.forwardFeatures(all, ['logits'])).get('logits')!).map((z) => entropyOf(z) / Math.log(3));
  probe.task.dispose(); probe.model.dispose();
  return { xl, uw, yl, make, h, dispose: () => torch.dispose([xl, uw, yl, all]) };
}

test('ARC gate: the labelled rows and the unlabelled rows are gated separately on the target entropy with arcThreshold', () => {
  const fx = arcFixture(4);
  const { xl, uw, yl, make, h } = fx;
  const sorted = [...h].sort((a, b) => a - b);
  for (const q of [2, 6, 9]) {
    const tau = (sorted[q]! + sorted[q + 1]!) / 2;
    const { model, task } = make(tau);
    const out = task.loss({ xl, yl, u: [uw] } as never, { step: 0 } as unknown as StepContext);
    const nL = h.slice(0, 4).filter((v) => v <= tau).length;
    const nU = h.slice(4).filter((v) => v <= tau).length;
    assert.deepEqual([out.parts!['gate_arc_l'], out.parts!['gate_arc']], [nL / 4, nU / 8], `tau ${tau.toFixed(3)}`);
    torch.dispose([out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
    task.dispose(); model.dispose();
  }
  fx.dispose();
});

test('an EMA teacher is built from makeModel for mean-teacher (and for ema: true)', () => {
  for (const c of [{ algorithm: 'mean-teacher', ema: false }, { algorithm: 'supervised', ema: true }] as const) {
    const model = tinyResNet(11);
    const task = createSemisupTask(model, { ...c, imprint: false, numClasses: 3 }, { makeModel: () => tinyResNet(5) });
    assert.ok(task.ema, `${c.algorithm}: an EMA model`);
    assert.equal(task.ema!.copy.numClasses, 3);
    task.dispose(); model.dispose();
  }
});

test('FixMatch and Pseudo Label inside the task: the SSL term is the masked CE of the second view on the weak view\'s pseudo-labels (threshold chosen so the mask is partial)', () => {
  const gen = new torch.Generator(5);
  const xl = torch.tidy(() => torch.rand([4, 1, 8, 8], { generator: gen }).mul(3));
  const uw = torch.tidy(() => torch.rand([6, 1, 8, 8], { generator: gen }).mul(3));
  const us = torch.tidy(() => torch.rand([6, 1, 8, 8], { generator: gen }).mul(3));
  const yl = torch.tensor([0, 1, 2, 0], { dtype: 'int64' });
  const softmax = (z: number[]): number[] => { const m = Math.max(...z); const e = z.map((v) => Math.exp(v - m)); const s = e.reduce((a, b) => a + b, 0); return e.map((v) => v / s); };
  for (const algorithm of ['fixmatch', 'pseudo-label']) {
    torch.manualSeed(3);
    const model = tinyResNet(11);
    const probe = createSemisupTask(model, { algorithm, imprint: false, ema: false, numClasses: 3 }, {});
    probe.setTrainMode(false); // deterministic logits (BatchNorm in eval mode)
    const L = rows(torch.noGrad(() => model.forwardFeatures(torch.cat([xl, uw, us], 0), ['logits'])).get('logits')!);
    probe.dispose();
    const weak = L.slice(4, 10).map(softmax);
    const conf = weak.map((p) => Math.max(...p)).sort((a, b) => a - b);
    assert.ok(conf[0]! < conf[5]!, 'confidences differ');
    const threshold = (conf[2]! + conf[3]!) / 2; // 3 of 6 pass
    const task = createSemisupTask(model, { algorithm, threshold, imprint: false, ema: false, numClasses: 3 }, {});
    task.setTrainMode(false);
    const out = task.loss({ xl, yl, u: [uw, us] } as never, { step: 0 } as unknown as StepContext);
    const mask = weak.map((p) => (Math.max(...p) >= threshold ? 1 : 0));
    const want = weak.reduce((s, p, i) => s + mask[i]! * -Math.log(softmax(L[10 + i]!)[p.indexOf(Math.max(...p))]!), 0) / 6;
    const got = Number((out.parts!['ssl'] as torch.Tensor).item());
    assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, want), `${algorithm}: ssl ${got} vs ${want}`);
    assert.equal(out.parts!['ssl_mask'], 0.5, `${algorithm}: mask`);
    torch.dispose([out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
    task.dispose(); model.dispose();
  }
  torch.dispose([xl, uw, us, yl]);
});

test('an algorithm without extra views forwards only the weak unlabelled view: a further view in the batch changes nothing (not even BatchNorm\'s batch statistics)', () => {
  const gen = new torch.Generator(6);
  const xl = torch.tidy(() => torch.rand([4, 1, 8, 8], { generator: gen }).mul(3));
  const uw = torch.tidy(() => torch.rand([6, 1, 8, 8], { generator: gen }).mul(3));
  const junk = torch.tidy(() => torch.rand([6, 1, 8, 8], { generator: gen }).mul(30));
  const yl = torch.tensor([0, 1, 2, 0], { dtype: 'int64' });
  const model = tinyResNet(11);
  const task = createSemisupTask(model, { algorithm: 'supervised', arc: true, imprint: false, ema: false, numClasses: 3 }, {});
  task.setTrainMode(true); // BatchNorm uses the batch's statistics: an extra forwarded view would change every logit
  const ce = (u: torch.Tensor[]): number => {
    const out = task.loss({ xl, yl, u } as never, { step: 0 } as unknown as StepContext);
    const v = Number((out.parts!['ce'] as torch.Tensor).item());
    torch.dispose([out.loss, ...Object.values(out.parts!).filter((x): x is torch.Tensor => typeof x !== 'number')]);
    return v;
  };
  const a = ce([uw]);
  assert.equal(ce([uw, junk]), a);
  task.dispose(); model.dispose();
  torch.dispose([xl, uw, junk, yl]);
});

test('ARC tables: a batch with selected rows on both sides pushes exactly those rows (also one unlabelled row); none are pushed when a side selects nothing', () => {
  // with Generator(1) this seed's entropies order U L L L U ...: one unlabelled and one labelled row pass
  const fx = arcFixture(1);
  const { xl, uw, yl, make, h } = fx;
  const sorted = [...h].sort((a, b) => a - b);
  const seen = new Set<string>();
  for (let q = 0; q < sorted.length; q++) { // every threshold between (and beyond) the sorted entropies
    const tau = q + 1 < sorted.length ? (sorted[q]! + sorted[q + 1]!) / 2 : 1;
    const nL = h.slice(0, 4).filter((v) => v <= tau).length;
    const nU = h.slice(4).filter((v) => v <= tau).length;
    const { model, task } = make(tau);
    const out = task.loss({ xl, yl, u: [uw] } as never, { step: 0 } as unknown as StepContext);
    const both = nL > 0 && nU > 0;
    assert.deepEqual([task.tableL.length, task.tableU.length], both ? [nL, nU] : [0, 0], `tau ${tau.toFixed(3)}: ${nL} labelled, ${nU} unlabelled selected`);
    assert.equal(Number((out.parts!['arc'] as torch.Tensor).item()), 0, 'no MMD before regWarmup');
    seen.add(both ? (nU === 1 ? 'one-u' : 'both') : 'none');
    torch.dispose([out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
    task.dispose(); model.dispose();
  }
  assert.deepEqual([...seen].sort(), ['both', 'none', 'one-u'], 'the thresholds reach all three cases');
  fx.dispose();
});

test('Mean Teacher inside the task: the SSL term is the softmax MSE between the student\'s second view and the EMA teacher\'s weak view (the teacher equals the student at creation)', () => {
  const gen = new torch.Generator(8);
  const xl = torch.tidy(() => torch.rand([4, 1, 8, 8], { generator: gen }).mul(3));
  const uw = torch.tidy(() => torch.rand([6, 1, 8, 8], { generator: gen }).mul(3));
  const u2 = torch.tidy(() => torch.rand([6, 1, 8, 8], { generator: gen }).mul(3));
  const yl = torch.tensor([0, 1, 2, 0], { dtype: 'int64' });
  const softmax = (z: number[]): number[] => { const m = Math.max(...z); const e = z.map((v) => Math.exp(v - m)); const s = e.reduce((a, b) => a + b, 0); return e.map((v) => v / s); };
  const model = tinyResNet(11);
  const task = createSemisupTask(model, { algorithm: 'mean-teacher', imprint: false, ema: false, numClasses: 3 }, { makeModel: () => tinyResNet(5) });
  task.setTrainMode(false);
  const L = rows(torch.noGrad(() => model.forwardFeatures(torch.cat([xl, uw, u2], 0), ['logits'])).get('logits')!);
  const out = task.loss({ xl, yl, u: [uw, u2] } as never, { step: 0 } as unknown as StepContext);
  let want = 0;
  for (let i = 0; i < 6; i++) {
    const t = softmax(L[4 + i]!);
    const s = softmax(L[10 + i]!);
    want += s.reduce((acc, v, k) => acc + (v - t[k]!) ** 2, 0) / 3 / 6;
  }
  const got = Number((out.parts!['ssl'] as torch.Tensor).item());
  assert.ok(want > 1e-6 && Math.abs(got - want) <= 1e-5 * Math.max(1, want), `ssl ${got} vs ${want}`);
  assert.equal(out.parts!['ssl_mask'], 1, 'Mean Teacher uses every unlabelled example');
  torch.dispose([out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
  task.dispose(); model.dispose();
  torch.dispose([xl, uw, u2, yl]);
});

test('MixMatch with ARC alone (or AKC alone) forwards the labelled and weak unlabelled images once more for the regulariser: ARC gates both parts', async () => {
  const { Rng } = await import('../../src/core/rng.js');
  const gen = new torch.Generator(4);
  const xl = torch.tidy(() => torch.rand([4, 1, 8, 8], { generator: gen }).mul(3));
  const uw = torch.tidy(() => torch.rand([8, 1, 8, 8], { generator: gen }).mul(3));
  const u2 = torch.tidy(() => torch.rand([8, 1, 8, 8], { generator: gen }).mul(3));
  const yl = torch.tensor([0, 1, 2, 0], { dtype: 'int64' });
  const source = tinyResNet(12);
  torch.noGrad(() => source.resetClassifier(4));
  for (const reg of [{ arc: true, akc: false }, { arc: false, akc: true }]) {
    torch.manualSeed(7);
    const model = tinyResNet(11);
    const task = createSemisupTask(model, { algorithm: 'mixmatch', mixmatchK: 2, ...reg, arcThreshold: 0.9, akcThreshold: 0.9, imprint: false, ema: false, numClasses: 3 }, { source });
    task.setTrainMode(false);
    const h = rows(torch.noGrad(() => model.forwardFeatures(torch.cat([xl, uw], 0), ['logits'])).get('logits')!).map((z) => entropyOf(z) / Math.log(3));
    const out = task.loss({ xl, yl, u: [uw, u2] } as never, { step: 0, rng: new Rng(1) } as unknown as StepContext);
    assert.ok(Number.isFinite(Number(out.loss.item())), 'finite loss');
    assert.ok(out.parts!['ssl'] !== undefined, 'the MixMatch term is there');
    if (reg.arc) assert.deepEqual([out.parts!['gate_arc_l'], out.parts!['gate_arc']], [h.slice(0, 4).filter((v) => v <= 0.9).length / 4, h.slice(4).filter((v) => v <= 0.9).length / 8]);
    else assert.equal(typeof out.parts!['gate_akc'], 'number');
    torch.dispose([out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
    task.dispose(); model.dispose();
  }
  source.dispose();
  torch.dispose([xl, uw, u2, yl]);
});

test('AKC: the source model is frozen and put in eval mode when the task is made', () => {
  const source = tinyResNet(12);
  source.train();
  const model = tinyResNet(11);
  const task = createSemisupTask(model, { algorithm: 'supervised', akc: true, imprint: false, ema: false, numClasses: 3 }, { source });
  assert.ok(source.modules().every((m) => !m.training), 'eval mode');
  assert.ok(source.parameters().every((p) => !p.requiresGrad), 'frozen');
  task.dispose(); model.dispose(); source.dispose();
});

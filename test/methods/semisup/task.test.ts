/** semisup through the engine on a tiny synthetic task: the source, every algorithm with AKC + ARC, the frozen source model, imprinting, resume equality. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../../src/core/torch.js';
import { DataLoader } from '../../../src/data/loader.js';
import { makeConfig, resume, train, Trainer } from '../../../src/train/index.js';
import {
  ALGORITHMS, createSemisupTask, extraViews, semisupScheduler, semisupTrainConfig, SemisupSource, strongAugment, usesUnlabelled, weakAugment,
  type SemisupConfig, type SemisupTask,
} from '../../../src/methods/semisup/index.js';
import type { Dataset } from '../../../src/data/dataset.js';
import type { FeatureModel } from '../../../src/models/index.js';
import { changed, makeSet, snapshot, tinyResNet, tmp } from '../finetune-fixtures.js';

/** Loose gates and short warm-ups so that every term is active within a few steps. */
const TINY: Partial<SemisupConfig> = { batchSize: 4, mu: 2, stepsPerEpoch: 3, akcThreshold: 1, arcThreshold: 1, regWarmup: 0, regWarmupIter: 2, arcMinTable: 4, tableSizeL: 8, tableSizeU: 8, warmupIter: 2, threshold: 0.3, lr: 0.05, evalRaw: true };

interface Fixture { lab: Dataset; unl: Dataset; ev: Dataset; source: FeatureModel }
function fixture(): Fixture {
  const source = tinyResNet(12);
  torch.noGrad(() => source.resetClassifier(4));
  return { lab: makeSet(12, 1), unl: makeSet(24, 2), ev: makeSet(16, 3), source };
}
const plain = (ds: Dataset) => new DataLoader(ds, { batchSize: 8, seed: 0, shuffle: false, prefetch: false });

function sourceFor(f: Fixture, c: Partial<SemisupConfig>, seed = 1): SemisupSource {
  const ev = extraViews({ algorithm: c.algorithm ?? 'fixmatch', mixmatchK: c.mixmatchK ?? 2 });
  const vc = { size: 8 };
  const views = Array.from({ length: ev.count }, () => (ev.strong ? strongAugment(vc) : weakAugment(vc)));
  return new SemisupSource(f.lab, usesUnlabelled({ algorithm: c.algorithm ?? 'fixmatch', akc: !!c.akc, arc: !!c.arc }) ? f.unl : null, { batchSize: c.batchSize!, mu: c.mu!, stepsPerEpoch: c.stepsPerEpoch!, seed, weak: weakAugment(vc), views });
}

function makeTask(f: Fixture, c: Partial<SemisupConfig>): SemisupTask {
  return createSemisupTask(tinyResNet(11), { ...c, numClasses: 3 }, { labelled: plain(f.lab), eval: plain(f.ev), source: f.source, makeModel: () => tinyResNet(99) });
}

const engineConfig = (c: Partial<SemisupConfig>, steps: number) => semisupTrainConfig({ ...c, numClasses: 3 }, { seed: 3, maxSteps: steps, eval: { every: 2, atEpochEnd: false }, checkpoint: { atEpochEnd: false }, log: { tensorboard: false } });

test('SemisupSource: batch B labelled + mu B unlabelled with the algorithm\'s views; deterministic; position resumes; labelled stream cycles', async () => {
  const f = fixture();
  const c = { ...TINY, algorithm: 'fixmatch' as const };
  const a = sourceFor(f, c);
  const b = sourceFor(f, c);
  const x = a.batchAt(2, 1);
  assert.deepEqual(x.xl.shape, [4, 1, 8, 8]);
  assert.deepEqual(x.u.map((u) => u.shape[0]), [8, 8], 'weak + strong views of mu x B');
  const y = b.batchAt(2, 1);
  torch.tidy(() => assert.equal(Number(x.u[1]!.sub(y.u[1]!).abs().max().item()), 0, 'same batch from the same seed'));
  torch.tidy(() => assert.ok(Number(x.u[0]!.sub(x.u[1]!).abs().max().item()) > 0, 'strong view differs from weak'));
  torch.dispose(x, y);
  // iterate: 3 batches per epoch; load() moves to a position
  let n = 0;
  for await (const batch of a) { n++; torch.dispose(batch); }
  assert.equal(n, 3);
  assert.deepEqual(a.state(), { epoch: 1, index: 0, seed: 1 });
  b.load({ epoch: 1, index: 2, seed: 1 });
  const first = (await b[Symbol.asyncIterator]().next()).value!;
  const want = a.batchAt(1, 2);
  torch.tidy(() => assert.equal(Number(first.xl.sub(want.xl).abs().max().item()), 0));
  torch.dispose(first, want);
  const sup = sourceFor(f, { ...TINY, algorithm: 'supervised' });
  const s = sup.batchAt(0, 0);
  assert.deepEqual(s.u, []);
  torch.dispose(s);
  assert.throws(() => new SemisupSource(f.lab, f.unl, { batchSize: 4, mu: 9, stepsPerEpoch: 3, seed: 0, weak: weakAugment({ size: 8 }), views: [] }), /mu x batchSize \(36\) exceeds the unlabelled set \(24 images\)/);
  f.lab.dispose(); f.unl.dispose(); f.ev.dispose(); f.source.dispose();
});

test('every algorithm trains with AKC + ARC (and supervised alone): finite losses, gates and MMD active, source model frozen in eval mode', async () => {
  const f = fixture();
  const src0 = snapshot(f.source.stateDict());
  for (const algorithm of ALGORITHMS) {
    for (const reg of algorithm === 'supervised' ? [false, true] : [true]) {
      const c: Partial<SemisupConfig> = { ...TINY, algorithm, akc: reg, arc: reg };
      const task = makeTask(f, c);
      const w0 = snapshot(task.model.namedParameters());
      const dir = tmp(`alg-${algorithm}`);
      const r = await train(task, engineConfig(c, 6), { data: sourceFor(f, c), runDir: dir, handleSignals: false, scheduler: semisupScheduler(c.numCycles ?? 7.9 / 16) });
      assert.equal(r.status, 'completed', algorithm);
      assert.ok(changed(w0, snapshot(task.model.namedParameters())).length > 0, `${algorithm}: weights did not move`);
      const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
      const tr = rows.filter((x) => (x as unknown as { split: string }).split === 'train');
      assert.ok(tr.every((x) => Number.isFinite(x['loss'])), `${algorithm}: non-finite loss`);
      if (algorithm !== 'supervised') assert.ok(tr.some((x) => x['ssl']! > 0), `${algorithm}: no SSL loss`);
      if (reg) {
        assert.ok(tr.every((x) => x['gate_akc'] === 1 && x['gate_arc'] === 1), `${algorithm}: gates with tau 1 keep everything`);
        assert.ok(tr.slice(2).some((x) => x['arc']! > 0) && tr.some((x) => x['akc']! > 0), `${algorithm}: ARC/AKC never active`);
      }
      const ev = rows.find((x) => (x as unknown as { split: string }).split === 'eval')!;
      assert.ok(ev['accuracy']! >= 0 && ev['rawAccuracy']! >= 0, `${algorithm}: eval of the EMA and the raw model`);
      task.dispose(); task.model.dispose();
    }
  }
  assert.deepEqual(changed(src0, snapshot(f.source.stateDict())), [], 'the source model (weights and BN statistics) must not change');
  assert.equal(f.source.training, false);
  f.lab.dispose(); f.unl.dispose(); f.ev.dispose(); f.source.dispose();
});

test('imprinting sets the head to normalised class means of pooled features; weight decay spares BatchNorm and biases', () => {
  const f = fixture();
  const task = makeTask(f, { algorithm: 'supervised', ema: false });
  const fc = task.model.getClassifier() as unknown as { weight: torch.Tensor; bias: torch.Tensor };
  torch.tidy(() => {
    const norms = [...torch.vectorNorm(fc.weight, 2, 1).data() as Float32Array];
    assert.ok(norms.every((v) => Math.abs(v - 1) < 1e-5), `row norms ${norms}`);
    assert.equal(Number(fc.bias.abs().sum().item()), 0);
  });
  const [decay, noDecay] = task.paramGroups();
  assert.equal(decay!.weightDecay, 5e-4);
  assert.equal(noDecay!.weightDecay, 0);
  const names = new Map(task.model.namedParameters().map(([n, p]) => [p, n]));
  assert.ok(decay!.params.every((p) => !/bn|bias|downsample\.1/.test(names.get(p)!)), 'decay group holds only conv/linear weights');
  assert.ok(noDecay!.params.some((p) => names.get(p)!.endsWith('bn1.weight')) && noDecay!.params.some((p) => names.get(p) === 'fc.bias'));
  assert.throws(() => createSemisupTask(tinyResNet(1), { akc: true, imprint: false, ema: false }), /'method\.akc' is true but no source model/);
  task.dispose(); task.model.dispose();
  f.lab.dispose(); f.unl.dispose(); f.ev.dispose(); f.source.dispose();
});

test('resume through the engine (FixMatch + AKC + ARC) ends bit-identical: weights, EMA, FIFO tables, loss trace', async () => {
  const f = fixture();
  const c: Partial<SemisupConfig> = { ...TINY, algorithm: 'fixmatch', akc: true, arc: true };
  const cfg = engineConfig(c, 7);
  const opts = { handleSignals: false, scheduler: semisupScheduler(7.9 / 16) };
  const full = makeTask(f, c);
  const fullDir = tmp('full');
  await train(full, cfg, { ...opts, data: sourceFor(f, c), runDir: fullDir });
  const dir = tmp('stop');
  const a = makeTask(f, c);
  const tr = new Trainer(a, makeConfig(cfg), { ...opts, data: sourceFor(f, c), runDir: dir });
  const after = a.afterStep.bind(a);
  a.afterStep = (ctx) => { after(ctx); if (ctx.step === 4) tr.requestStop('test'); };
  assert.equal((await tr.train()).step, 4);
  const b = makeTask(f, c);
  const rb = await resume(dir, b, { ...opts, data: sourceFor(f, c) });
  assert.equal(rb.step, 7);
  const state = (t: SemisupTask) => snapshot([...t.model.stateDict(), ...t.stateDict().tensors]);
  const sf = state(full);
  assert.ok(sf.has('table.l') && sf.has('ema.fc.weight'));
  assert.deepEqual(changed(sf, state(b)), [], 'state differs after resume');
  const trace = (d: string) => readFileSync(join(d, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => { const r = JSON.parse(l); delete r.time; return JSON.stringify(r); });
  assert.deepEqual(trace(dir), trace(fullDir));
  const other = makeTask(f, c);
  await train(other, { ...cfg, seed: 4 }, { ...opts, data: sourceFor(f, c, 4), runDir: tmp('other') });
  assert.ok(changed(sf, state(other)).length > 0, 'another seed differs (the test can fail)');
  for (const t of [full, a, b, other]) { t.dispose(); t.model.dispose(); }
  f.lab.dispose(); f.unl.dispose(); f.ev.dispose(); f.source.dispose();
});

test('no tensor leaks: a FixMatch + AKC + ARC run and MixMatch + ICT runs leave the live-tensor count where it was', async () => {
  const f = fixture();
  const before = torch.liveTensors();
  for (const algorithm of ['fixmatch', 'mixmatch', 'ict'] as const) {
    const c: Partial<SemisupConfig> = { ...TINY, algorithm, akc: true, arc: true };
    const task = makeTask(f, c);
    await train(task, engineConfig(c, 3), { data: sourceFor(f, c), runDir: tmp(`leak-${algorithm}`), handleSignals: false, scheduler: semisupScheduler(0.5) });
    task.dispose(); task.model.dispose();
  }
  assert.equal(torch.liveTensors(), before);
  f.lab.dispose(); f.unl.dispose(); f.ev.dispose(); f.source.dispose();
});

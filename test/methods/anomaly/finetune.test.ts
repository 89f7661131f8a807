/** Gaussian-AD fine-tuning through train(): the loss is the batch's mean squared Mahalanobis distance, BN stays frozen, val AUROC each epoch, best epoch kept and restored, early stop, config errors name the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../src/core/torch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { DataLoader } from '../../../src/data/loader.js';
import { generateDefectSet } from '../../../src/data/defects.js';
import { createModel, type FeatureModel } from '../../../src/models/index.js';
import { train } from '../../../src/train/index.js';
import { createAnomalyFinetuneTask, validateAnomalyFinetuneConfig } from '../../../src/methods/anomaly/index.js';

function setup(): { model: FeatureModel; loaders: { train: DataLoader; fit: DataLoader; val: DataLoader; test: DataLoader }; dispose(): void } {
  torch.manualSeed(3);
  const model = createModel('cifar_resnet20', { width: 4, inChannels: 1, numClasses: 2 }) as FeatureModel;
  const set = generateDefectSet({ category: 'grating', seed: 1, train: 32, testGood: 8, testDefect: 8 });
  const fitSet = set.train.subset(Array.from({ length: 24 }, (_, i) => i));
  const valSet = set.train.subset(Array.from({ length: 8 }, (_, i) => 24 + i));
  const o = { seed: 1, prefetch: false, shuffle: false };
  return {
    model,
    loaders: {
      train: new DataLoader(fitSet, { ...o, batchSize: 8, shuffle: true }), fit: new DataLoader(fitSet, { ...o, batchSize: 24 }),
      val: new DataLoader(valSet, { ...o, batchSize: 8 }), test: new DataLoader(set.test, { ...o, batchSize: 16 }),
    },
    dispose: () => { for (const d of [set.train, set.test, fitSet, valSet]) d.dispose(); model.dispose(); },
  };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'adaptune-anomaly-ft-'));

test('fine-tuning: loss = mean sum_l d_l^2, BN frozen, val/test AUROC per epoch, best weights restored, no leaks', async () => {
  const live = torch.liveTensors();
  const s = setup();
  const task = createAnomalyFinetuneTask(s.model, {}, { fit: s.loaders.fit, val: s.loaders.val, test: s.loaders.test });
  assert.equal(task.history.length, 1);
  assert.equal(task.history[0]!.epoch, 0);
  // the loss on the fitting images equals the mean of the detector's combined score (eval mode, frozen BN)
  torch.tidy(() => {
    task.setTrainMode(true);
    const b = s.loaders.fit.batchAt(0, 0);
    const out = task.loss({ x: b.x });
    const l = out.loss.item() as number;
    const sc = torch.noGrad(() => task.ad.scoreFeatures(task.ad.features(b.x)));
    const ref = sc.combined.mean().item() as number;
    assert.ok(Math.abs(l - ref) < 1e-3 * ref, `loss ${l} vs scores ${ref}`);
    // parts: each stage's mean d^2, named d2_<stage>
    assert.deepEqual(Object.keys(out.parts!).sort(), [...sc.stages.keys()].map((k) => `d2_${k}`).sort());
    for (const [k, d] of sc.stages) { const v = Number((out.parts![`d2_${k}`] as torch.Tensor).item()); const w = Number(d.mean().item()); assert.ok(Math.abs(v - w) <= 1e-3 * w, `d2_${k}`); }
    torch.dispose(b);
  });
  const bn = s.model.namedBuffers().find(([k]) => k.endsWith('running_mean'))!;
  const before = torch.keep(bn[1].clone());
  const dir = tmp();
  const r = await train(task, { seed: 1, epochs: 3, optim: { name: 'adam', lr: 1e-3 }, checkpoint: { atEpochEnd: false }, log: { tensorboard: false } },
    { data: s.loaders.train, runDir: dir, handleSignals: false });
  assert.equal(r.status, 'completed');
  assert.deepEqual(task.history.map((h) => h.epoch), [0, 1, 2, 3]);
  for (const h of task.history) assert.ok(h.valAuroc >= 0 && h.valAuroc <= 1 && h.testAuroc !== null);
  assert.ok(torch.tidy(() => bn[1].eq(before).all().item()), 'BN running stats changed although bn is frozen');
  const best = task.best;
  assert.equal(best.valAuroc, Math.max(...task.history.map((h) => h.valAuroc)));
  task.restoreBest();
  assert.equal(task.validationAuroc(), best.valAuroc, 'restored weights reproduce the best validation AUROC');
  const state = task.stateDict();
  assert.ok(state.tensors.size > 0);
  task.dispose();
  before.dispose();
  s.dispose();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

test('early stopping on val_auroc; the euclidean objective; bn train; config errors name the field', async () => {
  const s = setup();
  const bnTrain = createAnomalyFinetuneTask(s.model, { bn: 'train' }, { fit: s.loaders.fit, val: s.loaders.val });
  assert.equal(bnTrain.frozenBn.length, 0);
  bnTrain.dispose();
  const task = createAnomalyFinetuneTask(s.model, { objective: 'euclidean', augmentations: ['cutout'] }, { fit: s.loaders.fit, val: s.loaders.val });
  assert.notEqual(task.lossAd, task.ad);
  assert.ok(task.frozenBn.length > 0);
  const dir = tmp();
  // lr 1e-12: nothing changes visibly, the AUROC never improves, patience 1 stops after the second evaluation
  const r = await train(task, { seed: 1, epochs: 5, optim: { name: 'adam', lr: 1e-12 }, earlyStop: { metric: 'val_auroc', mode: 'max', patience: 1 }, checkpoint: { atEpochEnd: false }, log: { tensorboard: false } },
    { data: s.loaders.train, runDir: dir, handleSignals: false });
  assert.equal(r.status, 'early-stopped');
  assert.equal(task.history.length, 3);
  assert.equal(task.best.epoch, 0, 'no improvement: the pre-trained weights stay the best');
  task.dispose();
  s.dispose();
  rmSync(dir, { recursive: true, force: true });
  assert.throws(() => validateAnomalyFinetuneConfig({ objective: 'l1' }), (e: Error) => e instanceof ConfigError && /method\.objective/.test(e.message));
  assert.throws(() => validateAnomalyFinetuneConfig({ refitEvery: 0 }), /method\.refitEvery/);
  assert.throws(() => validateAnomalyFinetuneConfig({ lr: 1 }), /unknown anomaly config field 'method\.lr'/);
  assert.throws(() => validateAnomalyFinetuneConfig({ covariance: 'full' }), /covariance/);
});

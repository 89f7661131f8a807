/** The task's schedule is the engine's scheduler: a run stopped and resumed logs the same lr sequence and pass counts as one uninterrupted run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer, makeConfig, resume, type TrainEvent } from '../../../src/train/index.js';
import { createAdversarialTask } from '../../../src/methods/adversarial/index.js';
import { loaderOf, makeSet, tinyCnn, tmp } from '../finetune-fixtures.js';

const ds = makeSet(64, 4);
const config = makeConfig({ seed: 2, maxSteps: 6, optim: { name: 'sgd', lr: 0.05, momentum: 0.9 }, checkpoint: { atEpochEnd: false }, eval: { atEpochEnd: false } });
const method = { eps: 0.1, steps: 2, schedule: { name: 'slow-start-fast-decay' as const, warmupFraction: 0.5 } };

test('stop at step 3, resume: the lr of every step and the pass counts match an uninterrupted run', async () => {
  const lrsOf = (out: number[]) => (e: TrainEvent) => { if (e.type === 'step') out.push(e.lr); };
  const whole: number[] = [];
  const t0 = createAdversarialTask(tinyCnn(5), method);
  await new Trainer(t0, config, { data: loaderOf(ds, 16), runDir: tmp('adv-whole'), handleSignals: false, scheduler: t0.lrScheduler, onEvent: lrsOf(whole) }).train();

  const dir = tmp('adv-resume');
  const parts: number[] = [];
  const t1 = createAdversarialTask(tinyCnn(5), method);
  const trainer: Trainer<unknown> = new Trainer(t1, config, {
    data: loaderOf(ds, 16), runDir: dir, handleSignals: false, scheduler: t1.lrScheduler,
    onEvent: (e) => { lrsOf(parts)(e); if (e.type === 'step' && e.step === 3) trainer.requestStop('test'); },
  });
  const first = await trainer.train();
  assert.deepEqual([first.status, first.step], ['stopped', 3]);
  const t2 = createAdversarialTask(tinyCnn(6), method);
  const second = await resume(dir, t2, { data: loaderOf(ds, 16), handleSignals: false, scheduler: t2.lrScheduler, onEvent: lrsOf(parts) });
  assert.deepEqual([second.status, second.step], ['completed', 6]);
  assert.equal(whole.length, 6);
  assert.deepEqual(parts.map((x) => +x.toPrecision(12)), whole.map((x) => +x.toPrecision(12)));
  assert.deepEqual(t2.cost, t0.cost);
});

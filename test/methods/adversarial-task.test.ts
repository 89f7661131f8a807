/** Adversarial training through train(): PGD/TRADES/fast reduce the adversarial loss, the schedule sets the lr, passes are counted, config errors name the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import { train } from '../../src/train/index.js';
import { createAdversarialTask, pgd, ceObjective, type AdversarialConfig } from '../../src/methods/adversarial/index.js';
import { loaderOf, makeSet, tinyCnn, tmp } from './finetune-fixtures.js';

const ds = makeSet(64, 4);
/** Mean CE of the model on PGD-5 examples of the whole set (fixed seed). */
function advLoss(model: ReturnType<typeof tinyCnn>): number {
  const l = loaderOf(ds, 64, false);
  const b = l.batchAt(0, 0);
  torch.manualSeed(9);
  const v = torch.tidy(() => Number(torch.noGrad(() => ceObjective(model.call(pgd(model, b.x, b.y, { eps: 0.1, steps: 5 })), b.y.to('int64'))).mean().item()));
  torch.dispose(b);
  model.eval();
  return v;
}

async function fit(cfg: Partial<AdversarialConfig>, steps: number, lr = 0.05) {
  const model = tinyCnn(5);
  const task = createAdversarialTask(model, { eps: 0.1, steps: 3, ...cfg });
  const before = advLoss(model);
  const lrs: number[] = [];
  const r = await train(task, { seed: 1, maxSteps: steps, optim: { name: 'sgd', lr, momentum: 0.9 }, checkpoint: { atEpochEnd: false }, eval: { atEpochEnd: false } },
    { data: loaderOf(ds, 16), runDir: tmp('adv'), handleSignals: false, scheduler: task.lrScheduler, onEvent: (e: { type: string; lr?: number }) => { if (e.type === 'step') lrs.push(e.lr!); } } as never);
  return { model, task, r, before, after: advLoss(model), lrs };
}

test('PGD adversarial training through train() reduces the adversarial loss; the schedule sets the lr; passes are counted', async () => {
  const { task, r, before, after, lrs, model } = await fit({ schedule: { name: 'constant' } }, 24);
  assert.equal(r.step, 24);
  assert.ok(after < before, `adversarial loss ${before} -> ${after}`);
  assert.ok(lrs.every((v) => Math.abs(v - 0.05) < 1e-12));
  // 24 steps x 16 examples: 3 attack passes + 1 training pass each
  assert.equal(task.cost.forwardExamples, 24 * 16 * 4);
  assert.equal(task.cost.backwardExamples, 24 * 16 * 4);
  assert.ok(model.parameters().every((p) => torch.tidy(() => p.grad === null || Number(p.grad.abs().sum().item()) === 0)));
  const ev = task.evaluate();
  assert.equal(ev['train_fwd_passes'], 24 * 16 * 4);
  const s = await fit({ totalSteps: 10 }, 10, 0.05);
  // default slow-start-fast-decay over T = 10 steps, by hand: linear warm-up 0.01 -> 1 over steps 0-4 (0.01 + 0.99 i / 5),
  // then exp(-5 u) with u = (i - 5) / 5, i.e. exp(-(i - 5)); lr = 0.05 x factor
  const want = [0.01, 0.208, 0.406, 0.604, 0.802, 1, Math.exp(-1), Math.exp(-2), Math.exp(-3), Math.exp(-4)].map((f) => 0.05 * f);
  assert.equal(s.lrs.length, 10);
  s.lrs.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-12, `lr at step ${i}: ${v}, want ${want[i]}`));
});

test('TRADES and fast FGSM run through train() and reduce the adversarial loss', async () => {
  for (const loss of ['trades', 'fast'] as const) {
    const { before, after, task } = await fit({ loss, schedule: { name: 'constant' } }, 24);
    assert.ok(after < before, `${loss}: adversarial loss ${before} -> ${after}`);
    assert.ok(task.cost.backwardExamples > 0);
  }
});

test('natural loss: clean cross entropy only, no attack passes, lowers the clean loss', async () => {
  const { task, model } = await fit({ loss: 'natural', schedule: { name: 'constant' } }, 24);
  // 24 steps x 16 examples, one forward and one backward each: no attack
  assert.equal(task.cost.forwardExamples, 24 * 16);
  assert.equal(task.cost.backwardExamples, 24 * 16);
  const b = loaderOf(ds, 64, false).batchAt(0, 0);
  const fresh = tinyCnn(5);
  const ce = (m: typeof model): number => torch.tidy(() => Number(torch.noGrad(() => ceObjective(m.call(b.x), b.y.to('int64'))).mean().item()));
  model.eval(); fresh.eval();
  assert.ok(ce(model) < ce(fresh), `clean loss ${ce(fresh)} -> ${ce(model)}`);
  torch.dispose(b);
  const l = task.loss(loaderOf(ds, 16).batchAt(0, 0));
  assert.deepEqual(Object.keys(l.parts!).sort(), ['bwd_passes', 'ce_clean', 'clean_acc', 'fwd_passes']);
});

test('held-out evaluation reports clean and robust accuracy; config errors name the field', () => {
  const model = tinyCnn(5);
  const task = createAdversarialTask(model, { eps: 0.1, evalSteps: 3 }, { eval: loaderOf(ds, 32, false) });
  const before = torch.liveTensors();
  const ev = task.evaluate();
  assert.equal(torch.liveTensors(), before);
  assert.ok(ev['robust_accuracy']! <= ev['accuracy']!);
  // robust_then_clean = robust + clean / (n + 1): same integer part in units of 1/n as robust accuracy, clean accuracy below it
  const n = ds.length;
  assert.equal(Math.floor(ev['robust_then_clean']! * n + 1e-9), Math.round(ev['robust_accuracy']! * n));
  assert.ok(Math.abs(ev['robust_then_clean']! - ev['robust_accuracy']! - ev['accuracy']! / (n + 1)) < 1e-12);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ eps: -1 }, /'method\.eps'/], [{ steps: 0 }, /'method\.steps'/], [{ loss: 'free' }, /'method\.loss'/], [{ bnMode: 'frozen' }, /'method\.bnMode'/],
    [{ epz: 1 }, /'method\.epz'/], [{ schedule: { name: 'slow-start-fast-decay', decayRate: -1 } }, /'method\.schedule\.decayRate'/],
  ];
  for (const [cfg, re] of bad) assert.throws(() => createAdversarialTask(model, cfg), re);
});

test('a task schedule must be installed as the engine scheduler, stepped per step, with no config scheduler beside it', async () => {
  const run = (task: ReturnType<typeof createAdversarialTask>, cfg: Record<string, unknown>, hook: boolean) =>
    train(task, { seed: 1, maxSteps: 2, checkpoint: { atEpochEnd: false }, eval: { atEpochEnd: false }, ...cfg }, { data: loaderOf(ds, 32), runDir: tmp('adv'), handleSignals: false, ...(hook ? { scheduler: task.lrScheduler } : {}) });
  const mk = () => createAdversarialTask(tinyCnn(5), { eps: 0.1, steps: 1 });
  await assert.rejects(run(mk(), {}, false), /task\.lrScheduler/);
  await assert.rejects(run(mk(), { scheduler: { name: 'cosine' } }, true), /method\.schedule/);
  await assert.rejects(run(mk(), { scheduler: { interval: 'epoch' } }, true), /scheduler\.interval/);
  const engine = createAdversarialTask(tinyCnn(5), { eps: 0.1, steps: 1, schedule: { name: 'engine' } });
  assert.equal(engine.lrScheduler, undefined);
  assert.equal((await run(engine, { scheduler: { name: 'cosine' } }, false)).step, 2);
});

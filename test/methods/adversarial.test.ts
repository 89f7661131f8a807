/** Attacks (eps ball, box, loss increase, PGD vs FGSM, restarts, state restoration, leaks), schedules and robustness evaluation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import { SGD } from '../../src/core/optim/sgd.js';
import { crossEntropy } from '../../src/core/nn/losses.js';
import { fgsm, pgd, newCounter, ceObjective } from '../../src/methods/adversarial/attacks.js';
import { scheduleFn, lambdaFor, resolveSchedule } from '../../src/methods/adversarial/schedules.js';
import { evaluateRobustness, maskingFlags } from '../../src/methods/adversarial/robustness.js';
import { loaderOf, makeSet, tinyCnn } from './finetune-fixtures.js';

const ds = makeSet(96, 3);
const loader = loaderOf(ds, 32, false);
/** All 96 examples as one batch in [0, 1]. */
function all(): { x: Tensor; y: Tensor } {
  const bs = [0, 1, 2].map((i) => loader.batchAt(0, i));
  const r = torch.tidy(() => ({ x: torch.cat(bs.map((b) => b.x), 0), y: torch.cat(bs.map((b) => b.y), 0) }));
  torch.dispose(bs);
  return r;
}
/** The tiny CNN trained naturally (clean accuracy near 1). */
function trained() {
  const model = tinyCnn(7);
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const { x, y } = all();
  for (let s = 0; s < 60; s++) torch.tidy(() => { crossEntropy(model.call(x), y).backward(); opt.step(); opt.zeroGrad(); });
  torch.dispose(x, y);
  return model;
}
const model = trained();
const losses = (x: Tensor, y: Tensor): Tensor => torch.noGrad(() => ceObjective(model.call(x), y));

test('PGD L-inf and L2 stay in the eps ball and [0, 1], and raise the loss over clean', () => {
  const { x, y } = all();
  for (const [norm, eps] of [['linf', 0.1], ['l2', 1.0]] as const) {
    torch.tidy(() => {
      const xa = pgd(model, x, y, { eps, norm, steps: 10 });
      const d = xa.sub(x).reshape([x.size(0), -1]);
      const size = norm === 'linf' ? Number(d.abs().max().item()) : Number(d.norm(2, [1]).max().item());
      assert.ok(size <= eps + 1e-5, `${norm}: ${size} > ${eps}`);
      assert.ok(Number(xa.min().item()) >= 0 && Number(xa.max().item()) <= 1);
      assert.ok(!xa.requiresGrad);
      const lc = Number(losses(x, y).mean().item());
      const la = Number(losses(xa, y).mean().item());
      assert.ok(la > lc + 1e-3, `${norm}: adversarial loss ${la} <= clean ${lc}`);
    });
  }
  torch.dispose(x, y);
});

test('FGSM on a linear model equals the analytic sign-gradient step; PGD-10 is at least as strong as FGSM on the trained CNN', () => {
  const { x, y } = all();
  torch.tidy(() => {
    const la = Number(losses(fgsm(model, x, y, { eps: 0.1 }), y).mean().item());
    const lp = Number(losses(pgd(model, x, y, { eps: 0.1, steps: 10, randomStart: false }), y).mean().item());
    assert.ok(lp >= la - 1e-6, `PGD ${lp} < FGSM ${la}`);
    // linear softmax model: grad wrt x = (p - onehot) W; FGSM = clip(x + eps sign(grad))
    const lin = torch.randn([3, 64]);
    const f = { modules: () => [], parameters: () => [], train: () => f, call: (xi: Tensor) => xi.reshape([xi.size(0), 64]).matmul(lin.t()) };
    const xf = x.reshape([x.size(0), 64]);
    const p = xf.matmul(lin.t()).softmax(1);
    const g = p.sub(torch.oneHot(y, 3).to('float32')).matmul(lin);
    const want = xf.add(g.sign().mul(0.05)).clamp(0, 1);
    const got = fgsm(f as never, x, y, { eps: 0.05 }).reshape([x.size(0), 64]);
    assert.ok(Number(got.sub(want).abs().max().item()) < 1e-6);
  });
  torch.dispose(x, y);
});

test('restarts never weaken: each example is misclassified or has at least the single-run loss', () => {
  const { x, y } = all();
  torch.tidy(() => {
    torch.manualSeed(3);
    const one = pgd(model, x, y, { eps: 0.08, steps: 3 });
    torch.manualSeed(3);
    const three = pgd(model, x, y, { eps: 0.08, steps: 3, restarts: 3 });
    const wrong1 = torch.noGrad(() => model.call(one).argmax(1).ne(y));
    const wrong3 = torch.noGrad(() => model.call(three).argmax(1).ne(y));
    assert.ok(Number(wrong3.sum().item()) >= Number(wrong1.sum().item()));
    const ok = wrong3.logicalOr(losses(three, y).ge(losses(one, y).sub(1e-5)));
    assert.ok(Number(ok.all().item()), 'a restart weakened an example');
  });
  torch.dispose(x, y);
});

test('early stop leaves misclassified examples where they are; the counter counts passes', () => {
  const { x, y } = all();
  torch.tidy(() => {
    const c = newCounter();
    const xa = pgd(model, x, y, { eps: 0.3, steps: 5, earlyStop: true, counter: c });
    assert.equal(c.forward, 5);
    assert.equal(c.backwardExamples, 5 * x.size(0));
    assert.ok(Number(xa.sub(x).abs().max().item()) <= 0.3 + 1e-6);
  });
  torch.dispose(x, y);
});

test('the attack restores per-module train/eval modes and parameter grads, and leaks no tensors', () => {
  const { x, y } = all();
  model.train();
  model.getClassifier().eval(); // a mixed state
  const modes = model.modules().map((m) => m.training);
  const p0 = model.parameters()[0]!;
  torch.tidy(() => { crossEntropy(model.call(x), y).backward(); }); // p0 now has a grad
  const g0 = torch.tidy(() => p0.grad!.clone());
  for (const p of model.parameters().slice(1)) p.grad = null;
  const before = torch.liveTensors();
  for (const bnMode of ['eval', 'train'] as const) {
    torch.dispose(pgd(model, x, y, { eps: 0.1, steps: 2, restarts: 2, bnMode }), fgsm(model, x, y, { eps: 0.1, bnMode }));
  }
  assert.equal(torch.liveTensors(), before, 'tensors leaked');
  assert.deepEqual(model.modules().map((m) => m.training), modes);
  assert.ok(model.parameters().slice(1).every((p) => torch.tidy(() => p.grad === null)));
  torch.tidy(() => assert.ok(Number(p0.grad!.sub(g0).abs().max().item()) === 0));
  for (const p of model.parameters()) p.grad = null;
  torch.dispose(x, y, g0);
  model.eval();
});

test('schedules: warm-up rises, decay falls, values at known points', () => {
  const s = scheduleFn({});
  assert.equal(s(0), 0.01);
  assert.ok(Math.abs(s(0.25) - (0.01 + 0.99 * 0.5)) < 1e-12);
  assert.equal(s(0.5), 1);
  assert.ok(Math.abs(s(1) - Math.exp(-5)) < 1e-12);
  for (let i = 0; i < 10; i++) assert.ok(s((i + 1) / 20) > s(i / 20), `warm-up fell at ${i / 20}`);
  for (let i = 10; i < 20; i++) assert.ok(s((i + 1) / 20) < s(i / 20), `decay rose at ${i / 20}`);
  const cos = scheduleFn({ warmupShape: 'cosine', decayShape: 'cosine', warmupFraction: 0.3 });
  assert.ok(Math.abs(cos(0.15) - (0.01 + 0.99 * 0.5)) < 1e-12);
  assert.ok(Math.abs(cos(1)) < 1e-12);
  const lin = scheduleFn({ decayShape: 'linear', decayFraction: 0.5, minFactor: 0.1 });
  assert.ok(Math.abs(lin(0.625) - 0.5) < 1e-12);
  assert.equal(lin(0.9), 0.1);
  const pw = scheduleFn({ name: 'piecewise' });
  assert.deepEqual([pw(0), pw(0.49), pw(0.5), pw(0.8), pw(1)], [1, 1, 0.1, 0.01, 0.01]);
  const cy = scheduleFn({ name: 'cyclic' });
  assert.deepEqual([cy(0), cy(0.4), cy(0.7), cy(1)].map((v) => Math.round(v * 1e9) / 1e9), [0, 1, 0.5, 0]);
  assert.equal(scheduleFn({ name: 'constant' })(0.3), 1);
  assert.equal(lambdaFor({ name: 'piecewise' }, 100)(60), 0.1);
  assert.throws(() => resolveSchedule({ warmupFraction: 1.5 }), /method\.schedule\.warmupFraction/);
  assert.throws(() => resolveSchedule({ name: 'piecewise', factors: [1] }), /method\.schedule\.factors/);
  assert.throws(() => resolveSchedule({ name: 'step' }), /method\.schedule\.name/);
  assert.throws(() => resolveSchedule({ name: 'cyclic', warmupShape: 'linear' }), /method\.schedule\.warmupShape/);
});

test('evaluateRobustness: clean >= FGSM, PGD falls with steps and eps, no masking flags on the trained CNN; flags fire on a fake report', () => {
  const before = torch.liveTensors();
  const r = evaluateRobustness(model, loader, { eps: 0.1, steps: [1, 5, 10], epsSweep: [0.02, 0.2], seed: 1 });
  assert.equal(torch.liveTensors(), before);
  assert.equal(r.examples, 96);
  assert.ok(r.clean > 0.8, `clean ${r.clean}`);
  assert.ok(r.fgsm <= r.clean && r.pgd[2]!.accuracy <= r.fgsm + 1 / 96);
  assert.deepEqual(r.maskingFlags, [], r.maskingFlags.join('; '));
  assert.ok(r.cost.backward > 0);
  const fake = maskingFlags({ clean: 0.9, fgsm: 0.2, pgd: [{ steps: 5, accuracy: 0.3 }, { steps: 10, accuracy: 0.4 }], epsSweep: [{ eps: 0.1, accuracy: 0.3 }, { eps: 0.2, accuracy: 0.5 }] });
  assert.equal(fake.length, 3);
  assert.throws(() => evaluateRobustness(model, loader, { eps: 0.1, steps: [0] }), /'steps'/);
  // every pass is counted with its examples: 3 batches of 32, so 32 examples per counted pass
  assert.ok(r.cost.forward > 0 && r.cost.forwardExamples === 32 * r.cost.forward && r.cost.backwardExamples === 32 * r.cost.backward, JSON.stringify(r.cost));
});

test('evaluateRobustness: PGD-20 by default', () => {
  const r = evaluateRobustness(model, loader, { eps: 0.05, seed: 1 });
  assert.deepEqual(r.pgd.map((p) => p.steps), [20]);
  assert.ok(r.pgd[0]!.accuracy <= r.clean);
});

/**
 * The adversarial method's equations on hand-computed cases (each would fail on a plausible one-token bug):
 * the schedules inside their warm-up and decay phases, the L2/L-inf projection inside and outside the ball,
 * TRADES' batch-mean KL on a linear model (expected value computed in plain JS from the model's weights), and
 * fast-check invariants of the schedules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as torch from '../../src/core/torch.js';
import { Linear } from '../../src/core/nn/layers/linear.js';
import { createAdversarialTask, fgsm, lambdaFor, pgd, project, resolveSchedule, scheduleFn } from '../../src/methods/adversarial/index.js';

const near = (got: number, want: number, tol: number, what: string): void => assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want}`);

test('slow-start-fast-decay: hand-computed factors in the warm-up and in each decay shape', () => {
  const def = scheduleFn({});
  // linear warm-up from 0.01 over half the run, then exp(-5 u), u = (p - 0.5) / 0.5
  near(def(0), 0.01, 1e-15, 'p=0');
  near(def(0.25), 0.01 + 0.99 * 0.5, 1e-15, 'p=0.25');
  near(def(0.5), 1, 1e-15, 'p=0.5');
  near(def(0.6), Math.exp(-1), 1e-15, 'p=0.6: exp(-5 * 0.2)');
  near(def(0.75), Math.exp(-2.5), 1e-15, 'p=0.75: exp(-5 * 0.5)');
  near(def(0.9), Math.exp(-4), 1e-15, 'p=0.9: exp(-5 * 0.8)');
  near(def(1), Math.exp(-5), 1e-15, 'p=1');
  const cosW = scheduleFn({ warmupShape: 'cosine', warmupFraction: 0.4, startFactor: 0.1 });
  near(cosW(0.1), 0.1 + 0.9 * (1 - Math.SQRT1_2) / 2, 1e-12, 'cosine warm-up at u = 1/4');
  const cos = scheduleFn({ decayShape: 'cosine', minFactor: 0.2, warmupFraction: 0.5 });
  near(cos(0.75), 0.6, 1e-12, 'cosine decay half-way: 0.2 + 0.8 * 0.5');
  near(cos(1), 0.2, 1e-12, 'cosine decay ends at minFactor');
  near(cos(0.625), 0.2 + 0.8 * (1 + Math.SQRT1_2) / 2, 1e-12, 'cosine decay at u = 1/4');
  const lin = scheduleFn({ decayShape: 'linear', minFactor: 0.1, decayFraction: 0.5, warmupFraction: 0.5 });
  near(lin(0.6), 0.6, 1e-12, 'linear decay at u = 0.2 over half the rest');
  near(lin(0.9), 0.1, 1e-12, 'linear decay floored at minFactor');
  const noWarm = scheduleFn({ warmupFraction: 0, decayRate: 2 });
  near(noWarm(0.5), Math.exp(-1), 1e-15, 'no warm-up: exp(-2 * 0.5)');
});

test('piecewise, cyclic and lambdaFor: hand-computed factors', () => {
  const pw = scheduleFn({ name: 'piecewise' });
  assert.deepEqual([0, 0.49, 0.5, 0.74, 0.75, 1].map(pw), [1, 1, 0.1, 0.1, 0.01, 0.01]);
  const cy = scheduleFn({ name: 'cyclic', cycles: 2, peakAt: 0.4 });
  near(cy(0.1), 0.5, 1e-12, 'cycle 1 rising'); near(cy(0.2), 1, 1e-12, 'peak'); near(cy(0.35), 0.5, 1e-12, 'cycle 1 falling');
  near(cy(0.6), 0.5, 1e-12, 'cycle 2 rising'); near(cy(1), 0, 1e-12, 'end');
  const l = lambdaFor({ name: 'cyclic', cycles: 1, peakAt: 0.5 }, 8);
  assert.deepEqual([0, 2, 4, 6, 8].map(l), [0, 0.5, 1, 0.5, 0]);
  assert.throws(() => lambdaFor({}, 0), /totalSteps/);
});

test('schedule invariants (fast-check): factors in [0, 1]; warm-up non-decreasing, decay non-increasing, continuous at the switch', () => {
  const spec = fc.record({
    warmupFraction: fc.double({ min: 0, max: 0.95, noNaN: true }), warmupShape: fc.constantFrom('linear' as const, 'cosine' as const),
    startFactor: fc.double({ min: 0, max: 1, noNaN: true }), decayShape: fc.constantFrom('exponential' as const, 'linear' as const, 'cosine' as const),
    decayRate: fc.double({ min: 0, max: 20, noNaN: true }), minFactor: fc.double({ min: 0, max: 1, noNaN: true }), decayFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
  });
  fc.assert(fc.property(spec, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (s, a, b) => {
    const f = scheduleFn(s);
    const [p, q] = a <= b ? [a, b] : [b, a];
    for (const x of [p, q]) assert.ok(f(x) >= -1e-12 && f(x) <= 1 + 1e-12, `factor ${f(x)} at ${x}`);
    if (q < s.warmupFraction) assert.ok(f(p) <= f(q) + 1e-12, 'warm-up decreases');
    if (p >= s.warmupFraction) assert.ok(f(p) >= f(q) - 1e-12, 'decay increases');
    if (s.warmupFraction > 0) near(f(s.warmupFraction), 1, 1e-9, 'factor 1 at the end of the warm-up');
    if (s.decayShape !== 'exponential' && s.decayFraction === 1) near(f(1), s.minFactor, 1e-9, 'ends at minFactor');
  }), { numRuns: 300, seed: 23 });
});

test('project L2: a delta inside the ball is unchanged, one outside is scaled onto the sphere; L-inf clamps; x + delta stays in [0, 1]', () => {
  torch.tidy(() => {
    const x = torch.full([3, 2], 0.5);
    const delta = torch.tensor([[0.03, 0.04], [0.3, 0.4], [0, 0]]); // norms 0.05 (inside), 0.5 (outside), 0
    const got = Array.from(project(x, delta, 0.1, 'l2').data() as Float32Array);
    const want = [0.03, 0.04, 0.06, 0.08, 0, 0];
    got.forEach((v, i) => near(v, want[i]!, 1e-6, `l2[${i}]`));
    const li = Array.from(project(x, torch.tensor([[0.05, -0.3], [0.2, -0.01], [0, 0]]), 0.1, 'linf').data() as Float32Array);
    [0.05, -0.1, 0.1, -0.01, 0, 0].forEach((w, i) => near(li[i]!, w, 1e-6, `linf[${i}]`));
    const edge = Array.from(project(torch.tensor([[0.95, 0.02]]), torch.tensor([[0.1, -0.1]]), 0.2, 'linf').data() as Float32Array);
    near(edge[0]!, 0.05, 1e-6, 'clipped at 1'); near(edge[1]!, -0.02, 1e-6, 'clipped at 0');
  });
});

test('TRADES on a linear model: kl is the batch mean of KL(p_clean || p_adv), loss = CE(clean) + beta kl', () => {
  torch.manualSeed(3);
  const W = [[1.5, -2, 0.5, 1], [-1, 1, 2, -0.5], [0.3, 0.7, -1.2, 2]];
  const bias = [0.1, -0.2, 0.05];
  const model = new Linear(4, 3);
  torch.noGrad(() => { model.weight.copy_(torch.tensor(W)); model.bias!.copy_(torch.tensor(bias)); });
  const inputs: number[][][] = [];
  model.registerForwardPreHook((_m, input) => {
    const t = input[0];
    const rows = t.size(0);
    const flat = Array.from(torch.tidy(() => t.detach().contiguous().data() as Float32Array));
    inputs.push(Array.from({ length: rows }, (_, i) => flat.slice(i * 4, i * 4 + 4)));
  });
  const task = createAdversarialTask(model, { loss: 'trades', init: 'finetune', eps: 0.3, steps: 3, tradesBeta: 6, schedule: { name: 'constant' } });
  const xs = [[0.2, 0.8, 0.5, 0.1], [0.9, 0.1, 0.3, 0.6], [0.4, 0.4, 0.7, 0.2], [0.5, 0.6, 0.1, 0.9]];
  const ys = [0, 1, 2, 1];
  const x = torch.tensor(xs);
  const y = torch.tensor(ys, { dtype: 'int64' });
  const out = task.loss({ x, y });
  const kl = Number((out.parts!['kl'] as torch.Tensor).item());
  const ce = Number((out.parts!['ce_clean'] as torch.Tensor).item());
  const xa = inputs[inputs.length - 1]!; // the last forward is the one on the adversarial examples
  const clean = inputs[inputs.length - 2]!;
  assert.deepEqual(clean.map((r) => r.map((v) => Math.fround(v))), xs.map((r) => r.map((v) => Math.fround(v))), 'second-last forward is on the clean batch');
  const probs = (v: number[]): number[] => {
    const z = W.map((w, k) => w.reduce((s, wi, i) => s + wi * v[i]!, bias[k]!));
    const m = Math.max(...z);
    const e = z.map((zi) => Math.exp(zi - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((ei) => ei / s);
  };
  let klWant = 0;
  let ceWant = 0;
  xs.forEach((xi, i) => {
    const pc = probs(xi);
    const pa = probs(xa[i]!);
    klWant += pc.reduce((s, p, k) => s + p * (Math.log(p) - Math.log(pa[k]!)), 0);
    ceWant -= Math.log(pc[ys[i]!]!);
    assert.ok(Math.max(...xa[i]!.map((v, j) => Math.abs(v - xi[j]!))) <= 0.3 + 1e-6, 'adversarial example inside the L-inf ball');
  });
  klWant /= xs.length;
  ceWant /= xs.length;
  assert.ok(klWant > 1e-3, `the attack found a non-trivial KL (${klWant})`);
  near(kl, klWant, 1e-5 * Math.max(1, klWant), 'kl (batch mean of per-example sums)');
  near(ce, ceWant, 1e-5, 'clean cross entropy');
  near(Number(out.loss.item()), ceWant + 6 * klWant, 1e-4, 'loss = ce + beta kl');
  torch.dispose([x, y, out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
  model.dispose();
});

/** A Linear(4, 3) with fixed weights, and the input gradient of CE at x for label y, in plain JS. */
const W2 = [[1.5, -2, 0.5, 1], [-1, 1, 2, -0.5], [0.3, 0.7, -1.2, 2]];
const B2 = [0.1, -0.2, 0.05];
function linearModel(): Linear {
  const m = new Linear(4, 3);
  torch.noGrad(() => { m.weight.copy_(torch.tensor(W2)); m.bias!.copy_(torch.tensor(B2)); });
  return m;
}
function ceGrad(x: number[], y: number): number[] {
  const z = W2.map((w, k) => w.reduce((s, wi, i) => s + wi * x[i]!, B2[k]!));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  const r = e.map((v, k) => v / s - (k === y ? 1 : 0));
  return x.map((_, i) => r.reduce((acc, rk, k) => acc + rk * W2[k]![i]!, 0));
}
const XS = [[0.2, 0.8, 0.5, 0.4], [0.9, 0.15, 0.3, 0.6], [0.5, 0.5, 0.5, 0.5]];
const YS = [0, 1, 2];

test('FGSM and one-step PGD on a linear model: x + eps sign(grad) (L-inf), x + step grad/|grad| projected onto the ball (L2), clipped to [0, 1]', () => {
  const model = linearModel();
  const x = torch.tensor(XS);
  const y = torch.tensor(YS, { dtype: 'int64' });
  const rowsOf = (t: torch.Tensor): number[][] => { const f = Array.from(t.data() as Float32Array); return XS.map((_, i) => f.slice(i * 4, i * 4 + 4)); };
  const fg = fgsm(model, x, y, { eps: 0.1 });
  rowsOf(fg).forEach((r, i) => {
    const g = ceGrad(XS[i]!, YS[i]!);
    r.forEach((v, j) => near(v, Math.min(1, Math.max(0, XS[i]![j]! + 0.1 * Math.sign(g[j]!))), 1e-6, `fgsm[${i}][${j}]`));
  });
  for (const [step, eps] of [[0.05, 0.2], [0.5, 0.2]] as const) { // the step inside the ball, then beyond it
    const adv = pgd(model, x, y, { eps, norm: 'l2', steps: 1, stepSize: step, randomStart: false });
    rowsOf(adv).forEach((r, i) => {
      const g = ceGrad(XS[i]!, YS[i]!);
      const n = Math.hypot(...g);
      const len = Math.min(step, eps);
      r.forEach((v, j) => near(v, Math.min(1, Math.max(0, XS[i]![j]! + len * g[j]! / n)), 1e-5, `pgd-l2 step ${step} eps ${eps} [${i}][${j}]`));
    });
    adv.dispose();
  }
  const zero = pgd(model, x, y, { eps: 0, steps: 3 });
  rowsOf(zero).forEach((r, i) => r.forEach((v, j) => assert.equal(v, Math.fround(XS[i]![j]!), 'eps 0 leaves x')));
  torch.dispose([fg, zero, x, y]);
  model.dispose();
});

test('project (fast-check): the result lies in the ball and keeps x + delta in [0, 1]; a delta already inside both is unchanged', () => {
  fc.assert(fc.property(
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
    fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
    fc.double({ min: 0.01, max: 1, noNaN: true }), fc.constantFrom('linf' as const, 'l2' as const),
    (xv, dv, eps, norm) => torch.tidy(() => {
      const d = Array.from(project(torch.tensor([xv]), torch.tensor([dv]), eps, norm).data() as Float32Array);
      const size = norm === 'linf' ? Math.max(...d.map(Math.abs)) : Math.hypot(...d);
      assert.ok(size <= eps * (1 + 1e-5) + 1e-6, `${norm} size ${size} > eps ${eps}`);
      d.forEach((v, i) => assert.ok(xv[i]! + v >= -1e-6 && xv[i]! + v <= 1 + 1e-6, 'x + delta in [0, 1]'));
      const inBall = (norm === 'linf' ? Math.max(...dv.map(Math.abs)) : Math.hypot(...dv)) <= eps * 0.999;
      const inBox = dv.every((v, i) => xv[i]! + v >= 0 && xv[i]! + v <= 1);
      if (inBall && inBox) d.forEach((v, i) => near(v, Math.fround(dv[i]!), 1e-6, 'unchanged'));
    })), { numRuns: 300, seed: 23 });
});

test('attack options and schedule specs are checked, naming the field', () => {
  const model = linearModel();
  const x = torch.tensor(XS);
  const y = torch.tensor(YS, { dtype: 'int64' });
  for (const [o, field] of [[{ stepSize: 0 }, 'stepSize'], [{ stepSize: -1 }, 'stepSize'], [{ stepSize: NaN }, 'stepSize'], [{ restarts: 0 }, 'restarts'], [{ restarts: 1.5 }, 'restarts'], [{ steps: 0 }, 'steps'], [{ eps: -0.1 }, 'eps']] as const) {
    assert.throws(() => pgd(model, x, y, { eps: 0.1, ...o }), new RegExp(`attack option '${field}' must be`), JSON.stringify(o));
  }
  for (const bad of ['cosine', [], null, 3]) assert.throws(() => resolveSchedule(bad), /schedule field 'method\.schedule\.' must be an object/, JSON.stringify(bad));
  torch.dispose([x, y]);
  model.dispose();
});

test('random starts: L-inf uniform in the cube (mean 0, few at the faces), L2 uniform in the ball (radius near eps in 1,000 dimensions)', () => {
  const model = new Linear(1000, 3);
  const x = torch.full([8, 1000], 0.5);
  const y = torch.zeros([8], { dtype: 'int64' });
  const g = new torch.Generator(3);
  const deltaOf = (adv: torch.Tensor): Float32Array => torch.tidy(() => adv.sub(x).data() as Float32Array);
  const li = deltaOf(pgd(model, x, y, { eps: 0.1, steps: 1, stepSize: 1e-7, generator: g }));
  const mean = li.reduce((a, b) => a + b, 0) / li.length;
  const faces = li.filter((v) => Math.abs(v) > 0.0999).length / li.length;
  assert.ok(Math.abs(mean) < 0.003, `mean of the L-inf start ${mean}`);
  assert.ok(faces < 0.01, `fraction at the faces ${faces}`);
  const l2 = deltaOf(pgd(model, x, y, { eps: 0.1, norm: 'l2', steps: 1, stepSize: 1e-7, generator: g }));
  for (let i = 0; i < 8; i++) {
    const r = Math.hypot(...l2.slice(i * 1000, (i + 1) * 1000));
    assert.ok(r <= 0.1 + 1e-5 && r > 0.098, `L2 start radius ${r} (uniform in a 1000-d ball: almost all mass near eps)`);
  }
  torch.dispose([x, y]);
  model.dispose();
});

test('earlyStop keeps an example that is already misclassified at x; restarts keep the per-example worst case', () => {
  const model = linearModel();
  const x = torch.tensor(XS);
  const pred = Array.from(torch.tidy(() => model.call(x).argmax(1).data() as BigInt64Array), Number);
  const wrong = pred.map((p) => (p + 1) % 3); // labels the model does not predict at x
  const y = torch.tensor(wrong, { dtype: 'int64' });
  const adv = pgd(model, x, y, { eps: 0.2, steps: 3, randomStart: false, earlyStop: true });
  assert.deepEqual(Array.from(adv.data() as Float32Array), Array.from(x.data() as Float32Array), 'no example moved');
  const yr = torch.tensor(YS, { dtype: 'int64' });
  const lossOf = (a: torch.Tensor): number[] => Array.from(torch.tidy(() => torch.crossEntropy(model.call(a), yr, null, 'none').data() as Float32Array));
  const one = pgd(model, x, yr, { eps: 0.2, steps: 2, generator: new torch.Generator(5) });
  const counter = { forward: 0, backward: 0, forwardExamples: 0, backwardExamples: 0 };
  const live = torch.liveTensors();
  const three = pgd(model, x, yr, { eps: 0.2, steps: 2, restarts: 3, generator: new torch.Generator(5), counter });
  assert.equal(torch.liveTensors(), live + 1, 'restarts leak nothing: only the result is alive');
  const [l1, l3] = [lossOf(one), lossOf(three)];
  l3.forEach((v, i) => assert.ok(v >= l1[i]! - 1e-6, `restart ${i}: ${v} < the first restart's ${l1[i]}`));
  assert.deepEqual([counter.forward, counter.backward], [3 * 2 + 3, 3 * 2], 'each restart: 2 steps and one scoring forward');
  torch.dispose([x, y, yr, adv, one, three]);
  model.dispose();
});

test("TRADES' default PGD step size is eps / 4: with 3 sign steps each coordinate moves by 1 or 3 steps of 0.075 (eps 0.3)", () => {
  torch.manualSeed(5);
  const model = new Linear(4, 3);
  torch.noGrad(() => { model.weight.copy_(torch.tensor([[1.5, -2, 0.5, 1], [-1, 1, 2, -0.5], [0.3, 0.7, -1.2, 2]])); model.bias!.zero_(); });
  const inputs: number[][] = [];
  model.registerForwardPreHook((_m, input) => { inputs.push(Array.from(torch.tidy(() => input[0].detach().contiguous().data() as Float32Array))); });
  const task = createAdversarialTask(model, { loss: 'trades', init: 'finetune', eps: 0.3, steps: 3, schedule: { name: 'constant' } });
  const xs = [[0.4, 0.6, 0.5, 0.45], [0.55, 0.35, 0.65, 0.5]]; // 0.225 from [0.35, 0.65] stays inside [0, 1]: no clamping
  const out = task.loss({ x: torch.tensor(xs), y: torch.tensor([0, 2], { dtype: 'int64' }) });
  assert.ok(out.parts);
  const xa = inputs[inputs.length - 1]!;
  xs.flat().forEach((v, i) => {
    const d = Math.abs(xa[i]! - v);
    assert.ok(Math.min(Math.abs(d - 0.075), Math.abs(d - 0.225)) < 0.01, `coordinate ${i}: moved ${d}, not 1 or 3 steps of eps / 4`);
  });
});

test('the pass counts and monitor seconds survive stateDict / loadStateDict (a resumed run keeps counting)', () => {
  const task = createAdversarialTask(new Linear(4, 3), { schedule: { name: 'constant' } });
  const s = task.stateDict!();
  const json = s.json as { cost: Record<string, number>; evalCost: Record<string, number>; evalSeconds: number };
  const saved = { cost: { forward: 3, backward: 2, forwardExamples: 30, backwardExamples: 20 }, evalCost: { forward: 7, backward: 5, forwardExamples: 70, backwardExamples: 50 }, evalSeconds: 1.5 };
  assert.deepEqual(Object.keys(json.evalCost).sort(), Object.keys(saved.evalCost).sort());
  const fresh = createAdversarialTask(new Linear(4, 3), { schedule: { name: 'constant' } });
  fresh.loadStateDict!({ tensors: new Map(), json: saved });
  assert.deepEqual(fresh.stateDict!().json, saved);
});

/** LR schedulers against PyTorch 1.13's sequences (test/fixtures/gen_optim.py, 30 steps, two groups). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, optim, ConfigError, type Tensor } from '../../src/index.js';
import { fixture } from '../helpers.js';

const F = fixture('optim_lr');
type Opt = optim.Optimizer;
type Make = (o: Opt) => optim.LRScheduler;
const S = optim;
const CASES: [string, Make][] = [
  ['step', (o) => new S.StepLR(o, 7, 0.5)],
  ['multistep', (o) => new S.MultiStepLR(o, [5, 12, 12, 20], 0.3)],
  ['exponential', (o) => new S.ExponentialLR(o, 0.9)],
  ['cosine', (o) => new S.CosineAnnealingLR(o, 10, 0.001)],
  ['linear', (o) => new S.LinearLR(o, { startFactor: 0.1, endFactor: 1.0, totalIters: 8 })],
  ['linear_down', (o) => new S.LinearLR(o, { startFactor: 1.0, endFactor: 0.2, totalIters: 12 })],
  ['onecycle', (o) => new S.OneCycleLR(o, { maxLr: [1.0, 0.1], totalSteps: 31 })],
  ['onecycle_linear3', (o) => new S.OneCycleLR(o, { maxLr: 0.5, totalSteps: 30, pctStart: 0.25, annealStrategy: 'linear',
    threePhase: true, divFactor: 10, finalDivFactor: 100 })],
  ['lambda', (o) => new S.LambdaLR(o, (e) => 0.95 ** e)],
  ['lambda_list', (o) => new S.LambdaLR(o, [(e) => 1.0 / (e + 1), (e) => 0.9 ** e])],
  ['sequential', (o) => new S.SequentialLR(o, [new S.LinearLR(o, { startFactor: 0.1, totalIters: 5 }),
    new S.CosineAnnealingLR(o, 25)], [5])],
  ['sequential3', (o) => new S.SequentialLR(o, [new S.LinearLR(o, { startFactor: 0.5, totalIters: 4 }),
    new S.StepLR(o, 3, 0.5), new S.ExponentialLR(o, 0.8)], [4, 15])],
];

/** The fixture's optimizer: SGD, groups lr 0.1 and 0.01, momentum 0.9. */
function makeOpt(): { opt: optim.SGD; ps: Tensor[] } {
  const ps = [0, 1].map(() => torch.keep(torch.zeros([2]).requiresGrad_()));
  return { ps, opt: new optim.SGD([{ params: [ps[0]!], lr: 0.1 }, { params: [ps[1]!], lr: 0.01 }], { lr: 0.1, momentum: 0.9 }) };
}
function expected(name: string, what: 'lr' | 'momentum'): number[][] {
  const t = F.get(`${name}.${what}`);
  assert.ok(t, `fixture ${name}.${what}`);
  return t.toArray() as number[][];
}
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 + 1e-12 * Math.abs(b);
function assertSeq(got: number[][], want: number[][], what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((row, i) => row.forEach((v, j) => {
    assert.ok(close(v, want[i]![j]!), `${what}: step ${i} group ${j}: ${v} != ${want[i]![j]}`);
  }));
}
/** Steps the scheduler 30 times, recording lrs (and momenta) after construction and each step. */
function run(name: string, make: Make, roundTripAt?: number): void {
  let { opt, ps } = makeOpt();
  let sched = make(opt);
  const lrs: number[][] = []; const moms: number[][] = [];
  for (let i = 0; i <= 30; i++) {
    if (i > 0) sched.step();
    if (i === roundTripAt) {
      // A fresh optimizer + scheduler loaded from both (JSON) state dicts continues identically.
      const sd = JSON.parse(JSON.stringify({ o: opt.stateDict(), s: sched.stateDict() })) as
        { o: optim.OptimizerStateDict; s: optim.SchedulerStateDict };
      torch.dispose(ps);
      ({ opt, ps } = makeOpt());
      sched = make(opt);
      opt.loadStateDict(sd.o);
      sched.loadStateDict(sd.s);
    }
    lrs.push(opt.paramGroups.map((g) => g.lr));
    assert.deepEqual(sched.getLastLr(), lrs[i]);
    moms.push(opt.paramGroups.map((g) => g.momentum));
  }
  assertSeq(lrs, expected(name, 'lr'), `${name} lr`);
  assertSeq(moms, expected(name, 'momentum'), `${name} momentum`);
  torch.dispose(ps);
}

for (const [name, make] of CASES) {
  test(`${name}: lr sequence matches PyTorch over 30 steps`, () => run(name, make));
  test(`${name}: stateDict round trip at step 7 continues identically`, () => run(name, make, 7));
}

test('a different schedule fails the comparison', () => {
  assert.throws(() => run('step', (o) => new S.StepLR(o, 6, 0.5)), /step 6 group 0/);
});

test('OneCycleLR cycles Adam beta1 and refuses to step past totalSteps', () => {
  const p = torch.keep(torch.zeros([2]).requiresGrad_());
  const opt = new optim.Adam([p], { betas: [0.9, 0.99] });
  const s = new S.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 4 });
  assert.deepEqual(opt.paramGroups[0]!.betas, [0.95, 0.99]);
  for (let i = 0; i < 4; i++) s.step();
  assert.throws(() => s.step(), /Tried to step 6 times. The specified number of total steps is 4/);
  p.dispose();
});

test('schedulers validate their arguments', () => {
  const { opt, ps } = makeOpt();
  assert.throws(() => new S.StepLR(opt, 0), (e: Error) => e instanceof ConfigError && /stepSize must be a positive integer/.test(e.message));
  assert.throws(() => new S.LinearLR(opt, { startFactor: 1.5 }), /Invalid startFactor: 1.5 \(startFactor must be in \(0, 1\]\)/);
  assert.throws(() => new S.CosineAnnealingLR(opt, -3), /tMax must be a positive integer/);
  assert.throws(() => new S.LambdaLR(opt, [(e) => e]), /Expected 2 lrLambdas, but got 1/);
  assert.throws(() => new S.OneCycleLR(opt, { maxLr: 1 }), /totalSteps or \(epochs and stepsPerEpoch\)/);
  assert.throws(() => new S.OneCycleLR(opt, { maxLr: [1, 2, 3], totalSteps: 10 }), /expected 2 values for maxLr, got 3/);
  assert.throws(() => new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 2 }), /pctStart must be in \[0, 1\]/);
  assert.throws(() => new S.SequentialLR(opt, [new S.StepLR(opt, 2)], [3]), /one milestone fewer than schedulers/);
  const other = makeOpt();
  assert.throws(() => new S.SequentialLR(opt, [new S.StepLR(opt, 2), new S.StepLR(other.opt, 2)], [3]), /another optimizer/);
  const fresh = makeOpt();
  assert.throws(() => new S.StepLR(fresh.opt, 2, 0.1, 5), /'initialLr' is not specified in paramGroups\[0\]/);
  torch.dispose(ps, other.ps, fresh.ps);
});

/** SGD against PyTorch 1.13 trajectories (bit-exact: same kernels, same order) (test/fixtures/gen_optim.py), errors, zeroGrad and leaks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, optim, ConfigError, type Tensor } from '../../src/index.js';
import { assertClose, fixture } from '../helpers.js';

const F = fixture('optim_traj');
const get = (k: string): Tensor => { const t = F.get(k); assert.ok(t, `fixture ${k}`); return t; };

/** Fresh leaf parameters w [3,4], b [4] from the fixture's initial values. */
function params(): Tensor[] {
  return ['w', 'b'].map((k) => torch.keep(get(`init.${k}`).clone().requiresGrad_()));
}
/** The fixture's quadratic loss: sum(A*p^2 + c*p) over w and b, backpropagated. */
function backward(ps: Tensor[]): void {
  torch.tidy(() => {
    const [w, b] = ps as [Tensor, Tensor];
    const l = get('A.w').mul(w).mul(w).add(get('c.w').mul(w)).sum()
      .add(get('A.b').mul(b).mul(b).add(get('c.b').mul(b)).sum());
    l.backward();
  });
}
/** Runs 5 steps of the case and compares to PyTorch after each. */
export function runCase(name: string, make: (ps: Tensor[]) => optim.Optimizer): void {
  const ps = params();
  const opt = make(ps);
  for (let s = 1; s <= 5; s++) {
    opt.zeroGrad();
    backward(ps);
    opt.step();
    assertClose(ps[0]!, get(`${name}.${s}.w`), { atol: 0, rtol: 0, what: `${name} step ${s} w` });
    assertClose(ps[1]!, get(`${name}.${s}.b`), { atol: 0, rtol: 0, what: `${name} step ${s} b` });
  }
  opt.dispose();
  torch.dispose(ps);
}

const CASES: [string, (p: Tensor[]) => optim.Optimizer][] = [
  ['sgd_plain', (p) => new optim.SGD(p, { lr: 0.1 })],
  ['sgd_momentum', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
  ['sgd_nesterov', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['sgd_dampening', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.5 })],
  ['sgd_wd', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 })],
  ['sgd_maximize', (p) => new optim.SGD(p, { lr: 0.01, momentum: 0.5, weightDecay: 0.1, maximize: true })],
  ['groups_sgd', (p) => new optim.SGD([{ params: [p[0]!], lr: 0.1 }, { params: [p[1]!], lr: 0.01, momentum: 0.5 }],
    { lr: 0.2, momentum: 0.9 })],
];
for (const [name, make] of CASES) test(`SGD trajectory matches PyTorch: ${name}`, () => runCase(name, make));

test('SGD: a wrong update rule would fail the trajectory check', () => {
  assert.throws(() => runCase('sgd_nesterov', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })), /differ/);
});

test('SGD validates hyperparameters, naming the field', () => {
  const [p] = params() as [Tensor];
  assert.throws(() => new optim.SGD([p], { lr: -1 }), (e: Error) => e instanceof ConfigError && /Invalid learning rate: -1 \(lr must be/.test(e.message));
  assert.throws(() => new optim.SGD([p], { lr: 0.1, momentum: -0.5 }), /Invalid momentum value: -0.5 \(momentum must be >= 0\)/);
  assert.throws(() => new optim.SGD([p], { lr: 0.1, weightDecay: -1 }), /weightDecay must be >= 0/);
  assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum/);
  assert.throws(() => new optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /zero dampening/);
  assert.throws(() => new optim.SGD([{ params: [p], lr: Number.NaN }], { lr: 0.1 }), /Invalid learning rate: NaN/);
  assert.throws(() => new optim.SGD([], { lr: 0.1 }), /empty parameter list/);
  assert.throws(() => new optim.SGD([p, p], { lr: 0.1 }), /more than one parameter group/);
  const opt = new optim.SGD([p], { lr: 0.1 });
  assert.throws(() => opt.addParamGroup({ params: [p] }), /more than one parameter group/);
  const nonLeaf = torch.tidy(() => torch.keep(p.mul(2)));
  assert.throws(() => opt.addParamGroup({ params: [nonLeaf] }), /non-leaf/);
  torch.dispose(p, nonLeaf);
});

test('zeroGrad: setToNone by default, zeroes in place with setToNone false', () => {
  const ps = params();
  const opt = new optim.SGD(ps, { lr: 0.1 });
  backward(ps);
  opt.zeroGrad({ setToNone: false });
  const g = ps[0]!.grad!;
  assert.equal(g.abs().sum().item(), 0);
  g.dispose();
  opt.zeroGrad();
  assert.equal(ps[0]!.grad, null);
  opt.step(); // no gradients: nothing moves, nothing throws
  assertClose(ps[0]!, get('init.w'), { atol: 0, rtol: 0 });
  torch.dispose(ps);
});

test('addParamGroup fills defaults and keeps per-group overrides', () => {
  const [w, b] = params() as [Tensor, Tensor];
  const opt = new optim.SGD([w], { lr: 0.1, momentum: 0.9 });
  opt.addParamGroup({ params: [b], lr: 0.01 });
  assert.equal(opt.paramGroups.length, 2);
  assert.equal(opt.paramGroups[1]!.lr, 0.01);
  assert.equal(opt.paramGroups[1]!.momentum, 0.9);
  assert.throws(() => opt.addParamGroup({ params: [], lr: -2 }), /Invalid learning rate: -2/);
  torch.dispose(w, b);
});

test('SGD momentum: live tensors constant over 200 steps (inside and outside tidy)', () => {
  const ps = params();
  const opt = new optim.SGD(ps, { lr: 0.001, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  backward(ps); opt.step(); opt.zeroGrad();
  const before = torch.liveTensors();
  for (let i = 0; i < 200; i++) {
    backward(ps);
    if (i % 2) torch.tidy(() => opt.step()); else opt.step();
    opt.zeroGrad({ setToNone: i % 3 === 0 });
    if (i % 3 !== 0) opt.zeroGrad();
  }
  assert.equal(torch.liveTensors(), before);
  opt.dispose();
  assert.equal(torch.liveTensors(), before - 2);
  torch.dispose(ps);
});

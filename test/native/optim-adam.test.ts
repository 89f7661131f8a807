/** Adam/AdamW against PyTorch 1.13 trajectories (bit-exact), state dict round trips, convergence, errors and leaks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, optim, ConfigError, CheckpointError, type Tensor } from '../../src/index.js';
import { assertClose, fixture } from '../helpers.js';

const F = fixture('optim_traj');
const get = (k: string): Tensor => { const t = F.get(k); assert.ok(t, `fixture ${k}`); return t; };
const params = (): Tensor[] => ['w', 'b'].map((k) => torch.keep(get(`init.${k}`).clone().requiresGrad_()));
/** The fixture's quadratic loss sum(A*p^2 + c*p), backpropagated into .grad. */
function backward(ps: Tensor[]): void {
  torch.tidy(() => {
    const [w, b] = ps as [Tensor, Tensor];
    get('A.w').mul(w).mul(w).add(get('c.w').mul(w)).sum()
      .add(get('A.b').mul(b).mul(b).add(get('c.b').mul(b)).sum()).backward();
  });
}
const check = (ps: Tensor[], name: string, s: number): void => {
  assertClose(ps[0]!, get(`${name}.${s}.w`), { atol: 0, rtol: 0, what: `${name} step ${s} w` });
  assertClose(ps[1]!, get(`${name}.${s}.b`), { atol: 0, rtol: 0, what: `${name} step ${s} b` });
};
type Make = (p: Tensor[]) => optim.Optimizer;
const CASES: [string, Make][] = [
  ['adam', (p) => new optim.Adam(p, { lr: 0.1 })],
  ['adam_amsgrad_wd', (p) => new optim.Adam(p, { lr: 0.1, betas: [0.8, 0.95], weightDecay: 0.1, amsgrad: true })],
  ['adam_maximize', (p) => new optim.Adam(p, { lr: 0.01, eps: 1e-6, maximize: true })],
  ['adamw', (p) => new optim.AdamW(p, { lr: 0.1, weightDecay: 0.1 })],
  ['adamw_amsgrad', (p) => new optim.AdamW(p, { lr: 0.05, amsgrad: true })],
  ['groups_adam', (p) => new optim.Adam([{ params: [p[0]!] }, { params: [p[1]!], lr: 0.01, weightDecay: 0.1 }], { lr: 0.1 })],
  ['sgd_momentum', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
];
for (const [name, make] of CASES) {
  test(`trajectory matches PyTorch: ${name}`, () => {
    const ps = params();
    const opt = make(ps);
    for (let s = 1; s <= 5; s++) { opt.zeroGrad(); backward(ps); opt.step(); check(ps, name, s); }
    opt.dispose(); torch.dispose(ps);
  });
  test(`stateDict round trip after 2 steps continues identically (via safetensors-style split): ${name}`, () => {
    const ps = params();
    const opt = make(ps);
    for (let s = 1; s <= 2; s++) { opt.zeroGrad(); backward(ps); opt.step(); }
    const { tensors, meta } = optim.splitStateDict(opt.stateDict());
    const json = JSON.parse(JSON.stringify(meta)) as optim.OptimizerStateMeta;
    opt.dispose();
    const ps2 = ps.map((p) => torch.keep(p.detach().clone().requiresGrad_()));
    const opt2 = make(ps2);
    opt2.loadStateDict(optim.joinStateDict(tensors, json));
    torch.dispose([...tensors.values()]);
    for (let s = 3; s <= 5; s++) { opt2.zeroGrad(); backward(ps2); opt2.step(); check(ps2, name, s); }
    opt2.dispose(); torch.dispose(ps, ps2);
  });
}

test('stateDict uses PyTorch layout and snake_case hyperparameters', () => {
  const ps = params();
  const opt = new optim.Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.5 }], { amsgrad: true, weightDecay: 0.1 });
  backward(ps); opt.step();
  const sd = opt.stateDict();
  assert.deepEqual(sd.param_groups.map((g) => g.params), [[0], [1]]);
  assert.equal(sd.param_groups[1]!['lr'], 0.5);
  assert.equal(sd.param_groups[0]!['weight_decay'], 0.1);
  assert.deepEqual(sd.param_groups[0]!['betas'], [0.9, 0.999]);
  assert.deepEqual(Object.keys(sd.state['1']!).sort(), ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
  assert.equal(sd.state['1']!['step'], 1);
  const { tensors } = optim.splitStateDict(sd);
  assert.ok(tensors.has('state.1.exp_avg'));
  assert.deepEqual((tensors.get('state.0.exp_avg_sq') as Tensor).shape, [3, 4]);
  torch.dispose(sd.state, ps); opt.dispose();
});

test('loadStateDict rejects mismatched groups and shapes with clear errors', () => {
  const ps = params();
  const opt = new optim.Adam(ps, { lr: 0.1 });
  backward(ps); opt.step();
  const sd = opt.stateDict();
  const two = new optim.Adam([{ params: [ps[0]!] }, { params: [ps[1]!] }]);
  assert.throws(() => two.loadStateDict(sd), (e: Error) => e instanceof CheckpointError && /1 parameter groups, the optimizer has 2/.test(e.message));
  const one = new optim.Adam([ps[0]!]);
  assert.throws(() => one.loadStateDict(sd), /group 0 has 2 parameters, the optimizer's group has 1/);
  const swapped = new optim.Adam([ps[1]!, ps[0]!]);
  assert.throws(() => swapped.loadStateDict(sd), /state 0.exp_avg has shape \[3,4\], parameter 0 has \[4\]/);
  assert.equal(swapped.state.size, 0);
  assert.throws(() => optim.joinStateDict(new Map([['exp_avg', ps[0]!]]), { state: {}, param_groups: [] }), /state.<index>.<key>/);
  torch.dispose(sd.state, ps); opt.dispose();
});

test('Adam validates hyperparameters, naming the field and range', () => {
  const [p] = params() as [Tensor];
  assert.throws(() => new optim.Adam([p], { lr: -1 }), (e: Error) => e instanceof ConfigError && /Invalid learning rate: -1/.test(e.message));
  assert.throws(() => new optim.Adam([p], { eps: -1e-8 }), /Invalid epsilon value: -1e-8 \(eps must be >= 0\)/);
  assert.throws(() => new optim.Adam([p], { betas: [1, 0.999] }), /Invalid beta parameter at index 0: 1 \(betas\[0\] must be in \[0, 1\)\)/);
  assert.throws(() => new optim.AdamW([p], { betas: [0.9, -0.1] }), /Invalid beta parameter at index 1: -0.1/);
  assert.throws(() => new optim.AdamW([p], { weightDecay: -0.01 }), /Invalid weight_decay value: -0.01/);
  assert.throws(() => new optim.Adam([{ params: [p], betas: [0.9, 2] }]), /index 1: 2/);
  assert.equal(new optim.AdamW([p]).paramGroups[0]!.weightDecay, 0.01);
  torch.dispose(p);
});

test('Adam converges on the Rosenbrock function to (1, 1)', () => {
  const xy = torch.keep(torch.tensor([-1.5, 2], { dtype: 'float64' }).requiresGrad_());
  const opt = new optim.Adam([xy], { lr: 0.02 });
  for (let i = 0; i < 3000; i++) {
    opt.zeroGrad();
    torch.tidy(() => {
      const x = xy.select(0, 0); const y = xy.select(0, 1);
      torch.rsub(x, 1).square().add(y.sub(x.square()).square().mul(100)).backward();
    });
    opt.step();
  }
  const [x, y] = xy.toArray() as number[];
  assert.ok(Math.abs(x! - 1) < 1e-3 && Math.abs(y! - 1) < 2e-3, `ended at (${x}, ${y})`);
  opt.dispose(); xy.dispose();
});

test('SGD momentum converges on a quadratic to -c/(2A)', () => {
  const ps = params();
  const opt = new optim.SGD(ps, { lr: 0.05, momentum: 0.9 });
  for (let i = 0; i < 300; i++) { opt.zeroGrad(); backward(ps); opt.step(); }
  torch.tidy(() => assertClose(ps[0]!, get('c.w').div(get('A.w')).mul(-0.5), { atol: 1e-5, what: 'minimum' }));
  opt.dispose(); torch.dispose(ps);
});

test('Adam amsgrad + AdamW: live tensors constant over 200 steps', () => {
  const ps = params();
  const opts = [new optim.Adam([ps[0]!], { amsgrad: true, weightDecay: 0.1, maximize: true }), new optim.AdamW([ps[1]!])];
  backward(ps); opts.forEach((o) => o.step());
  const before = torch.liveTensors();
  for (let i = 0; i < 200; i++) {
    opts.forEach((o) => o.zeroGrad({ setToNone: i % 2 === 0 }));
    backward(ps);
    torch.tidy(() => opts.forEach((o) => o.step()));
  }
  assert.equal(torch.liveTensors(), before);
  opts.forEach((o) => o.dispose());
  assert.equal(torch.liveTensors(), before - 5);
  torch.dispose(ps);
});

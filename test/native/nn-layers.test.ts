// Layer parity with PyTorch (test/fixtures/gen_nn.py): default init after manualSeed(0), forward, and
// input/parameter gradients; BatchNorm running statistics; Dropout's mask; shape errors naming the layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, ShapeError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixture } from '../helpers.js';

const fx = fixture('nn_layers');
const get = (k: string): Tensor => {
  const t = fx.get(k);
  if (!t) throw new Error(`fixture key ${k} missing`);
  return t;
};

const LAYERS: Record<string, () => nn.Module> = {
  linear: () => new nn.Linear(4, 3),
  linear_nobias: () => new nn.Linear(4, 3, { bias: false }),
  conv: () => new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1 }),
  conv_groups: () => new nn.Conv2d(4, 6, [3, 2], { padding: 2, dilation: 2, groups: 2, bias: false }),
  bn2d: () => new nn.BatchNorm2d(3),
  bn1d: () => new nn.BatchNorm1d(3),
  layernorm: () => new nn.LayerNorm([3, 4]),
  groupnorm: () => new nn.GroupNorm(2, 4),
  relu: () => new nn.ReLU(),
  leakyrelu: () => new nn.LeakyReLU(0.2),
  gelu: () => new nn.GELU(),
  gelu_tanh: () => new nn.GELU('tanh'),
  silu: () => new nn.SiLU(),
  sigmoid: () => new nn.Sigmoid(),
  tanh: () => new nn.Tanh(),
  softplus: () => new nn.Softplus(2),
  softmax: () => new nn.Softmax(1),
  logsoftmax: () => new nn.LogSoftmax(1),
  maxpool: () => new nn.MaxPool2d(2),
  maxpool_pad: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
  avgpool: () => new nn.AvgPool2d(2),
  avgpool_pad: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
  adaptive: () => new nn.AdaptiveAvgPool2d([2, 3]),
  flatten: () => new nn.Flatten(),
  identity: () => new nn.Identity(),
  seq: () => new nn.Sequential(new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.BatchNorm2d(3), new nn.ReLU(),
    new nn.MaxPool2d(2), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(3, 2)),
};

/** Init parity, forward, and gradients of sum(y * g) for one layer case. */
function checkLayer(name: string, m: nn.AnyModule, run: (m: nn.AnyModule) => Tensor, inputs: [string, Tensor][]): void {
  const params = m.namedParameters();
  const expected = [...fx.keys()].filter((k) => k.startsWith(`${name}.p.`)).map((k) => k.slice(name.length + 3));
  assert.deepEqual(params.map((e) => e[0]).sort(), expected.sort(), `${name}: parameter names`);
  for (const [k, p] of params) assertClose(p, get(`${name}.p.${k}`), { what: `${name} init ${k}`, atol: 1e-7, rtol: 1e-6 });
  torch.tidy(() => {
    const y = run(m);
    assertClose(y, get(`${name}.y`), { what: `${name} forward` });
    y.mul(get(`${name}.g`)).sum().backward();
    for (const [k, x] of inputs) {
      assertClose(x.grad!, get(`${name}.grad.${k}`), { what: `${name} grad ${k}` });
    }
    for (const [k, p] of params) assertClose(p.grad!, get(`${name}.grad.${k}`), { what: `${name} grad ${k}` });
  });
  m.dispose();
}

for (const [name, make] of Object.entries(LAYERS)) {
  test(`nn layer parity: ${name}`, () => {
    torch.manualSeed(0);
    const m = make();
    const x = get(`${name}.x`).clone().requiresGrad_();
    checkLayer(name, m, (mm) => mm.call(x), [['x', x]]);
    x.dispose();
  });
}

test('nn layer parity: Embedding with paddingIdx (init, forward, weight grad)', () => {
  torch.manualSeed(0);
  const m = new nn.Embedding(6, 3, { paddingIdx: 0 });
  checkLayer('embedding', m, (mm) => mm.call(get('embedding.x')), []);
});

test('nn layer parity: LSTMCell and GRUCell', () => {
  torch.manualSeed(0);
  const lstm = new nn.LSTMCell(3, 4);
  const x = get('lstm.x').clone().requiresGrad_();
  const h = get('lstm.h').clone().requiresGrad_();
  const c = get('lstm.c').clone().requiresGrad_();
  checkLayer('lstm', lstm, () => torch.cat(lstm.call(x, [h, c]), 1), [['x', x], ['h', h], ['c', c]]);
  torch.manualSeed(0);
  const gru = new nn.GRUCell(3, 4);
  const x2 = get('gru.x').clone().requiresGrad_();
  const h2 = get('gru.h').clone().requiresGrad_();
  checkLayer('gru', gru, () => gru.call(x2, h2), [['x', x2], ['h', h2]]);
  torch.dispose(x, h, c, x2, h2);
});

for (const [name, momentum] of [['bnstats', 0.1], ['bnstats_cma', null]] as const) {
  test(`BatchNorm2d running stats after 2 steps (momentum ${momentum}) and eval output`, () => {
    const m = new nn.BatchNorm2d(3, { momentum });
    torch.tidy(() => {
      m.call(get(`${name}.x0`));
      m.call(get(`${name}.x1`));
    });
    assertClose(m.runningMean!, get(`${name}.running_mean`), { what: 'running_mean' });
    assertClose(m.runningVar!, get(`${name}.running_var`), { what: 'running_var' });
    assert.equal(m.numBatchesTracked!.dtype, 'int64');
    assert.equal(Number(m.numBatchesTracked!.item()), Number(get(`${name}.num_batches_tracked`).item()));
    m.eval();
    torch.tidy(() => assertClose(m.call(get(`${name}.xe`)), get(`${name}.ye`), { what: 'eval output' }));
    m.dispose();
  });
}

test('Dropout: same seed gives PyTorch mask; eval is identity', () => {
  const d = new nn.Dropout(0.4);
  torch.tidy(() => {
    const x = torch.ones([4, 5]);
    torch.manualSeed(3);
    assertClose(d.call(x), get('dropout.y'), { what: 'dropout' });
    d.eval();
    assertClose(d.call(x), x, { what: 'dropout eval' });
  });
});

test('wrong input shapes give ShapeError naming the layer and the shape', () => {
  const cases: [nn.Module, number[], RegExp][] = [
    [new nn.Linear(4, 3), [2, 5], /Linear\(in_features=4.*\[\.\.\., 4\].*\[2, 5\]/],
    [new nn.Conv2d(3, 8, 3), [1, 2, 8, 8], /Conv2d\(3, 8.*got shape \[1, 2, 8, 8\]/],
    [new nn.BatchNorm2d(3), [2, 3, 4], /BatchNorm2d\(3.*4D.*\[2, 3, 4\]/],
    [new nn.BatchNorm2d(3), [2, 4, 2, 2], /BatchNorm2d\(3.*\[2, 4, 2, 2\]/],
    [new nn.LayerNorm(4), [2, 3], /LayerNorm.*\[2, 3\]/],
    [new nn.MaxPool2d(2), [4, 4], /MaxPool2d.*\[4, 4\]/],
  ];
  for (const [m, shape, re] of cases) {
    torch.tidy(() => assert.throws(() => m.call(torch.zeros(shape)), (e: Error) => e instanceof ShapeError && re.test(e.message)));
    m.dispose();
  }
  const cell = new nn.LSTMCell(3, 4);
  torch.tidy(() => assert.throws(() => cell.call(torch.zeros([2, 3]), [torch.zeros([2, 5]), torch.zeros([2, 4])]),
    /LSTMCell.*h of shape \[2, 4\].*got shape \[2, 5\]/));
  cell.dispose();
});

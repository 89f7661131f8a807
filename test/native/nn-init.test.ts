// nn.init parity with torch.nn.init (test/fixtures/gen_nn.py): same seed, same initialisers in the same
// order give the same values; calculateGain; fan errors; initialisers do not record gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixture } from '../helpers.js';

const fx = fixture('nn_layers');
const get = (k: string): Tensor => {
  const t = fx.get(k);
  if (!t) throw new Error(`fixture key ${k} missing`);
  return t;
};
const init = nn.init;

test('initialisers match torch.nn.init after the same seed', () => {
  torch.tidy(() => {
    torch.manualSeed(0);
    const got: [string, Tensor][] = [
      ['kaiming_normal', init.kaimingNormal_(torch.empty([4, 3, 2, 2]), { mode: 'fan_out', nonlinearity: 'relu' })],
      ['kaiming_uniform', init.kaimingUniform_(torch.empty([5, 3]), { a: 0.1 })],
      ['xavier_uniform', init.xavierUniform_(torch.empty([5, 3]), init.calculateGain('tanh'))],
      ['xavier_normal', init.xavierNormal_(torch.empty([3, 2, 3]))],
      ['normal', init.normal_(torch.empty([6]), 1, 2)],
      ['uniform', init.uniform_(torch.empty([6]), -1, 3)],
    ];
    for (const [k, t] of got) assertClose(t, get(`init.${k}`), { what: k, atol: 1e-7, rtol: 1e-6 });
  });
});

test('calculateGain matches PyTorch; constant/zeros/ones; fan errors', () => {
  const gains = [init.calculateGain('linear'), init.calculateGain('conv2d'), init.calculateGain('sigmoid'),
    init.calculateGain('tanh'), init.calculateGain('relu'), init.calculateGain('leaky_relu'),
    init.calculateGain('leaky_relu', 0.2), init.calculateGain('selu')];
  assert.deepEqual(gains, [...(get('init.gains').data() as Float64Array)]);
  torch.tidy(() => {
    const p = torch.randn([2, 3], { requiresGrad: true });
    init.constant_(p, 0.25);
    assert.ok(p.isLeaf, 'initialisers run under noGrad: the parameter stays a leaf');
    assert.deepEqual(p.toArray(), [[0.25, 0.25, 0.25], [0.25, 0.25, 0.25]]);
    assert.equal(init.zeros_(p).sum().item(), 0);
    assert.equal(init.ones_(p).sum().item(), 6);
    assert.deepEqual(init.calculateFanInAndFanOut(torch.empty([8, 4, 3, 3])), [36, 72]);
    assert.throws(() => init.kaimingUniform_(torch.empty([5])), /fewer than 2 dimensions/);
  });
});

// Loss parity with PyTorch (values and input gradients, test/fixtures/gen_nn.py), module forms, shape
// errors, and float64 gradchecks of every loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, ShapeError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixture } from '../helpers.js';
import { gradcheck, leaf } from '../gradcheck.js';

const F = nn.functional;
const fx = fixture('nn_losses');
const get = (k: string): Tensor => {
  const t = fx.get(k);
  if (!t) throw new Error(`fixture key ${k} missing`);
  return t;
};
const w = get('w');
const pw = get('pw');

const CASES: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  ce: (a, b) => F.crossEntropy(a, b),
  ce_opts: (a, b) => F.crossEntropy(a, b, { weight: w, ignoreIndex: -100, labelSmoothing: 0.1 }),
  ce_sum_ignore: (a, b) => F.crossEntropy(a, b, { ignoreIndex: 0, reduction: 'sum' }),
  ce_none: (a, b) => F.crossEntropy(a, b, { reduction: 'none' }),
  ce_soft: (a, b) => F.crossEntropy(a, b),
  ce_soft_smooth: (a, b) => F.crossEntropy(a, b, { labelSmoothing: 0.2, weight: w }),
  ce_2d: (a, b) => F.crossEntropy(a, b),
  nll: (a, b) => F.nllLoss(a, b, { weight: w }),
  mse: (a, b) => F.mseLoss(a, b),
  l1: (a, b) => F.l1Loss(a, b, { reduction: 'sum' }),
  smoothl1: (a, b) => F.smoothL1Loss(a, b, { beta: 0.5 }),
  bce_logits: (a, b) => F.bceWithLogits(a, b, { posWeight: pw }),
  kl_batchmean: (a, b) => F.klDiv(a, b, { reduction: 'batchmean' }),
  kl_logtarget: (a, b) => F.klDiv(a, b, { reduction: 'sum', logTarget: true }),
};

for (const [name, fn] of Object.entries(CASES)) {
  test(`loss parity: ${name}`, () => {
    torch.tidy(() => {
      const a = get(`${name}.input`).clone().requiresGrad_();
      const y = fn(a, get(`${name}.target`));
      assertClose(y, get(`${name}.out`), { what: `${name} value` });
      y.sum().backward();
      assertClose(a.grad!, get(`${name}.grad`), { what: `${name} grad` });
      a.dispose();
    });
  });
}

test('loss modules match the functional forms (weight/pos_weight are buffers as in PyTorch)', () => {
  torch.tidy(() => {
    const ce = new nn.CrossEntropyLoss({ weight: w.clone(), labelSmoothing: 0.1 });
    assert.deepEqual([...ce.stateDict().keys()], ['weight']);
    assertClose(ce.call(get('ce_opts.input'), get('ce_opts.target')), get('ce_opts.out'), { what: 'CrossEntropyLoss' });
    const bce = new nn.BCEWithLogitsLoss({ posWeight: pw.clone() });
    assert.deepEqual([...bce.stateDict().keys()], ['pos_weight']);
    assertClose(bce.call(get('bce_logits.input'), get('bce_logits.target')), get('bce_logits.out'), { what: 'BCEWithLogitsLoss' });
    const pairs: [nn.AnyModule, string][] = [
      [new nn.MSELoss(), 'mse'], [new nn.L1Loss({ reduction: 'sum' }), 'l1'], [new nn.SmoothL1Loss({ beta: 0.5 }), 'smoothl1'],
      [new nn.NLLLoss({ weight: w.clone() }), 'nll'], [new nn.KLDivLoss({ reduction: 'batchmean' }), 'kl_batchmean'],
    ];
    for (const [m, k] of pairs) {
      assertClose(m.call(get(`${k}.input`), get(`${k}.target`)), get(`${k}.out`), { what: m.constructor.name });
      m.dispose();
    }
    ce.dispose();
    bce.dispose();
  });
});

test('crossEntropy and bceWithLogits shape errors name both shapes', () => {
  torch.tidy(() => {
    assert.throws(() => F.crossEntropy(torch.zeros([4, 5]), torch.zeros([3], { dtype: 'int64' })),
      (e: Error) => e instanceof ShapeError && /\[4,5\].*\[3\]/.test(e.message));
    assert.throws(() => F.crossEntropy(torch.zeros([4, 5]), torch.zeros([4, 4])), ShapeError);
    assert.throws(() => F.bceWithLogits(torch.zeros([2, 3]), torch.zeros([3, 2])), ShapeError);
  });
});

test('gradcheck (float64): every loss', () => {
  torch.manualSeed(11);
  torch.tidy(() => {
    const idx = torch.tensor([1, 0, 3]);
    const soft = torch.softmax(torch.randn([3, 4], { dtype: 'float64' }), 1);
    const wd = torch.rand([4], { dtype: 'float64' }).add(0.5);
    const t = torch.randn([3, 4], { dtype: 'float64' });
    const bt = torch.randint(0, 2, [3, 4]).double();
    const prob = torch.softmax(torch.randn([3, 4], { dtype: 'float64' }), 1);
    const checks: [string, (x: Tensor) => Tensor][] = [
      ['crossEntropy', (x) => F.crossEntropy(x, idx, { weight: wd, labelSmoothing: 0.1 })],
      ['crossEntropy soft', (x) => F.crossEntropy(x, soft, { labelSmoothing: 0.2 })],
      ['nllLoss', (x) => F.nllLoss(x, idx, { weight: wd })],
      ['mseLoss', (x) => F.mseLoss(x, t)],
      ['l1Loss', (x) => F.l1Loss(x, t)],
      ['smoothL1Loss', (x) => F.smoothL1Loss(x, t, { beta: 0.5 })],
      ['huberLoss', (x) => F.huberLoss(x, t, { delta: 0.7 })],
      ['bceWithLogits', (x) => F.bceWithLogits(x, bt, { posWeight: wd })],
      ['binaryCrossEntropy', (x) => F.binaryCrossEntropy(torch.sigmoid(x), bt)],
      ['klDiv', (x) => F.klDiv(torch.logSoftmax(x, 1), prob, { reduction: 'batchmean' })],
      ['klDiv logTarget', (x) => F.klDiv(torch.logSoftmax(x, 1), prob.log(), { logTarget: true })],
    ];
    for (const [what, f] of checks) gradcheck(f, [leaf([3, 4])], { what });
  });
});

// Mixed precision: autocast's state and scoping, parity with PyTorch's torch.autocast('cpu', bfloat16) on a small
// conv net (test/fixtures/gen_amp.py: logits, loss, float32 gradients, running statistics), and GradScaler's
// dynamic loss scaling against hand-computed cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, optim } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixture } from '../helpers.js';

const fx = fixture('amp_cpu');
const get = (k: string): Tensor => { const t = fx.get(k); if (!t) throw new Error(`fixture key ${k} missing`); return t; };

function net(): nn.Sequential {
  const m = new nn.Sequential(new nn.Conv2d(2, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(),
    new nn.Conv2d(8, 4, 3, { stride: 2 }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(36, 5));
  torch.noGrad(() => {
    for (const [k, p] of m.namedParameters()) p.copy_(get(`p.${k}`));
    for (const [k, b] of m.namedBuffers()) b.copy_(get(`b.${k}`));
  });
  return m;
}

test('autocast: on inside, restored after (also after a throw); nested regions; lower-precision ops only', () => {
  assert.deepEqual(torch.amp.autocastState('cpu'), { enabled: false, dtype: 'bfloat16' });
  const lin = new nn.Linear(4, 3);
  torch.tidy(() => {
    const x = torch.randn([2, 4]);
    const [y, inner, sum] = torch.autocast('cpu', () => {
      assert.equal(torch.amp.autocastState('cpu').enabled, true);
      const off = torch.autocast('cpu', () => lin.call(x), { enabled: false });
      assert.equal(torch.amp.autocastState('cpu').enabled, true, 'leaving a nested region restores the outer one');
      return [lin.call(x), off, x.sum()];
    });
    assert.equal(y.dtype, 'bfloat16', 'linear runs in bfloat16');
    assert.equal(inner.dtype, 'float32', 'enabled: false inside an autocast region');
    assert.equal(sum.dtype, 'float32', 'sum is not on the lower-precision list');
    assert.equal(lin.call(x).dtype, 'float32');
    assert.throws(() => torch.autocast('cpu', () => { throw new Error('boom'); }), /boom/);
    assert.equal(torch.amp.autocastState('cpu').enabled, false);
    assert.throws(() => torch.autocast('cpu', () => 1, { dtype: 'float16' }), /on cpu the dtype must be bfloat16/);
    assert.throws(() => torch.autocast('tpu' as 'cpu', () => 1), /device must be 'cpu' or 'cuda'/);
    assert.throws(() => torch.autocast('cpu', (async () => 1) as unknown as () => number), /must be synchronous/);
    assert.equal(torch.amp.autocastState('cpu').enabled, false);
  });
  lin.dispose();
});

test("parity with PyTorch's autocast('cpu', bfloat16): logits, loss, float32 gradients, running statistics", () => {
  const m = net().train();
  torch.tidy(() => {
    const logits = torch.autocast('cpu', () => m.call(get('x')));
    assert.equal(logits.dtype, 'bfloat16');
    assertClose(logits.float(), get('out').float(), { atol: 0, rtol: 8e-3, what: 'logits (bfloat16, within one ulp; measured equal)' });
    const loss = torch.crossEntropy(logits.float(), get('y'));
    assertClose(loss.reshape([1]), get('loss'), { atol: 1e-4, rtol: 1e-4, what: 'loss' });
    loss.backward();
    for (const [k, p] of m.namedParameters()) {
      assert.equal(p.grad!.dtype, 'float32', `${k}: gradient dtype`);
      assertClose(p.grad!, get(`grad.${k}`), { atol: 1e-5, rtol: 1e-4, what: `grad ${k}` });
    }
    for (const [k, b] of m.namedBuffers()) if (b.dtype === 'float32') assertClose(b, get(`r.${k}`), { atol: 1e-3, rtol: 1e-2, what: `running ${k}` });
  });
  m.dispose();
});

test('GradScaler: scales the loss, unscales once, skips and backs off on inf, grows after the interval', () => {
  const w = torch.tensor([1, 2], { dtype: 'float32' }).requiresGrad_();
  const opt = new optim.SGD([w], { lr: 0.5 });
  const s = new torch.amp.GradScaler({ initScale: 8, growthInterval: 2 });
  const stepWith = (g: number[]): boolean => torch.tidy(() => {
    opt.zeroGrad();
    s.scaleLoss(w.mul(torch.tensor(g, { dtype: 'float32' })).sum()).backward();
    return s.step(opt);
  });
  assert.equal(stepWith([1, -2]), true);
  s.unscale_(opt); // a second unscale in the same step is a no-op
  assert.deepEqual(Array.from(w.grad!.data() as Float32Array), [1, -2], 'gradients unscaled once (8 / 8)');
  assert.deepEqual(Array.from(w.data() as Float32Array), [0.5, 3]);
  s.update();
  assert.equal(s.scale, 8);
  assert.equal(stepWith([Infinity, 1]), false, 'an inf gradient skips the step');
  assert.equal(s.foundInf, true);
  assert.deepEqual(Array.from(w.data() as Float32Array), [0.5, 3], 'weights unchanged by the skipped step');
  s.update();
  assert.equal(s.scale, 4, 'backoff halves the scale');
  stepWith([1, 1]); s.update();
  assert.equal(s.scale, 4);
  stepWith([1, 1]); s.update();
  assert.equal(s.scale, 8, 'two finite steps in a row double it');
  assert.deepEqual(s.stateDict(), { scale: 8, growthTracker: 0 });
  const off = new torch.amp.GradScaler({ enabled: false });
  torch.tidy(() => { const l = w.sum(); assert.equal(off.scaleLoss(l), l); });
  assert.throws(() => new torch.amp.GradScaler({ backoffFactor: 1 }), /backoffFactor must be in \(0, 1\)/);
  assert.throws(() => s.loadStateDict({ scale: -1, growthTracker: 0 }), /bad state/);
  opt.dispose();
  w.dispose();
});

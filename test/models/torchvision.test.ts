// ResNets vs torchvision (test/fixtures/gen_models.py): state-dict names, order, shapes and dtypes of
// resnet18/resnet50, parameter and buffer lists, seeded init parity (per-tensor sums), and loading a
// torchvision resnet18 state dict (deterministic formula weights) gives torchvision's eval outputs and taps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch, nn, io, CheckpointError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { assertClose, FIXTURES } from '../helpers.js';

interface Desc { state_dict: [string, number[], string][]; parameters: string[]; buffers: string[] }
const fx = JSON.parse(readFileSync(join(FIXTURES, 'models_torchvision.json'), 'utf8')) as
  { resnet18: Desc; resnet50: Desc; resnet18_init_seed0: Record<string, [number, number]> };
const st = io.loadSafetensors(join(FIXTURES, 'models_resnet18.safetensors')).tensors;

for (const name of ['resnet18', 'resnet50'] as const) {
  test(`${name}: state-dict keys, order, shapes and dtypes equal torchvision's`, () => {
    const m = createModel(name);
    const sd = m.stateDict();
    const ref = fx[name].state_dict;
    assert.deepEqual([...sd.keys()], ref.map((e) => e[0]));
    for (const [k, shape, dtype] of ref) {
      assert.deepEqual(sd.get(k)!.shape, shape, `${k} shape`);
      assert.equal(sd.get(k)!.dtype, dtype, `${k} dtype`);
    }
    assert.deepEqual(m.namedParameters().map((e) => e[0]), fx[name].parameters);
    assert.deepEqual(m.namedBuffers().map((e) => e[0]), fx[name].buffers);
    assert.equal(m.featureDim, name === 'resnet18' ? 512 : 2048);
    m.dispose();
  });
}

test('resnet18 init after manualSeed(0) equals torchvision (per-tensor sum and sum of squares)', () => {
  torch.manualSeed(0);
  const m = createModel('resnet18');
  for (const [k, t] of m.stateDict()) {
    const [s, ss] = fx.resnet18_init_seed0[k]!;
    const [a, b] = torch.tidy(() => {
      const d = t.to('float64');
      return [Number(d.sum().item()), Number(d.square().sum().item())];
    });
    const tol = (v: number): number => 1e-4 * Math.max(1, Math.abs(v));
    assert.ok(Math.abs(a - s) <= tol(s), `${k}: sum ${a} != torchvision ${s}`);
    assert.ok(Math.abs(b - ss) <= tol(ss), `${k}: sum of squares ${b} != torchvision ${ss}`);
  }
  m.dispose();
});

test('zeroInitResidual zeroes the last BN weight of every block (bn2 basic, bn3 bottleneck), nothing else', () => {
  const a = createModel('resnet18', { zeroInitResidual: true });
  const zeroed = [...a.stateDict()].filter(([, t]) => t.dtype === 'float32' && torch.tidy(() => t.abs().sum().item()) === 0)
    .map(([k]) => k).filter((k) => k.endsWith('.weight'));
  assert.deepEqual(zeroed, ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1']
    .map((b) => `${b}.bn2.weight`));
  a.dispose();
  const b = createModel('resnet50', { zeroInitResidual: true, numClasses: 2 });
  assert.equal(torch.tidy(() => (b.getSubmodule('layer3.5.bn3') as nn.BatchNorm2d).weight!.abs().sum().item()), 0);
  assert.equal(torch.tidy(() => (b.getSubmodule('layer3.5.bn2') as nn.BatchNorm2d).weight!.sum().item()), 256);
  b.dispose();
});

/** The state dict gen_models.py wrote into torchvision's resnet18(num_classes=10), by the same formula. */
function formulaStateDict(): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  fx.resnet18.state_dict.forEach(([k0, shape0, dtype], i) => {
    const k = k0;
    const shape = k === 'fc.weight' ? [10, 512] : k === 'fc.bias' ? [10] : shape0;
    if (dtype !== 'float32') { out.set(k, torch.zeros(shape, { dtype: 'int64' })); return; }
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(k, torch.tidy(() => {
      const s = torch.arange(0, n, 1, { dtype: 'float64' }).mul(0.7).add(i).sin();
      let v: Tensor;
      if (k.endsWith('running_var')) v = s.mul(s).mul(0.5).add(1);
      else if (k.endsWith('running_mean') || k.endsWith('bias')) v = s.mul(0.1);
      else if (shape.length === 1) v = s.mul(0.2).add(1);
      else v = s.mul(Math.sqrt(2.0 / (n / shape[0]!)));
      return v.reshape(shape).to('float32');
    }));
  });
  return out;
}

test('loading a torchvision resnet18 state dict gives torchvision eval logits and taps; strict errors', () => {
  const m = createModel('resnet18', { numClasses: 10 });
  const sd = formulaStateDict();
  assert.deepEqual(m.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
  m.eval();
  torch.tidy(() => {
    const f = m.forwardFeatures(st.get('x')!, ['layer2', 'pool', 'logits']);
    assertClose(f.get('logits')!, st.get('logits')!, { what: 'logits', atol: 1e-4, rtol: 1e-4 });
    assertClose(f.get('layer2')!, st.get('layer2')!, { what: 'layer2', atol: 1e-4, rtol: 1e-4 });
    assertClose(f.get('pool')!, st.get('pool')!, { what: 'pool', atol: 1e-4, rtol: 1e-4 });
    assertClose(m.call(st.get('x')!), st.get('logits')!, { what: 'forward', atol: 1e-4, rtol: 1e-4 });
  });
  // a torchvision key renamed is reported by name
  const bad = new Map(sd);
  bad.set('layer1.0.downsample.0.weight', bad.get('layer1.0.conv1.weight')!);
  assert.throws(() => m.loadStateDict(bad), (e: unknown) => e instanceof CheckpointError && /layer1\.0\.downsample\.0\.weight/.test(String(e)));
  m.dispose();
  for (const t of sd.values()) t.dispose();
});

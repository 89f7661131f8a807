/** TRADES inside the adversarial task against hand computations: the attack's steps and p_clean's BatchNorm mode (split from mutants-adversarial.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import { Linear } from '../../src/core/nn/layers/linear.js';
import { createAdversarialTask } from '../../src/methods/adversarial/index.js';

const near = (got: number, want: number, tol: number, what: string): void => assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want}`);

test("TRADES' attack ascends KL(p_clean || p_adv) with p_clean the softmax over classes: each PGD step moves by eps/4 sign(W^T (p_adv - p_clean))", () => {
  torch.manualSeed(9);
  const W = [[1.5, -2, 0.5, 1], [-1, 1, 2, -0.5], [0.3, 0.7, -1.2, 2]];
  const model = new Linear(4, 3);
  torch.noGrad(() => { model.weight.copy_(torch.tensor(W)); model.bias!.zero_(); });
  const inputs: number[][][] = [];
  model.registerForwardPreHook((_m, input) => {
    const flat = Array.from(torch.tidy(() => input[0].detach().contiguous().data() as Float32Array));
    inputs.push(Array.from({ length: flat.length / 4 }, (_, i) => flat.slice(4 * i, 4 * i + 4)));
  });
  const task = createAdversarialTask(model, { loss: 'trades', init: 'finetune', eps: 0.3, steps: 3, schedule: { name: 'constant' } });
  // inside [0.3, 0.7]: 3 steps of 0.075 plus the 0.001-scale start never reach the eps ball's faces or [0, 1]
  const xs = [[0.4, 0.6, 0.5, 0.45], [0.55, 0.35, 0.65, 0.5], [0.3, 0.7, 0.6, 0.4]];
  const out = task.loss({ x: torch.tensor(xs), y: torch.tensor([0, 2, 1], { dtype: 'int64' }) });
  // forwards: p_clean, the 3 PGD iterates, then the clean and adversarial batches of the loss
  assert.equal(inputs.length, 6);
  const softmax = (v: number[]): number[] => { const z = W.map((w) => w.reduce((s, wi, i) => s + wi * v[i]!, 0)); const m = Math.max(...z); const e = z.map((zi) => Math.exp(zi - m)); const s = e.reduce((a, b) => a + b, 0); return e.map((ei) => ei / s); };
  let checked = 0;
  for (let k = 1; k <= 3; k++) {
    const next = k < 3 ? inputs[k + 1]! : inputs[5]!;
    inputs[k]!.forEach((cur, i) => {
      const pc = softmax(xs[i]!);
      const pa = softmax(cur);
      const g = [0, 1, 2, 3].map((j) => W.reduce((s, w, c) => s + w[j]! * (pa[c]! - pc[c]!), 0)); // d KL / d x
      g.forEach((gj, j) => {
        if (Math.abs(gj) < 1e-5) return; // sign not resolved in float32
        checked++;
        near(next[i]![j]! - cur[j]!, 0.075 * Math.sign(gj), 1e-4, `step ${k}, example ${i}, coordinate ${j} (gradient ${gj.toExponential(2)})`);
      });
    });
  }
  assert.ok(checked >= 24, `${checked} of 36 step coordinates checked`);
  torch.dispose([out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
  model.dispose();
});

test("TRADES with bnMode 'eval' computes p_clean in eval mode: a training model's BatchNorm counts only the loss's two forwards", async () => {
  const { tinyResNet } = await import('../methods/finetune-fixtures.js');
  for (const [bnMode, want] of [['eval', 2], ['train', 5]] as const) { // train: p_clean, the 2 PGD iterates, then the clean and adversarial batches
    const model = tinyResNet(3);
    model.train();
    const nbt = (): number[] => [...model.stateDict()].filter(([k]) => k.endsWith('num_batches_tracked')).map(([, t]) => Number(t.item()));
    assert.ok(nbt().length > 0 && nbt().every((v) => v === 0), 'a model with BatchNorm, nothing tracked yet');
    const task = createAdversarialTask(model, { loss: 'trades', init: 'finetune', eps: 0.1, steps: 2, bnMode, schedule: { name: 'constant' } });
    const gen = new torch.Generator(1);
    const x = torch.rand([4, 1, 8, 8], { generator: gen });
    const out = task.loss({ x, y: torch.tensor([0, 1, 2, 0], { dtype: 'int64' }) });
    assert.ok(nbt().every((v) => v === want), `bnMode ${bnMode}: num_batches_tracked ${nbt()} (want ${want})`);
    assert.ok(model.training, 'the model is left in train mode');
    torch.dispose([x, out.loss, ...Object.values(out.parts!).filter((v): v is torch.Tensor => typeof v !== 'number')]);
    model.dispose();
  }
});

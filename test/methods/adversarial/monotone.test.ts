/** On a naturally trained tiny CNN, the PGD loss does not fall as the steps or the radius grow (the property the gradient-masking check relies on). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/core/torch.js';
import { SGD } from '../../../src/core/optim/sgd.js';
import { crossEntropy } from '../../../src/core/nn/losses.js';
import { pgd, ceObjective } from '../../../src/methods/adversarial/attacks.js';
import { loaderOf, makeSet, tinyCnn } from '../finetune-fixtures.js';

test('PGD mean loss is non-decreasing in the steps (fixed alpha, no random start) and in eps', () => {
  const b = loaderOf(makeSet(64, 3), 64, false).batchAt(0, 0);
  const model = tinyCnn(11);
  const opt = new SGD(model.parameters(), { lr: 0.02, momentum: 0.9 });
  for (let s = 0; s < 20; s++) torch.tidy(() => { crossEntropy(model.call(b.x), b.y.to('int64')).backward(); opt.step(); opt.zeroGrad(); });
  model.eval();
  const y = b.y.to('int64');
  const loss = (eps: number, steps: number): number => torch.tidy(() => Number(torch.noGrad(() => ceObjective(model.call(pgd(model, b.x, y, { eps, steps, stepSize: 0.01, randomStart: false })), y)).mean().item()));
  const clean = torch.tidy(() => Number(torch.noGrad(() => ceObjective(model.call(b.x), y)).mean().item()));
  const bySteps = [1, 2, 4, 8, 16].map((k) => loss(0.08, k));
  const byEps = [0.02, 0.04, 0.08, 0.16].map((e) => loss(e, 16));
  assert.ok(bySteps[0]! > clean, `PGD-1 ${bySteps[0]} <= clean ${clean}`);
  for (let i = 1; i < bySteps.length; i++) assert.ok(bySteps[i]! >= bySteps[i - 1]! - 1e-6, `steps: ${bySteps.join(', ')}`);
  for (let i = 1; i < byEps.length; i++) assert.ok(byEps[i]! >= byEps[i - 1]! - 1e-6, `eps: ${byEps.join(', ')}`);
  assert.ok(bySteps[4]! > bySteps[0]! + 1e-3, 'more steps find a higher loss');
  torch.dispose(b, y);
  opt.dispose?.();
  model.dispose();
});

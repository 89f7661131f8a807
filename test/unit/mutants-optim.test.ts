/** Optimizer options PyTorch's fixtures do not exercise: SGD needs lr, Adam's betas must be a pair, LinearLR starts at 1/3 by default (PyTorch's default). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import { SGD } from '../../src/core/optim/sgd.js';
import { Adam } from '../../src/core/optim/adam.js';
import { LinearLR } from '../../src/core/optim/lr_scheduler.js';

test('SGD without lr and Adam with betas that are not a pair are refused; LinearLR defaults to factors 1/3 -> 1 over 5 steps', () => {
  const w = torch.zeros([2]).requiresGrad_();
  assert.throws(() => new SGD([w], {} as never), /SGD: lr is required/);
  for (const betas of [[0.9], [0.9, 0.99, 0.5], 0.9]) assert.throws(() => new Adam([w], { lr: 0.1, betas } as never), /betas/, JSON.stringify(betas));
  const opt = new SGD([w], { lr: 0.3 });
  const s = new LinearLR(opt);
  const lrs = [s.getLastLr()[0]!];
  for (let i = 0; i < 6; i++) { opt.step(); s.step(); lrs.push(s.getLastLr()[0]!); }
  // PyTorch: start_factor 1/3, end_factor 1, total_iters 5 -> lr 0.1, then +0.04 per step up to 0.3
  [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3].forEach((want, i) => assert.ok(Math.abs(lrs[i]! - want) < 1e-9, `step ${i}: ${lrs[i]} vs ${want}`));
  w.dispose();
});

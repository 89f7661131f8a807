/** The adversarial run's cost records and gradient-masking flags at their edges: fast tests for the adversarial-run mutation area. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskingFlags, pretrainCost } from '../../src/methods/adversarial/index.js';

test('pretrainCost: 2 x steps x batch size example passes from a sidecar; null without positive steps and batch size', () => {
  assert.deepEqual(pretrainCost({ steps: 10, batchSize: 8 }, 1.5), { steps: 10, batchSize: 8, examplePasses: 160, elapsedSec: 1.5 });
  assert.deepEqual(pretrainCost({ steps: 1, batchSize: 1 }, null), { steps: 1, batchSize: 1, examplePasses: 2, elapsedSec: null });
  for (const t of [undefined, {}, { steps: 0, batchSize: 8 }, { steps: 10, batchSize: 0 }, { steps: 'x', batchSize: 8 }, { steps: -1, batchSize: 8 }]) assert.equal(pretrainCost(t as never, 1), null, JSON.stringify(t));
});

test('maskingFlags: a rise of exactly the tolerance is allowed, anything more is flagged (PGD steps, eps sweep, FGSM vs clean)', () => {
  const tol = 0.25;
  const eps = 1e-12 + tol; // the function's allowance, computed the same way
  const base = { clean: 0.9, fgsm: 0.3, pgd: [{ steps: 1, accuracy: 0.2 }, { steps: 3, accuracy: 0.2 + eps }], epsSweep: [{ eps: 0.1, accuracy: 0.2 }, { eps: 0.3, accuracy: 0.2 + eps }] };
  assert.deepEqual(maskingFlags(base as never, tol), []);
  const more = { ...base, pgd: [base.pgd[0]!, { steps: 3, accuracy: 0.2 + eps + 1e-9 }], epsSweep: [base.epsSweep[0]!, { eps: 0.3, accuracy: 0.2 + eps + 1e-9 }] };
  const f = maskingFlags(more as never, tol);
  assert.ok(f.some((s) => s.startsWith('accuracy rises with PGD steps: PGD-1')), JSON.stringify(f));
  assert.ok(f.some((s) => s.startsWith('accuracy rises with eps: eps 0.1')), JSON.stringify(f));
  assert.deepEqual(maskingFlags({ clean: 0.5, fgsm: 0.5, pgd: [{ steps: 1, accuracy: 0.5 }], epsSweep: [] } as never), [], 'equal accuracies: no flag at tolerance 0');
});

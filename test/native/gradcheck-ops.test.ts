/**
 * Float64 finite-difference gradient checks (test/gradcheck.ts), one per differentiable
 * op of the core op tables (cases in ops-gradcases.ts; linear algebra in
 * ops-gradcheck-linalg.test.ts). Complex ops are checked through real-valued
 * functions of complex tensors built from float64 parts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { gradcheck } from '../gradcheck.js';
import { ROOT } from '../helpers.js';
import { INDEX, LINALG, POINTWISE, REDUCE, SHAPE, SKIPPED, inputs, runGradcheck } from './ops-gradcases.js';

runGradcheck('pointwise', POINTWISE);
runGradcheck('reduce', REDUCE);
runGradcheck('shape', SHAPE);
runGradcheck('index', INDEX);

test('gradcheck covers every differentiable op of the core tables (or says why not)', async () => {
  const required: string[] = [];
  for (const table of ['pointwise', 'reduce', 'shape', 'index', 'linalg', 'complex', 'creation']) {
    const rows: [string, string, string][] = (await import(pathToFileURL(join(ROOT, 'native/gen/ops', `${table}.mjs`)).href)).default;
    for (const [name, , ret] of rows) {
      if (name.endsWith('_') || ['self', 'b', 'i', 'f'].includes(ret)) continue;
      if (table === 'creation' && name !== 'complex' && name !== 'polar') continue;
      required.push(name);
    }
  }
  const covered = new Set([...Object.keys({ ...POINTWISE, ...REDUCE, ...SHAPE, ...INDEX, ...LINALG }), ...Object.keys(SKIPPED)]);
  const missing = required.filter((n) => !covered.has(n));
  assert.deepEqual(missing, [], `ops with neither a gradcheck case nor a reason: ${missing.join(', ')}`);
});

test('gradcheck itself fails on a wrong gradient', () => {
  torch.tidy(() => {
    const wrong = (x: Tensor) => torch.add(x.detach().mul(x.detach()), x.sub(x.detach())); // value x^2, gradient 1
    assert.throws(() => gradcheck(wrong, inputs({ f: wrong, shapes: [[3]] }, 1)), /autograd .* vs finite difference/);
  });
});

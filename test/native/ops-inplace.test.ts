/**
 * In-place ops (name ending in `_`): each returns its receiver, writes into the
 * receiver's storage, and gives what the out-of-place op gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { ROOT } from '../helpers.js';
import { assertSame } from './ops-harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Pair = [(x: Tensor) => Tensor, (x: Tensor) => Tensor];
const T = torch as any;
const unary = (n: string): Pair => [(x) => T[`${n}_`](x), (x) => T[n](x)];
const y = () => torch.tensor([[0.5, 2, -1.5], [1, 3, 0.25]]);
const m = () => torch.tensor([[true, false, true], [false, false, true]]);
const idx = () => torch.tensor([[0, 1, 1], [1, 0, 0]]);
const CASES: Record<string, Pair> = {
  ...Object.fromEntries(['abs', 'neg', 'exp', 'sigmoid', 'relu', 'tanh', 'floor', 'ceil', 'round', 'sign', 'reciprocal',
    'square', 'sin', 'cos'].map((n) => [`${n}_`, unary(n)])),
  log_: [(x) => x.abs().log_(), (x) => x.abs().log()],
  sqrt_: [(x) => x.abs().sqrt_(), (x) => x.abs().sqrt()],
  ...Object.fromEntries(['mul', 'div', 'remainder', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'].map((n) =>
    [`${n}_`, [(x: Tensor) => T[`${n}_`](x, y()), (x: Tensor) => T[n](x, y()).to(x.dtype)] as Pair])),
  pow_: [(x) => x.abs().pow_(y()), (x) => x.abs().pow(y())],
  add_: [(x) => x.add_(y(), 2), (x) => x.add(y(), 2)],
  sub_: [(x) => x.sub_(1.5), (x) => x.sub(1.5)],
  addcmul_: [(x) => x.addcmul_(y(), y(), 0.5), (x) => x.addcmul(y(), y(), 0.5)],
  addcdiv_: [(x) => x.addcdiv_(y(), y().add(5), 2), (x) => x.addcdiv(y(), y().add(5), 2)],
  lerp_: [(x) => x.lerp_(y(), 0.25), (x) => x.lerp(y(), 0.25)],
  clamp_: [(x) => x.clamp_(-0.5, 0.5), (x) => x.clamp(-0.5, 0.5)],
  fill_: [(x) => x.fill_(2.5), (x) => torch.fullLike(x, 2.5)],
  zero_: [(x) => x.zero_(), (x) => torch.zerosLike(x)],
  copy_: [(x) => x.copy_(y()), () => y()],
  maskedFill_: [(x) => x.maskedFill_(m(), -7), (x) => x.maskedFill(m(), -7)],
  scatter_: [(x) => x.scatter_(0, idx(), 9), (x) => x.scatter(0, idx(), 9)],
  detach_: [(x) => x.detach_(), (x) => x.detach()],
};

test('in-place ops: the cases cover every in-place op of the core tables but the random ones', async () => {
  const names: string[] = [];
  for (const table of ['pointwise', 'shape', 'index', 'reduce', 'linalg', 'complex']) {
    const rows: [string][] = (await import(pathToFileURL(join(ROOT, 'native/gen/ops', `${table}.mjs`)).href)).default;
    names.push(...rows.map((r) => r[0]).filter((n) => n.endsWith('_')));
  }
  assert.deepEqual(names.sort(), Object.keys(CASES).sort());
});

for (const [name, [inplace, outOfPlace]] of Object.entries(CASES)) {
  test(`${name} returns its receiver, writes in place, equals the out-of-place op`, () => {
    torch.tidy(() => {
      const x = torch.tensor([[0.3, -1.2, 2.7], [-0.6, 1.5, -2.2]]);
      const expected = outOfPlace(x.clone());
      const target = x.clone();
      const alias = target.view([6]);
      const r = inplace(target);
      if (name !== 'log_' && name !== 'sqrt_' && name !== 'pow_') {
        assert.equal(r, target, 'returns the receiver');
        assert.ok(torch.equal(alias.view([2, 3]), target), 'a view of the receiver sees the write');
      }
      assertSame(r, expected, { what: name });
    });
  });
}

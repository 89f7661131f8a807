import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/data/index.js';
import { ConfigError } from '../../src/index.js';

test('xoshiro128** matches the reference sequence for state {1, 2, 3, 4}', () => {
  const r = new Rng(0).setState([1, 2, 3, 4]);
  assert.deepEqual([r.u32(), r.u32(), r.u32(), r.u32()], [11520, 0, 5927040, 70819200]);
});

test('same seed and keys give the same stream; different keys differ', () => {
  const a = Rng.derive(7, 'shuffle', 3);
  const b = Rng.derive(7, 'shuffle', 3);
  const c = Rng.derive(7, 'shuffle', 4);
  const xa = Array.from({ length: 8 }, () => a.u32());
  assert.deepEqual(xa, Array.from({ length: 8 }, () => b.u32()));
  assert.notDeepEqual(xa, Array.from({ length: 8 }, () => c.u32()));
  assert.notDeepEqual(new Rng(1).permutation(20), new Rng(2).permutation(20));
});

test('int is in range and roughly uniform; float in [0, 1)', () => {
  const r = new Rng(42);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 5000; i++) { const v = r.int(5); assert.ok(v >= 0 && v < 5); counts[v]++; }
  for (const c of counts) assert.ok(c > 900 && c < 1100, `count ${c}`);
  for (let i = 0; i < 1000; i++) { const f = r.float(); assert.ok(f >= 0 && f < 1); }
  assert.throws(() => r.int(0), RangeError);
});

test('permutation is a permutation; state round-trips', () => {
  const r = new Rng(5);
  const p = r.permutation(100);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  const s = r.getState();
  const next = [r.u32(), r.u32()];
  assert.deepEqual([r.setState(s).u32(), r.u32()], next);
  assert.throws(() => r.setState([0, 0, 0, 0]), ConfigError);
});

test('beta, gamma and dirichlet have the right means', () => {
  const r = new Rng(9);
  let sb = 0; let sg = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) { sb += r.beta(2, 6); sg += r.gamma(0.5); }
  assert.ok(Math.abs(sb / n - 0.25) < 0.02, `beta mean ${sb / n}`);
  assert.ok(Math.abs(sg / n - 0.5) < 0.05, `gamma mean ${sg / n}`);
  const d = r.dirichlet(1, 4);
  assert.equal(d.length, 4);
  assert.ok(Math.abs(d.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

/** Invariants of the label budget and the stratified split (fast-check over random label vectors, budgets, fractions and seeds). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { labelBudget, stratifiedSplit } from '../../src/data/splits.js';

/** Random labels over k classes where every class occurs at least `min` times. */
const labelsArb = (min: number) => fc.integer({ min: 1, max: 6 }).chain((k) =>
  fc.tuple(fc.constant(k), fc.array(fc.integer({ min: 0, max: k - 1 }), { maxLength: 60 }))
    .map(([kk, extra]) => {
      const l = [...Array.from({ length: kk * min }, (_, i) => i % kk), ...extra];
      // a fixed shuffle so classes interleave
      return l.map((v, i) => [((i * 7919) % 101), v] as const).sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    }).map((labels) => ({ k, labels })));

const count = (labels: number[], idx: number[], c: number): number => idx.filter((i) => labels[i] === c).length;
const isPartition = (n: number, a: number[], b: number[]): boolean => {
  const all = [...a, ...b].sort((x, y) => x - y);
  return all.length === n && all.every((v, i) => v === i);
};

test('labelBudget: exactly perClass of each class, labelled + unlabelled partition the set, sorted, deterministic per seed', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }).chain((per) => fc.tuple(fc.constant(per), labelsArb(per))), fc.integer({ min: 0, max: 2 ** 31 - 1 }), ([per, { k, labels }], seed) => {
    const b = labelBudget(labels, { perClass: per, seed, numClasses: k });
    for (let c = 0; c < k; c++) assert.equal(count(labels, b.labelled, c), per, `class ${c}`);
    assert.ok(isPartition(labels.length, b.labelled, b.unlabelled), 'a partition');
    assert.deepEqual(b.labelled, [...b.labelled].sort((x, y) => x - y));
    assert.deepEqual(labelBudget(labels, { perClass: per, seed, numClasses: k }).labelled, b.labelled, 'same seed, same pick');
  }), { numRuns: 200, seed: 23 });
});

test('labelBudget: a class with fewer than perClass examples is a DataError naming it', () => {
  fc.assert(fc.property(labelsArb(1), ({ k, labels }) => {
    const counts = Array.from({ length: k }, (_, c) => labels.filter((l) => l === c).length);
    const per = Math.min(...counts) + 1;
    const c = counts.indexOf(per - 1);
    assert.throws(() => labelBudget(labels, { perClass: per, seed: 1, numClasses: k }), new RegExp(`class ${c} has ${per - 1} examples, fewer than perClass=${per}`));
  }), { numRuns: 100, seed: 23 });
});

test('stratifiedSplit: round(f n_c) of each class to val, train + val partition the set, deterministic per seed', () => {
  fc.assert(fc.property(labelsArb(1), fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), ({ k, labels }, f, seed) => {
    const s = stratifiedSplit(labels, { valFraction: f, seed, numClasses: k });
    for (let c = 0; c < k; c++) {
      const n = labels.filter((l) => l === c).length;
      assert.equal(count(labels, s.val, c), Math.round(f * n), `class ${c}: ${n} examples, fraction ${f}`);
    }
    assert.ok(isPartition(labels.length, s.train, s.val));
    assert.deepEqual(stratifiedSplit(labels, { valFraction: f, seed, numClasses: k }).val, s.val);
  }), { numRuns: 200, seed: 23 });
});

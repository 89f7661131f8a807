/** Metrics: ROC/AUROC with ties against hand math and a brute-force pair count, TPR at FPR, 8-connected components, PRO on hand-computed cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc, aurocByType, labelComponents, proScore, rocAuc, rocCurve, tprAtFpr, trapezoid } from '../../../src/methods/anomaly/index.js';

const close = (a: number, b: number, what: string, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** P(s+ > s-) + P(s+ = s-) / 2 over all pairs (the definition, O(n^2)). */
function pairAuc(s: number[], y: number[]): number {
  let num = 0, den = 0;
  for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) {
    if (y[i] !== 1 || y[j] !== 0) continue;
    den++;
    num += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
  }
  return num / den;
}

test('AUROC: the classic 4-point case, ties by hand, both implementations equal the pairwise definition', () => {
  close(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75, 'classic');
  // ties: positives {1, 2, 3}, negatives {1, 2}: (0.5 + 1.5 + 2) / 6
  close(rocAuc([1, 1, 2, 2, 3], [0, 1, 0, 1, 1]), 4 / 6, 'ties');
  close(auroc([1, 1, 2, 2, 3], [0, 1, 0, 1, 1]), 4 / 6, 'ties (rank form)');
  close(rocAuc([5, 5, 5, 5], [0, 1, 1, 0]), 0.5, 'all tied');
  close(rocAuc([0, 1], [true, false]), 0, 'inverted');
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let t = 0; t < 20; t++) {
    const n = 5 + Math.floor(rand() * 40);
    const y = Array.from({ length: n }, (_, i) => (i < 2 ? i : rand() < 0.4 ? 1 : 0));
    const s = Array.from({ length: n }, () => Math.floor(rand() * 6)); // heavy ties
    close(rocAuc(s, y), pairAuc(s, y), `random ${t} (curve)`);
    close(auroc(s, y), pairAuc(s, y), `random ${t} (ranks)`);
  }
  assert.throws(() => rocAuc([1, 2], [1, 1]), /both classes/);
  assert.throws(() => rocAuc([1, NaN], [0, 1]), /NaN/);
});

test('AUROC by anomaly type: each kind against the normal images alone, hand-computed; errors name the mismatch', () => {
  // good: 0.1, 0.3, 0.5; kind a: 0.4 (beats 2 of 3), 0.6 (beats 3); kind b: 0.2 (beats 1 of 3)
  const scores = [0.1, 0.4, 0.3, 0.2, 0.5, 0.6];
  const types = ['good', 'a', 'good', 'b', 'good', 'a'];
  const r = aurocByType(scores, types);
  assert.deepEqual(Object.keys(r), ['a', 'b'], 'keys in order of first appearance, no normal key');
  close(r['a']!, 5 / 6, 'a');
  close(r['b']!, 1 / 3, 'b');
  close(aurocByType(scores, types.map((t) => (t === 'good' ? 'ok' : t)), 'ok')['b']!, 1 / 3, 'another normal name');
  // one kind only: equals the overall AUROC
  close(aurocByType([0.1, 0.9, 0.5], ['good', 'x', 'x'])['x']!, rocAuc([0.1, 0.9, 0.5], [0, 1, 1]), 'one kind');
  assert.throws(() => aurocByType([0.1, 0.2], ['good']), /1 types for 2 scores/);
  assert.throws(() => aurocByType([0.1, 0.2], ['a', 'b']), /no 'good' example/);
});

test('ROC curve groups ties into one point; TPR at FPR takes the best reachable point without interpolation', () => {
  const c = rocCurve([1, 1, 2, 2, 3], [0, 1, 0, 1, 1]);
  assert.deepEqual(Array.from(c.fpr), [0, 0, 0.5, 1]);
  assert.deepEqual(Array.from(c.tpr).map((v) => +v.toFixed(12)), [0, +(1 / 3).toFixed(12), +(2 / 3).toFixed(12), 1]);
  assert.deepEqual(Array.from(c.thresholds), [Infinity, 3, 2, 1]);
  const s = [0.1, 0.4, 0.35, 0.8], y = [0, 0, 1, 1];
  assert.deepEqual(tprAtFpr(s, y, 0), { tpr: 0.5, fpr: 0, threshold: 0.8 });
  assert.deepEqual(tprAtFpr(s, y, 0.49), { tpr: 0.5, fpr: 0, threshold: 0.8 });
  assert.deepEqual(tprAtFpr(s, y, 0.5), { tpr: 1, fpr: 0.5, threshold: 0.35 });
  close(trapezoid([0, 1], [0, 1], 0.5), 0.125, 'trapezoid cut at the limit');
});

test('connected components use 8-connectivity', () => {
  assert.equal(labelComponents([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3).count, 1);
  assert.equal(labelComponents([1, 0, 1, 0, 0, 0, 1, 0, 1], 3, 3).count, 4);
  const { ids, count } = labelComponents([1, 1, 0, 0, 0, 0, 0, 1], 2, 4);
  assert.equal(count, 2);
  assert.deepEqual(Array.from(ids), [1, 1, 0, 0, 0, 0, 0, 2]);
});

test('PRO: hand-computed curves; regions weigh equally whatever their size; limit and errors', () => {
  // one region {1, 2}, normal pixels {0, 3}: points (0,0) (0,.5) (.5,.5) (.5,1) (1,1)
  const one = proScore([[0.1, 0.9, 0.4, 0.5]], [[0, 1, 1, 0]], 1, 4);
  assert.deepEqual(Array.from(one.fpr), [0, 0, 0.5, 0.5, 1]);
  assert.deepEqual(Array.from(one.overlap), [0, 0.5, 0.5, 1, 1]);
  close(one.pro, 0.5, 'PRO@0.3 = 0.3 * 0.5 / 0.3');
  close(proScore([[0.1, 0.9, 0.4, 0.5]], [[0, 1, 1, 0]], 1, 4, 1).pro, 0.75, 'PRO@1');
  // two images: a 1-pixel region found first (overlap 1/2 at once), a 3-pixel region (1/6 per pixel)
  const two = proScore([[0.9, 0.1, 0.2, 0.3], [0.5, 0.8, 0.05, 0.4]], [[1, 0, 0, 0], [1, 1, 1, 0]], 1, 4);
  assert.equal(two.regions, 2);
  close(two.overlap[1]!, 0.5, 'first region');
  close(two.pro, 5 / 6, 'PRO@0.3');
  // a perfect map scores 1, a constant map 0.5 * limit... at limit 1: the diagonal's area 0.5
  close(proScore([[0, 1, 1, 0]], [[0, 1, 1, 0]], 1, 4).pro, 1, 'perfect');
  close(proScore([[3, 3, 3, 3]], [[0, 1, 1, 0]], 1, 4, 1).pro, 0.5, 'constant');
  assert.throws(() => proScore([[1, 2]], [[0, 0]], 1, 2), /regions/);
  assert.throws(() => proScore([[1, 2]], [[0, 1]], 1, 2, 0), /limit/);
});

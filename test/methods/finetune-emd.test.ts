/** The exact EMD solver (1-D closed form, hand-solved instances, symmetry, brute-force LP) and the EMD domain similarity. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as torch from '../../src/core/torch.js';
import { createModel } from '../../src/models/index.js';
import { autoGamma, classSpread, emd, euclideanDistances, similarityFromStats, domainSimilarity, classStats, type ClassStats } from '../../src/methods/finetune/index.js';
import { makeSet, loaderOf } from './finetune-fixtures.js';

/** A seeded uniform PRNG (mulberry32). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const weights = (r: () => number, n: number): number[] => { const w = Array.from({ length: n }, () => r() + 0.05); const s = w.reduce((a, b) => a + b, 0); return w.map((v) => v / s); };

/** LP optimum by enumerating every basis of n+m-1 cells (Gaussian elimination), keeping the feasible ones. */
function bruteForce(a: number[], b: number[], D: number[][]): number {
  const n = a.length, m = b.length, cells: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) cells.push([i, j]);
  const k = n + m - 1;
  let best = Infinity;
  const choose = (start: number, picked: number[]): void => {
    if (picked.length === k) {
      const rows = n + m;
      const M = Array.from({ length: rows }, (_, r) => [...picked.map((c) => (r < n ? (cells[c]![0] === r ? 1 : 0) : (cells[c]![1] === r - n ? 1 : 0))), r < n ? a[r]! : b[r - n]!]);
      let row = 0;
      for (let col = 0; col < k; col++) {
        let p = -1;
        for (let r = row; r < rows; r++) if (Math.abs(M[r]![col]!) > 1e-12 && (p < 0 || Math.abs(M[r]![col]!) > Math.abs(M[p]![col]!))) p = r;
        if (p < 0) return; // singular: not a basis
        [M[row], M[p]] = [M[p]!, M[row]!];
        for (let r = 0; r < rows; r++) {
          if (r === row) continue;
          const f = M[r]![col]! / M[row]![col]!;
          for (let c = col; c <= k; c++) M[r]![c]! -= f * M[row]![c]!;
        }
        row++;
      }
      for (let r = k; r < rows; r++) if (Math.abs(M[r]![k]!) > 1e-9) return; // inconsistent
      const x = Array.from({ length: k }, (_, c) => M[c]![k]! / M[c]![c]!);
      if (x.some((v) => v < -1e-12)) return;
      best = Math.min(best, x.reduce((s, v, c) => s + v * D[cells[picked[c]!]![0]]![cells[picked[c]!]![1]]!, 0));
      return;
    }
    for (let c = start; c < cells.length; c++) choose(c + 1, [...picked, c]);
  };
  choose(0, []);
  return best;
}

test('EMD: hand-solved 2x3 instance (unique optimum 1.1, plan checked) and a degenerate one (1.7)', () => {
  // Supplies [.5,.5], demands [.4,.4,.2]; basis x11=.4, x12=.1, x22=.3, x23=.2; duals u=(0,-1), v=(0,3,2) leave reduced costs 3 and 5 >= 0.
  const r = emd([0.5, 0.5], [0.4, 0.4, 0.2], [[0, 3, 5], [4, 2, 1]]);
  assert.ok(Math.abs(r.distance - 1.1) < 1e-12, `EMD ${r.distance}`);
  const want = [[0.4, 0.1, 0], [0, 0.3, 0.2]];
  r.flow.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i]![j]!) < 1e-12, `flow[${i}][${j}] = ${v}`)));
  assert.ok(Math.abs(emd([0.6, 0.4], [0.3, 0.3, 0.4], [[1, 2, 3], [4, 1, 2]]).distance - 1.7) < 1e-12);
});

test('EMD: 1-D ground distance equals the area between the CDFs (random cases)', () => {
  const r = prng(1);
  for (let trial = 0; trial < 30; trial++) {
    const n = 1 + Math.floor(r() * 6), m = 1 + Math.floor(r() * 6);
    const x = Array.from({ length: n }, () => r() * 10), y = Array.from({ length: m }, () => r() * 10 - 2);
    const a = weights(r, n), b = weights(r, m);
    const pts = [...x, ...y].sort((p, q) => p - q);
    let area = 0;
    for (let k = 0; k + 1 < pts.length; k++) {
      const t = pts[k]!;
      const F = x.reduce((s, xi, i) => s + (xi <= t ? a[i]! : 0), 0), G = y.reduce((s, yj, j) => s + (yj <= t ? b[j]! : 0), 0);
      area += Math.abs(F - G) * (pts[k + 1]! - t);
    }
    const got = emd(a, b, x.map((xi) => y.map((yj) => Math.abs(xi - yj)))).distance;
    assert.ok(Math.abs(got - area) < 1e-9, `trial ${trial}: EMD ${got} vs CDF area ${area}`);
  }
});

test('EMD: matches a brute-force LP on random tiny cases within 1e-9; symmetric; zero for identical distributions', () => {
  const r = prng(7);
  let checked = 0;
  for (let trial = 0; trial < 40; trial++) {
    const n = 1 + Math.floor(r() * 3), m = 1 + Math.floor(r() * 4);
    const a = weights(r, n), b = weights(r, m);
    const D = a.map(() => b.map(() => r() * 5));
    const got = emd(a, b, D);
    const bf = bruteForce(a, b, D);
    assert.ok(Math.abs(got.distance - bf) < 1e-9, `trial ${trial} (${n}x${m}): solver ${got.distance} vs brute force ${bf}`);
    got.flow.forEach((row, i) => assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - a[i]!) < 1e-12, 'row marginals'));
    const back = emd(b, a, b.map((_, j) => a.map((__, i) => D[i]![j]!))).distance;
    assert.ok(Math.abs(back - got.distance) < 1e-12, 'symmetry');
    checked++;
  }
  assert.equal(checked, 40);
  const pts = [[0, 0], [1, 2], [3, 1], [5, 5]];
  const w = weights(r, 4);
  assert.ok(emd(w, w, euclideanDistances(pts, pts)).distance < 1e-15);
  assert.ok(emd(w, [...w].reverse(), euclideanDistances(pts, pts)).distance > 0.01);
});

test('EMD (property): on small integer cases with zero weights and tied costs, the plan is feasible and its cost is the brute-force LP optimum', () => {
  // integer weights (some 0) with equal totals and costs in 0..3: degenerate bases and equal-cost paths everywhere
  const instance = fc.tuple(fc.array(fc.nat(4), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.nat(3), { minLength: 9, maxLength: 9 }), fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 }))
    .filter(([a]) => a.some((v) => v > 0))
    .map(([a, m, costs, cuts]) => {
      // b: the total of a split into m parts at sorted cut points (parts may be 0)
      const total = a.reduce((s, v) => s + v, 0);
      const at = cuts.slice(0, m - 1).map((c) => c % (total + 1)).sort((p, q) => p - q);
      const b = [...at, total].map((c, j) => c - (j ? at[j - 1]! : 0));
      return { a, b, D: a.map((_, i) => b.map((__, j) => costs[3 * i + j]!)) };
    });
  fc.assert(fc.property(instance, ({ a, b, D }) => {
    const got = emd(a, b, D);
    const bf = bruteForce(a, b, D);
    assert.ok(Math.abs(got.distance - bf) < 1e-9, `a=${a} b=${b} D=${JSON.stringify(D)}: solver ${got.distance} vs brute force ${bf}`);
    got.flow.forEach((row, i) => assert.equal(row.reduce((s, v) => s + v, 0), a[i], `row ${i} marginal`));
    b.forEach((bj, j) => assert.equal(got.flow.reduce((s, row) => s + row[j]!, 0), bj, `column ${j} marginal`));
    assert.ok(got.flow.every((row) => row.every((v) => v >= 0)), 'flow >= 0');
  }), { seed: 23, numRuns: 300 });
});

test('EMD: ties go to the lower index (equal costs give the north-west corner plan); a demand total 1e-12 above the supply ends cleanly', () => {
  // all costs equal: every plan is optimal; the solver fills supplies in order, each into the demands in order
  assert.deepEqual(emd([0.5, 0.5], [0.25, 0.75], [[0, 0], [0, 0]]).flow, [[0.25, 0.25], [0, 0.5]]);
  assert.deepEqual(emd([1, 2, 1], [2, 2], [[1, 1], [1, 1], [1, 1]]).flow, [[1, 0], [1, 1], [0, 1]]);
  // the supplies run out first: the 1e-12 left on a demand is never sent (and no path is sought from nothing)
  const r = emd([1], [0.5, 0.5 + 1e-12], [[1, 3]]);
  assert.ok(Math.abs(r.distance - 2) < 1e-9 && r.flow[0]![0] === 0.5 && r.augmentations === 2, JSON.stringify(r));
});

test('EMD: input errors name the offending entry', () => {
  assert.throws(() => emd([0.5, 0.5], [1], [[1], [1, 2]]), /cost row 1 must have 1 entries/);
  assert.throws(() => emd([0.5, 0.6], [1], [[1], [1]]), /equal positive totals/);
  assert.throws(() => emd([-1, 2], [1], [[1], [1]]), /a\[0\] must be a finite number >= 0/);
  assert.throws(() => emd([1], [1], [[NaN]]), /D\[0\]\[0\]/);
});

test('similarity = exp(-gamma * EMD) in (0, 1]: 1 for identical stats, gamma reported, count weights used', () => {
  const s: ClassStats = { means: [[0, 0], [3, 4]], counts: [30, 10], classes: [0, 1], dropped: [] };
  const same = similarityFromStats(s, s, 0.01);
  assert.equal(same.emd, 0);
  assert.equal(same.similarity, 1);
  assert.equal(same.gamma, 0.01);
  assert.equal(same.gammaRule, 'fixed');
  const t: ClassStats = { means: [[0, 0], [3, 4]], counts: [10, 30], classes: [0, 1], dropped: [] };
  const r = similarityFromStats(s, t, 0.5);
  assert.ok(Math.abs(r.emd - 0.5 * 5) < 1e-12, `weights .75/.25 vs .25/.75 move 0.5 of mass a distance 5, got ${r.emd}`);
  assert.ok(Math.abs(r.similarity - Math.exp(-0.5 * 2.5)) < 1e-12);
  assert.ok(r.similarity > 0 && r.similarity < 1);
  assert.throws(() => similarityFromStats(s, t, 0), /gamma must be 'auto' or a finite number > 0/);
});

test("gamma 'auto' = 1 / mean distance between source class means: scale-free, the default; needs two distinct means", () => {
  const s: ClassStats = { means: [[0, 0], [3, 4], [0, 8]], counts: [1, 1, 1], classes: [0, 1, 2], dropped: [] };
  const t: ClassStats = { means: [[1, 1], [2, 2]], counts: [1, 1], classes: [0, 1], dropped: [] };
  assert.ok(Math.abs(classSpread(s) - (5 + 8 + 5) / 3) < 1e-12);
  const r = similarityFromStats(s, t);
  assert.equal(r.gammaRule, 'auto');
  assert.ok(Math.abs(r.gamma - 3 / 18) < 1e-12 && Math.abs(r.sourceSpread - 6) < 1e-12);
  assert.ok(Math.abs(r.similarity - Math.exp(-r.emd / 6)) < 1e-12);
  // scaling every feature by 10 scales the EMD by 10 and leaves the similarity unchanged
  const x10 = (c: ClassStats): ClassStats => ({ ...c, means: c.means.map((m) => m.map((v) => 10 * v)) });
  const r10 = similarityFromStats(x10(s), x10(t));
  assert.ok(Math.abs(r10.emd - 10 * r.emd) < 1e-9 && Math.abs(r10.similarity - r.similarity) < 1e-12);
  const one: ClassStats = { means: [[1, 2]], counts: [5], classes: [0], dropped: [] };
  assert.throws(() => autoGamma(one), /gamma 'auto' needs at least two distinct source class means/);
  assert.throws(() => similarityFromStats(one, t), /give a number/);
  assert.equal(similarityFromStats(one, t, 0.1).gammaRule, 'fixed');
});

test('domainSimilarity with a fixed small CNN: identical domains give 1, shifted data less; min counts drop classes; no leaks', () => {
  torch.manualSeed(3);
  const model = createModel('small_cnn', { numClasses: 3, channels: [4, 8], inputSize: 8 });
  const src = makeSet(60, 1), tgt = makeSet(60, 2, { shift: 120 });
  const before = torch.liveTensors();
  const same = domainSimilarity(model, loaderOf(src, 16, false), loaderOf(src, 16, false));
  assert.equal(same.emd, 0);
  assert.equal(same.similarity, 1);
  const far = domainSimilarity(model, loaderOf(src, 16, false), loaderOf(tgt, 16, false), { gamma: 0.01 });
  assert.ok(far.emd > 0 && far.similarity < 1 && far.similarity > 0, `emd ${far.emd}, sim ${far.similarity}`);
  assert.equal(far.featureDim, model.featureDim);
  const counts = src.classCounts();
  const cs = classStats(model, loaderOf(src, 16, false), Math.max(...counts));
  assert.equal(cs.classes.length + cs.dropped.length, 3);
  assert.ok(cs.dropped.length >= 1 || new Set(counts).size === 1);
  const l2 = domainSimilarity(model, loaderOf(src, 16, false), loaderOf(tgt, 16, false), { tap: 'block1' });
  assert.equal(l2.featureDim, 4, 'the block1 tap has 4 channels, averaged over space');
  assert.ok(l2.emd > 0 && l2.gammaRule === 'auto');
  assert.equal(torch.liveTensors(), before, 'tensors leaked by domainSimilarity');
  console.log(`similarity small_cnn(untrained, d=${far.featureDim}) shifted: emd=${far.emd.toFixed(4)} sim(gamma=0.01)=${far.similarity.toFixed(6)}`);
  model.dispose(); src.dispose(); tgt.dispose();
});

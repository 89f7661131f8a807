/**
 * Mutation-guided tests of fine-tuning's math on hand-computed cases (issue 23, area finetune): the L2 / L2-SP
 * penalties, the EMD solver's input rules, zero weights and unnormalised totals, Euclidean distances, and the
 * domain-similarity statistics (per-class means, min counts, spread, errors) through a stub feature model whose
 * features are its inputs, so every mean is known exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import { ConfigError } from '../../src/core/errors.js';
import type { FeatureModel } from '../../src/models/index.js';
import {
  autoGamma, classSpread, classStats, emd, euclideanDistances, l2Penalty, l2spPenalty, pooledFeatures, similarityFromStats, squaredDistance, type ClassStats, type LabelledSource,
} from '../../src/methods/finetune/index.js';

torch.setNumThreads(1);
const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol;
const num = (t: Tensor): number => torch.tidy(() => Number(t.item()));
const f32 = (v: number[]): Tensor => torch.tensor(v, { dtype: 'float32' });

test('squaredDistance: sum ||p - ref||^2 with null refs meaning 0; no parameters give a 0 scalar', () => {
  const p = [f32([1, 2]), f32([3])];
  const r = [f32([0.5, 0]), null];
  assert.equal(num(squaredDistance(p, r)), 0.25 + 4 + 9);
  assert.equal(num(squaredDistance(p)), 1 + 4 + 9);
  assert.equal(num(squaredDistance(p, [])), 14, 'missing refs count as null');
  const z = squaredDistance([]);
  assert.deepEqual([z.shape, num(z)], [[], 0]);
  torch.dispose([...p, r[0]!, z]);
});

test('L2-SP: alpha/2 ||w_S - w_S^0||^2 + beta/2 ||w_new||^2 with both parts; plain L2 is lambda/2 ||w||^2; mismatched lists refused', () => {
  const bb = [f32([1, 1]), f32([2])];
  const ref = [f32([0, 1]), f32([0])];
  const head = [f32([3, 4])];
  const o = l2spPenalty(bb, ref, head, 0.4, 0.1);
  assert.ok(close(num(o.sp), 0.2 * (1 + 4), 1e-6) && close(num(o.head), 0.05 * 25, 1e-6) && close(num(o.total), 1 + 1.25, 1e-6), `${num(o.sp)} ${num(o.head)} ${num(o.total)}`);
  assert.ok(close(num(l2Penalty(head, 0.3)), 0.15 * 25, 1e-6));
  assert.throws(() => l2spPenalty(bb, ref.slice(1), head, 1, 1), /2 backbone parameters but 1 references/);
  torch.dispose([...bb, ...ref, ...head]);
});

test('EMD: zero weights take no flow; totals other than 1 are not normalised; tiny total differences pass; every input rule names its entry', () => {
  const r = emd([0, 1], [0.25, 0.75], [[9, 9], [2, 4]]);
  assert.ok(close(r.distance, 0.25 * 2 + 0.75 * 4, 1e-12));
  assert.deepEqual(r.flow[0], [0, 0]);
  const z = emd([1, 0], [0, 1], [[0, 3], [0, 0]]);
  assert.ok(close(z.distance, 3, 1e-12) && z.flow[0]![1] === 1);
  const big = emd([2, 2], [1, 3], [[0, 1], [1, 0]]); // move 1 unit from a0 to b1 at cost 1
  assert.ok(close(big.distance, 1, 1e-12), `${big.distance}`);
  assert.ok(big.augmentations >= 1);
  assert.ok(close(emd([0.5, 0.5 + 1e-12], [1], [[1], [3]]).distance, 2, 1e-9), 'totals equal up to 1e-9 relative');
  assert.throws(() => emd([], [1], []), /weights a and b must be non-empty arrays/);
  assert.throws(() => emd([1], [], [[]]), /non-empty/);
  assert.throws(() => emd('ab' as never, [1], [[1]]), /weights a and b must be non-empty arrays/);
  assert.throws(() => emd([1], 'ab' as never, [[1]]), /weights a and b must be non-empty arrays/);
  assert.throws(() => emd([1], [0.5, -0.5, 1], [[1, 1, 1]]), /b\[1\] must be a finite number >= 0, got -0\.5/);
  assert.throws(() => emd([1], [Infinity], [[1]]), /b\[0\]/);
  assert.throws(() => emd([0], [0], [[1]]), /equal positive totals, got sum\(a\)=0, sum\(b\)=0/);
  assert.throws(() => emd([1, 1], [2], [[1]]), /the cost matrix must have 2 rows, got 1/);
  assert.throws(() => emd([1], [1], 'x' as never), /must have 1 rows, got string/);
  assert.throws(() => emd([1], [1], [[-1]]), /D\[0\]\[0\] must be a finite number >= 0, got -1/);
  assert.throws(() => emd([1], [1], [5 as never]), /cost row 0 must have 1 entries/);
});

test('EMD: a reverse edge is needed (the greedy first path is not optimal) and the result is still the LP optimum', () => {
  // Supplies a = [1, 1], demands b = [1, 1], costs [[1, 2], [1, 10]]: the cheapest first path sends a0 -> b0 (cost 1);
  // then a1 must go to b0 (cost 1) by pushing a0 back to b1 (cost 2): optimum 1 + 2 = 3 (vs 1 + 10 greedy).
  const r = emd([1, 1], [1, 1], [[1, 2], [1, 10]]);
  assert.ok(close(r.distance, 3, 1e-12), `${r.distance}`);
  assert.deepEqual(r.flow, [[0, 1], [1, 0]]);
});

test('euclideanDistances: a 3-4-5 case, the all-pairs shape, and a dimension mismatch named by row', () => {
  assert.deepEqual(euclideanDistances([[0, 0], [3, 4]], [[3, 4], [0, 0], [6, 8]]), [[5, 0, 10], [0, 5, 5]]);
  assert.throws(() => euclideanDistances([[0, 0]], [[1, 2], [1, 2, 3]]), /row 0 has 2 dims, row 1 of Y has 3/);
});

/** A feature model whose pooled features are its input flattened, and whose taps return the input map itself. */
function identityModel(): FeatureModel & { modes: { training: boolean }[]; evals: number } {
  const modes = [{ training: true }, { training: false }, { training: true }];
  const m = {
    modes, evals: 0,
    modules: () => modes,
    eval() { m.evals++; for (const x of modes) x.training = false; },
    hasHooks: () => false,
    forwardPooled: (x: Tensor) => x.flatten(1).mul(1),
    forwardFeatures: (x: Tensor, taps: string[]) => new Map([[taps[0]!, taps[0] === 'pool' ? x.flatten(1).mul(1) : x.mul(1)]]),
    // graph mode (FeatureExtractor) traces forwardFeatures; this model has no parameters or buffers
    namedParameters: () => [], namedBuffers: () => [],
  };
  return m as unknown as FeatureModel & { modes: { training: boolean }[]; evals: number };
}
/** Batches of (features, labels) given as plain arrays. */
function source(batches: [number[][] | number[][][][], number[]][]): LabelledSource & { served: number } {
  const s = {
    served: 0,
    numBatches: batches.length,
    batchAt: (_e: number, i: number) => { s.served++; const [x, y] = batches[i]!; return { x: torch.tensor(x as number[][], { dtype: 'float64' }), y: torch.tensor(y, { dtype: 'int32' }) }; },
  };
  return s;
}

test('classStats: exact per-class means and counts in numeric label order; min count keeps a class with exactly that many; bad min counts refused', () => {
  const model = identityModel();
  const data = source([[[[1, 2], [3, 4], [0, 0]], [10, 2, 10]], [[[5, 6]], [10]]]);
  const live = torch.liveTensors();
  const all = classStats(model, data);
  assert.equal(torch.liveTensors(), live, 'the batches, features and labels are freed');
  assert.deepEqual(all, { classes: [2, 10], counts: [1, 3], means: [[3, 4], [2, 8 / 3]], dropped: [] });
  assert.deepEqual(classStats(model, data, 3), { classes: [10], counts: [3], means: [[2, 8 / 3]], dropped: [2] });
  assert.deepEqual(classStats(model, data, 4).dropped, [2, 10]);
  assert.deepEqual(model.modes.map((m) => m.training), [true, false, true], 'training flags restored after the eval-mode pass');
  assert.ok(model.evals >= 1);
  assert.throws(() => classStats(model, data, -1), (e: Error) => e instanceof ConfigError && /minCount must be an integer >= 0, got -1/.test(e.message));
  assert.throws(() => classStats(model, data, 1.5), /minCount must be an integer/);
});

test('pooledFeatures: float32 features and int64 labels of every batch in order; a spatial tap is averaged over H x W; no batches refused', () => {
  const model = identityModel();
  const maps = source([[[[[[1, 3], [5, 7]]], [[[0, 0], [0, 8]]]], [0, 1]]]); // [2, 1, 2, 2]
  const { features, labels } = pooledFeatures(model, maps, 'block1');
  assert.deepEqual([features.shape, features.dtype, labels.dtype], [[2, 1], 'float32', 'int64']);
  assert.deepEqual([...(features.data() as Float32Array)], [4, 2]);
  torch.dispose([features, labels]);
  const two = source([[[[1, 2]], [1]], [[[3, 4]], [0]]]);
  const p = pooledFeatures(model, two);
  assert.deepEqual([...(p.features.data() as Float32Array)], [1, 2, 3, 4]);
  assert.deepEqual(Array.from(p.labels.data() as BigInt64Array, Number), [1, 0]);
  assert.equal(two.served, 2);
  torch.dispose([p.features, p.labels]);
  assert.throws(() => pooledFeatures(model, { numBatches: 0, batchAt: () => assert.fail() }), /the data source has 0 batches; it needs at least 1/);
});

test('similarity statistics: spread NaN below two classes; an empty domain named; a fixed gamma still reports the source spread and the feature dimension', () => {
  const one: ClassStats = { means: [[1, 1, 1]], counts: [2], classes: [0], dropped: [] };
  assert.ok(Number.isNaN(classSpread(one)));
  const s: ClassStats = { means: [[0, 0, 0], [2, 0, 0]], counts: [1, 3], classes: [0, 1], dropped: [] };
  assert.equal(classSpread(s), 2);
  const r = similarityFromStats(s, one, 0.5);
  assert.deepEqual([r.sourceSpread, r.featureDim, r.gamma, r.gammaRule], [2, 3, 0.5, 'fixed']);
  // weights 1/4, 3/4 to the single target mean (1, 1, 1): distances sqrt(3) and sqrt(3)
  assert.ok(close(r.emd, Math.sqrt(3), 1e-12) && close(r.similarity, Math.exp(-0.5 * Math.sqrt(3)), 1e-12));
  const empty: ClassStats = { means: [], counts: [], classes: [], dropped: [4, 7] };
  assert.throws(() => similarityFromStats(empty, s, 1), /the source domain has no class left \(min count too high\? dropped: 4, 7\)/);
  assert.throws(() => similarityFromStats(s, empty, 1), /the target domain has no class left/);
  for (const g of [-1, NaN, Infinity]) assert.throws(() => similarityFromStats(s, s, g), /gamma must be 'auto' or a finite number > 0/);
});

test('EMD totals differing by exactly 1e-9 relative pass (the bound is inclusive); gamma auto refuses two classes with the same mean', () => {
  // y - x = 4503600 ulp(1) = 1e-9 * y exactly in float64 (found by search): the check's boundary itself
  const d = 4503600 * 2 ** -52;
  const y = d / 1e-9;
  const x = y - d;
  assert.ok(y - x === 1e-9 * y, 'the fixture sits on the boundary');
  assert.ok(Math.abs(emd([x], [y], [[2]]).distance - 2 * x) < 1e-12);
  assert.throws(() => emd([x - 1e-6], [y], [[2]]), /equal positive totals/);
  const same: ClassStats = { means: [[1, 2], [1, 2]], counts: [3, 4], classes: [0, 1], dropped: [] };
  assert.equal(classSpread(same), 0);
  assert.throws(() => autoGamma(same), (e: Error) => e instanceof ConfigError && /at least two distinct source class means \(got 2 class\(es\)\)/.test(e.message));
});

test("head 'reinit': a new head of numClasses outputs (also when the count is unchanged: new weights); 'keep' keeps the head's weights", async () => {
  const { createFinetuneTask } = await import('../../src/methods/finetune/index.js');
  const { tinyResNet } = await import('../methods/finetune-fixtures.js');
  const headOf = (m: FeatureModel): number[] => torch.tidy(() => Array.from(m.stateDict().get('fc.weight')!.contiguous().data() as Float32Array));
  for (const numClasses of [5, 3]) {
    const model = tinyResNet(11); // 3 classes
    const before = headOf(model);
    const task = createFinetuneTask(model, { head: 'reinit', numClasses });
    assert.equal(model.numClasses, numClasses);
    if (numClasses === 3) assert.notDeepEqual(headOf(model), before, 'reinit draws new weights');
    task.dispose?.(); model.dispose();
  }
  const model = tinyResNet(11);
  const before = headOf(model);
  const task = createFinetuneTask(model, { head: 'keep' });
  assert.deepEqual(headOf(model), before);
  task.dispose?.(); model.dispose();
});

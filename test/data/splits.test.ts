import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, DataError, ConfigError } from '../../src/index.js';
import { Dataset, classSubset, subsetClasses, labelBudget, stratifiedSplit } from '../../src/data/index.js';

// 10 classes, class c has 5 + c examples, interleaved.
const labels: number[] = [];
for (let c = 0; c < 10; c++) for (let k = 0; k < 5 + c; k++) labels.push(c);
labels.sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13) || a - b);

test('class subset relabels 5..9 -> 0..4 and keeps only those classes', () => {
  const s = classSubset(labels, [5, 6, 7, 8, 9]);
  assert.equal(s.indices.length, 10 + 11 + 12 + 13 + 14);
  s.indices.forEach((i, j) => assert.equal(s.labels[j], labels[i]! - 5));
  const d = s.describe();
  assert.deepEqual(d.params.mapping, { 5: 0, 6: 1, 7: 2, 8: 3, 9: 4 });
  assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
  assert.throws(() => classSubset(labels, [5, 5]), (e: Error) => e instanceof ConfigError && /classes\[1\]/.test(e.message));
  assert.throws(() => classSubset(labels, [10]), (e: Error) => e instanceof ConfigError && /classes\[0\] must be an integer in \[0, 10\)/.test(e.message));
});

test('subsetClasses on a Dataset carries names and relabels', () => {
  const base = torch.liveTensors();
  const images = torch.tidy(() => torch.arange(0, 6).to('uint8').reshape([6, 1, 1, 1]));
  const ds = Dataset.fromTensors(images, torch.tensor([0, 1, 2, 2, 1, 0]), ['a', 'b', 'c']);
  const sub = subsetClasses(ds, [2, 0]);
  assert.deepEqual(sub.classes, ['c', 'a']);
  assert.deepEqual(sub.labels.toArray(), [1, 0, 0, 1]);
  torch.tidy(() => assert.deepEqual(sub.images.reshape([-1]).toArray(), [0, 2, 3, 5]));
  ds.dispose(); sub.dispose();
  assert.equal(torch.liveTensors(), base);
});

test('label budget: k per class, seeded, disjoint, error when a class is short', () => {
  const a = labelBudget(labels, { perClass: 4, seed: 1 });
  const b = labelBudget(labels, { perClass: 4, seed: 1 });
  const c = labelBudget(labels, { perClass: 4, seed: 2 });
  assert.deepEqual(a.labelled, b.labelled);
  assert.notDeepEqual(a.labelled, c.labelled);
  assert.equal(a.labelled.length, 40);
  assert.deepEqual(a.describe().perClass.labelled, new Array(10).fill(4));
  assert.equal(a.labelled.length + a.unlabelled.length, labels.length);
  const set = new Set(a.labelled);
  assert.ok(a.unlabelled.every((i) => !set.has(i)));
  assert.equal(a.describe().fingerprints.labelled, b.describe().fingerprints.labelled);
  assert.notEqual(a.describe().fingerprints.labelled, c.describe().fingerprints.labelled);
  assert.throws(() => labelBudget(labels, { perClass: 6, seed: 1 }), (e: Error) => e instanceof DataError && /class 0 has 5 examples, fewer than perClass=6/.test(e.message));
  assert.throws(() => labelBudget(labels, { perClass: 0, seed: 1 }), /perClass must be an integer >= 1/);
  assert.throws(() => labelBudget(labels, { perClass: 1, seed: 1.5 }), /seed must be a safe integer/);
  assert.throws(() => labelBudget([0, 1, 11], { perClass: 1, seed: 1, numClasses: 10 }), /index 2 is 11/);
});

test('stratified split keeps class proportions and is reproducible', () => {
  const s = stratifiedSplit(labels, { valFraction: 0.2, seed: 3 });
  const t = stratifiedSplit(labels, { valFraction: 0.2, seed: 3 });
  assert.deepEqual(s.val, t.val);
  const d = s.describe();
  for (let c = 0; c < 10; c++) assert.equal(d.perClass.val![c], Math.round(0.2 * (5 + c)));
  assert.equal(s.train.length + s.val.length, labels.length);
  assert.equal(new Set([...s.train, ...s.val]).size, labels.length);
  assert.notDeepEqual(stratifiedSplit(labels, { valFraction: 0.2, seed: 4 }).val, s.val);
  assert.throws(() => stratifiedSplit(labels, { valFraction: 1, seed: 3 }), /valFraction must be a number in \(0, 1\)/);
});

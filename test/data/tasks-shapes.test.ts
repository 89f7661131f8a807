import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, data, ConfigError } from '../../src/index.js';
import { generateShapes, loadTask, clearTaskCache, SHAPE_CLASSES } from '../../src/data/index.js';
import { checkDataSpec } from '../../src/data/spec.js';
import { checkGenerator } from './procedural-check.js';

const rejects = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: Error) => e instanceof ConfigError && re.test(e.message), String(re));

test('shapes: deterministic per seed, different across seeds and splits, 5 balanced interleaved classes, no leaks', () => {
  checkGenerator('generateShapes', generateShapes, ['triangle', 'square', 'pentagon', 'hexagon', 'disk'], (a) => torch.tidy(() => {
    const x = a.images.float();
    // black silhouettes on white: the corners are white, every image has dark pixels, and no two images are equal
    assert.ok((x.narrow(2, 0, 1).narrow(3, 0, 1).min().item() as number) > 250, 'top-left corner is white ground');
    assert.ok((x.reshape([200, -1]).amin([1]).max().item() as number) < 64, 'every image has a dark shape');
    const rows = a.images.reshape([200, -1]).data() as Uint8Array;
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(Buffer.from(rows.subarray(i * 784, (i + 1) * 784)).toString('base64'));
    assert.equal(seen.size, 200, 'no two images are identical');
  }));
});

test('shapes:target-far: sizes, balanced budgets, fixed pixels with seeded splits', () => {
  clearTaskCache();
  const base = torch.liveTensors();
  const a = loadTask('shapes:target-far', { labelsPerClass: 100, seed: 0, valFraction: 0.2 });
  const b = loadTask('shapes:target-far', { labelsPerClass: 100, seed: 1 });
  const c = loadTask('shapes:target-far', { labelsPerClass: 100, seed: 0, valFraction: 0.2 });
  try {
    assert.deepEqual(a.train.classCounts(), [80, 80, 80, 80, 80]);
    assert.deepEqual(a.val!.classCounts(), [20, 20, 20, 20, 20]);
    assert.deepEqual(a.unlabelled.classCounts(), [5900, 5900, 5900, 5900, 5900]);
    assert.deepEqual(a.test.classCounts(), [1000, 1000, 1000, 1000, 1000]);
    assert.deepEqual(a.classes, SHAPE_CLASSES);
    const [da, db, dc] = [a, b, c].map((t) => t.describe());
    assert.deepEqual(da.fingerprints, dc.fingerprints);
    assert.equal(da.fingerprints.test, db.fingerprints.test, 'the pixels are fixed; the seed only picks the splits');
    assert.notEqual(da.fingerprints.train, db.fingerprints.train);
    assert.deepEqual(da.data, { generator: 'shapes', version: 2, dataSeed: 1, perClass: { train: 6000, test: 1000 } });
  } finally { for (const t of [a, b, c]) t.dispose(); }
  clearTaskCache();
  assert.equal(torch.liveTensors(), base);
});

test('shapes:target-far is a data spec of the CLI (checkDataSpec, data.open = loadTask)', async () => {
  assert.equal(checkDataSpec(' Shapes:Target-Far'), 'shapes:target-far');
  rejects(() => checkDataSpec('shapes:target-mid'), /unknown task "target-mid" of family shapes; allowed: target-far/);
  const d = await data.open('shapes:target-far', { seed: 4, labelsPerClass: 10 });
  const t = loadTask('shapes:target-far', { seed: 4, labelsPerClass: 10, valFraction: 0.1 });
  try {
    assert.deepEqual(Buffer.from((d.train as data.Dataset).images.bytes()), Buffer.from(t.train.images.bytes()));
    assert.deepEqual(d.classes, SHAPE_CLASSES);
  } finally { d.dispose(); t.dispose(); clearTaskCache(); }
});

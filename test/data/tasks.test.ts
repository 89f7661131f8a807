import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, ConfigError, DataError } from '../../src/index.js';
import {
  loadTask, parseTaskSpec, parseLabelsPerClass, checkTaskOptions, listTasks, clearTaskCache, TASK_NAMES, FASHION_MNIST_CLASSES, type LabelsPerClass,
} from '../../src/data/index.js';

const FMNIST = ['fmnist:source', 'fmnist:target-mid', 'fmnist:target-shift'] as const;
const rejects = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: Error) => e instanceof ConfigError && re.test(e.message), String(re));

test('parseTaskSpec accepts the eight names and names the allowed values otherwise', () => {
  assert.deepEqual(parseTaskSpec('fmnist:target-mid'), { name: 'fmnist:target-mid', family: 'fmnist', role: 'target-mid' });
  assert.deepEqual(parseTaskSpec('  Textures:Target-Far '), { name: 'textures:target-far', family: 'textures', role: 'target-far' });
  assert.deepEqual(parseTaskSpec('shapes:target-far'), { name: 'shapes:target-far', family: 'shapes', role: 'target-far' });
  for (const n of TASK_NAMES) assert.equal(parseTaskSpec(n).name, n);
  rejects(() => parseTaskSpec('fmnist'), /must be 'family:task', one of fmnist:source, fmnist:target-mid/);
  rejects(() => parseTaskSpec('mnist:source'), /unknown family "mnist"; allowed: fmnist, textures, shapes/);
  rejects(() => parseTaskSpec('fmnist:target-far'), /unknown task "target-far" of family fmnist; allowed: source, target-mid, target-shift, target-near, target-noisy, target-source-shift/);
  rejects(() => parseTaskSpec('textures:source'), /allowed: target-far/);
  rejects(() => parseTaskSpec('shapes:target-mid'), /unknown task "target-mid" of family shapes; allowed: target-far/);
  rejects(() => parseTaskSpec(3 as unknown as string), /task spec must be a string/);
});

test('task options are validated field by field', () => {
  assert.equal(parseLabelsPerClass('50'), 50);
  assert.equal(parseLabelsPerClass(' ALL '), 'all');
  assert.deepEqual(checkTaskOptions({ labelsPerClass: '10', seed: 3 }), { labelsPerClass: 10, seed: 3 });
  assert.deepEqual(checkTaskOptions({ labelsPerClass: 20, seed: 0 }), { labelsPerClass: 20, seed: 0 }, 'any budget >= 1');
  rejects(() => checkTaskOptions({ labelsPerClass: 0, seed: 0 }), /options\.labelsPerClass must be an integer >= 1 or 'all'; got 0/);
  rejects(() => checkTaskOptions({ labelsPerClass: 2.5, seed: 0 }), /options\.labelsPerClass must be an integer >= 1 or 'all'; got 2\.5/);
  rejects(() => checkTaskOptions({ seed: 0 }), /options\.labelsPerClass is required/);
  rejects(() => checkTaskOptions({ labelsPerClass: 10, seed: 1.5 }), /options\.seed must be a safe integer, got 1\.5/);
  rejects(() => checkTaskOptions({ labelsPerClass: 10 }), /options\.seed must be a safe integer, got undefined/);
  rejects(() => checkTaskOptions({ labelsPerClass: 10, seed: 0, valFraction: 1 }), /options\.valFraction must be a number in \(0, 1\)/);
  rejects(() => checkTaskOptions({ labelsPerClass: 10, seed: 0, root: '' }), /options\.root must be a non-empty path/);
  rejects(() => checkTaskOptions({ labelsPerClass: 10, seed: 0, labels: 5 }), /options\.labels is not an option; allowed: labelsPerClass, seed, root, valFraction/);
  rejects(() => checkTaskOptions(null), /task options must be an object/);
  rejects(() => loadTask('fmnist:nope', { labelsPerClass: 10, seed: 0 }), /unknown task "nope"/);
});

test('listTasks gives the eight tasks, source first, one line each', () => {
  const l = listTasks();
  assert.deepEqual(l.map((t) => t.name), ['fmnist:source', 'fmnist:target-mid', 'fmnist:target-shift', 'textures:target-far', 'fmnist:target-near', 'fmnist:target-noisy', 'fmnist:target-source-shift', 'shapes:target-far']);
  for (const t of l) assert.ok(t.description.length > 20 && !t.description.includes('\n'), t.name);
});

test('sizes and class balance of each Fashion-MNIST task and budget', () => {
  for (const name of FMNIST) {
    for (const k of [10, 50, 100, 'all'] as LabelsPerClass[]) {
      const t = loadTask(name, { labelsPerClass: k, seed: 0 });
      try {
        const per = k === 'all' ? 6000 : k;
        assert.equal(t.numClasses, 5);
        assert.deepEqual(t.classes, name === 'fmnist:source' ? FASHION_MNIST_CLASSES.slice(0, 5) : FASHION_MNIST_CLASSES.slice(5));
        assert.deepEqual(t.train.classCounts(), new Array(5).fill(per), `${name} ${k} train`);
        assert.deepEqual(t.unlabelled.classCounts(), new Array(5).fill(6000 - per), `${name} ${k} unlabelled`);
        assert.deepEqual(t.test.classCounts(), new Array(5).fill(1000), `${name} ${k} test`);
        assert.deepEqual(t.train.exampleShape, [1, 28, 28]);
        assert.equal(t.val, undefined);
        const d = t.describe();
        assert.deepEqual(d.sizes, { train: 5 * per, unlabelled: 5 * (6000 - per), val: 0, test: 5000 });
        assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
      } finally { t.dispose(); }
    }
  }
});

test('same seed gives identical splits, another seed different ones; val is carved from the labelled set', () => {
  const a = loadTask('fmnist:target-mid', { labelsPerClass: 50, seed: 7 });
  const b = loadTask('fmnist:target-mid', { labelsPerClass: 50, seed: 7 });
  const c = loadTask('fmnist:target-mid', { labelsPerClass: 50, seed: 8 });
  const v = loadTask('fmnist:target-mid', { labelsPerClass: 50, seed: 7, valFraction: 0.2 });
  try {
    const [da, db, dc, dv] = [a, b, c, v].map((t) => t.describe());
    assert.deepEqual(da.fingerprints, db.fingerprints);
    assert.deepEqual(da.splits.budget.fingerprints, db.splits.budget.fingerprints);
    assert.ok(torch.equal(a.train.images, b.train.images));
    assert.notEqual(da.fingerprints.train, dc.fingerprints.train);
    assert.notEqual(da.splits.budget.fingerprints.labelled, dc.splits.budget.fingerprints.labelled);
    assert.equal(da.fingerprints.test, dc.fingerprints.test);
    assert.equal(dv.splits.budget.fingerprints.labelled, da.splits.budget.fingerprints.labelled);
    assert.deepEqual(v.val!.classCounts(), [10, 10, 10, 10, 10]);
    assert.deepEqual(v.train.classCounts(), [40, 40, 40, 40, 40]);
    assert.equal(dv.sizes.val, 50);
    assert.equal(dv.splits.val!.seed, 7);
    assert.equal(da.seed, 7);
    assert.equal(da.splits.budget.sizes.labelled! + da.splits.budget.sizes.unlabelled!, 30000);
  } finally { for (const t of [a, b, c, v]) t.dispose(); }
});

test('T_shift is exactly rot90 (counter-clockwise) + invert of T_mid, image for image', () => {
  const mid = loadTask('fmnist:target-mid', { labelsPerClass: 10, seed: 2 });
  const sh = loadTask('fmnist:target-shift', { labelsPerClass: 10, seed: 2 });
  try {
    assert.deepEqual(sh.train.labelArray(), mid.train.labelArray());
    for (const [m, s] of [[mid.train, sh.train], [mid.test, sh.test]] as const) {
      for (const i of [0, 3, 17, 49]) {
        const a = torch.tidy(() => m.images.select(0, i).reshape([-1]).data() as Uint8Array);
        const b = torch.tidy(() => s.images.select(0, i).reshape([-1]).data() as Uint8Array);
        for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
          if (b[y * 28 + x] !== 255 - a[x * 28 + (27 - y)]!) assert.fail(`image ${i} pixel (${y}, ${x}): ${b[y * 28 + x]} != 255 - ${a[x * 28 + (27 - y)]}`);
        }
      }
    }
    assert.notEqual(sh.describe().fingerprints.test, mid.describe().fingerprints.test);
  } finally { mid.dispose(); sh.dispose(); }
});

test("T_near, T_noisy and T_sshift are the source's images (same labels) dimmed, with fixed noise, rotated + inverted", () => {
  const src = loadTask('fmnist:source', { labelsPerClass: 10, seed: 4 });
  const [near, noisy, ssh] = (['fmnist:target-near', 'fmnist:target-noisy', 'fmnist:target-source-shift'] as const).map((n) => loadTask(n, { labelsPerClass: 10, seed: 4 }));
  clearTaskCache();
  const again = loadTask('fmnist:target-noisy', { labelsPerClass: 10, seed: 4 }); // rebuilt from the files: the noise is regenerated
  const px = (d: { images: { select(d: number, i: number): { reshape(s: number[]): { data(): unknown } } } }, i: number): Uint8Array => torch.tidy(() => d.images.select(0, i).reshape([-1]).data() as Uint8Array);
  try {
    assert.deepEqual(near!.classes, src.classes);
    for (const t of [near!, noisy!, ssh!]) assert.deepEqual(t.train.labelArray(), src.train.labelArray(), `${t.name}: the source's labelled subset, image for image`);
    let diff = 0, n = 0;
    for (const [split, i] of [['train', 0], ['train', 7], ['test', 3], ['test', 40]] as const) {
      const a = px(src[split], i), b = px(near![split], i), c = px(ssh![split], i), z = px(noisy![split], i);
      for (let k = 0; k < 784; k++) {
        if (Math.abs(b[k]! - 0.7 * a[k]!) > 0.5 + 1e-6) assert.fail(`T_near ${split} ${i} pixel ${k}: ${b[k]} != round(0.7 * ${a[k]})`);
        const y = Math.floor(k / 28), x = k % 28;
        if (c[k] !== 255 - a[x * 28 + (27 - y)]!) assert.fail(`T_sshift ${split} ${i} pixel ${k}`);
        diff += (z[k]! - a[k]!) ** 2; n++;
      }
      assert.deepEqual(px(again[split], i), z, 'the noise is fixed (same pixels on every load)');
    }
    const rms = Math.sqrt(diff / n);
    assert.ok(rms > 15 && rms < 32, `T_noisy's pixels differ from the source's by about the noise std less clamping (rms ${rms.toFixed(1)})`);
    assert.match(near!.describe().data['transform'] as string, /0\.7/);
    assert.match(noisy!.describe().data['transform'] as string, /32/);
  } finally { for (const t of [src, near!, noisy!, ssh!, again]) t.dispose(); }
});

test('a missing root is a DataError naming the file; loading leaks no tensors', () => {
  assert.throws(() => loadTask('fmnist:source', { labelsPerClass: 10, seed: 0, root: '/nonexistent/fm' }),
    (e: Error) => e instanceof DataError && /\/nonexistent\/fm\/train-images-idx3-ubyte/.test(e.message));
  clearTaskCache();
  const base = torch.liveTensors();
  const t0 = performance.now();
  const a = loadTask('fmnist:target-shift', { labelsPerClass: 100, seed: 1, valFraction: 0.1 });
  const ms = performance.now() - t0;
  const b = loadTask('fmnist:source', { labelsPerClass: 'all', seed: 1 });
  a.describe(); b.describe();
  a.dispose(); b.dispose();
  assert.ok(torch.liveTensors() > base, 'the cache holds the full datasets');
  clearTaskCache();
  assert.equal(torch.liveTensors(), base);
  console.log(`cold load of fmnist:target-shift: ${ms.toFixed(0)} ms`);
});

/** The properties every procedural generator (generateProcedural) must have, checked the same way for each. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { torch, ConfigError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Dataset, TextureOptions } from '../../src/data/index.js';

export const hash = (t: Tensor): string => createHash('sha256').update(t.bytes()).digest('hex');

/**
 * 40 images per class: deterministic per seed, different across seeds and splits, uint8 [200, 1, 28, 28], the
 * classes balanced and interleaved, option errors that name `fn` and the field, nothing leaked. `extra` runs on
 * the first set before it is disposed.
 */
export function checkGenerator(fn: string, generate: (o: TextureOptions) => Dataset, classes: readonly string[], extra?: (a: Dataset) => void): void {
  const base = torch.liveTensors();
  const a = generate({ perClass: 40, seed: 5, split: 'train' });
  const b = generate({ perClass: 40, seed: 5, split: 'train' });
  const c = generate({ perClass: 40, seed: 6, split: 'train' });
  const d = generate({ perClass: 40, seed: 5, split: 'test' });
  try {
    assert.equal(hash(a.images), hash(b.images));
    assert.deepEqual(a.labelArray(), b.labelArray());
    assert.notEqual(hash(a.images), hash(c.images));
    assert.notEqual(hash(a.images), hash(d.images));
    assert.deepEqual(a.images.shape, [200, 1, 28, 28]);
    assert.equal(a.images.dtype, 'uint8');
    assert.deepEqual(a.classCounts(), [40, 40, 40, 40, 40]);
    assert.deepEqual(a.classes, classes);
    const lab = a.labelArray();
    assert.ok(lab.slice(0, 40).some((v) => v !== lab[0]), 'classes are interleaved, not in blocks');
    extra?.(a);
  } finally { for (const ds of [a, b, c, d]) ds.dispose(); }
  assert.equal(torch.liveTensors(), base);
  const rejects = (o: unknown, re: RegExp): void => assert.throws(() => generate(o as TextureOptions), (e: Error) => e instanceof ConfigError && re.test(e.message), String(re));
  rejects({ perClass: 0, seed: 1, split: 'train' }, new RegExp(`${fn}\\.perClass must be an integer >= 1, got 0`));
  rejects({ perClass: 2, seed: 1.5, split: 'train' }, new RegExp(`${fn}\\.seed must be a safe integer, got 1\\.5`));
  rejects({ perClass: 2, seed: 1, split: 'val' }, new RegExp(`${fn}\\.split must be 'train' or 'test', got "val"`));
  rejects(null, new RegExp(`${fn} options must be an object`));
  assert.equal(torch.liveTensors(), base);
}

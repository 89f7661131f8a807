/**
 * Loopback tests of the c10d collectives (2 and 3 processes): values, a timeout
 * naming the rank, and a worker that dies making its peer fail fast. Skipped,
 * with a message, where the addon was built without Gloo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as dist from '../../src/core/distributed.js';
import { lastJson, launch } from './helpers.js';
import { needs } from '../require.js';

const WORKER = fileURLToPath(new URL('./worker-collectives.js', import.meta.url));
const skip = needs('distributed support (Gloo: install libgloo-dev and rebuild the addon)', dist.isAvailable());

interface Out { rank: number; world: number; sum: number[]; avg: number[]; max: number[]; bucket1: number[]; bucket2: number[]; bcast: number[]; gather: number[][];
  error?: { name: string; message: string; rank: number; timedOut: boolean; isTyped: boolean } }

for (const w of [2, 3]) {
  test(`collectives over ${w} processes return the right values`, { skip }, async () => {
    const rs = await launch(WORKER, ['ok'], w);
    const s = (w * (w + 1)) / 2;
    for (const r of rs) {
      const o = lastJson<Out>(r);
      assert.equal(o.error, undefined, JSON.stringify(o.error));
      assert.equal(o.world, w);
      assert.deepEqual(o.sum, [s, 10 * s]);
      assert.deepEqual(o.avg, [(w + 1) / 2, 2]);
      assert.deepEqual(o.max, [w - 1, 0]);
      assert.deepEqual(o.bucket1, [s, s, s, s]);
      assert.deepEqual(o.bucket2, [0, 3, 1, 4, 2, 5].map((v) => v * s));
      assert.deepEqual(o.bcast, [7, 7, 7]);
      assert.deepEqual(o.gather, Array.from({ length: w }, (_, k) => [k, k * k]));
    }
  });
}

test('a collective that times out rejects with a DistributedError naming the rank', { skip }, async () => {
  const [r0, r1] = await launch(WORKER, ['timeout'], 2, { ADAPTUNE_DIST_TIMEOUT_MS: '1500', ADAPTUNE_DIST_INIT_TIMEOUT_MS: '60000' });
  const o = lastJson<Out>(r1!);
  assert.ok(o.error, 'rank 1 should fail');
  assert.equal(o.error.isTyped, true);
  assert.equal(o.error.name, 'DistributedError');
  assert.equal(o.error.rank, 1);
  assert.equal(o.error.timedOut, true);
  assert.match(o.error.message, /^rank 1 of 2: barrier: /);
  assert.equal(lastJson<Out>(r0!).error, undefined);
});

test('a worker killed with SIGKILL makes its peer fail with an error, by the lost connection rather than the timeout', { skip }, async () => {
  const [r0, r1] = await launch(WORKER, ['die'], 2, { ADAPTUNE_DIST_TIMEOUT_MS: '20000' });
  assert.equal(r1!.signal, 'SIGKILL');
  const o = lastJson<Out>(r0!);
  assert.ok(o.error, 'rank 0 should fail');
  assert.equal(o.error.name, 'DistributedError');
  assert.match(o.error.message, /^rank 0 of 2: allReduce: /);
  // an event, not a stopwatch: the peer's death is detected (its connection drops), not waited out to the timeout
  assert.equal(o.error.timedOut, false, `rank 0 timed out instead of seeing the dead peer (${r0!.ms} ms): ${o.error.message}`);
});

test('without a process group the API says so', { skip }, () => {
  assert.equal(dist.isInitialized(), false);
  assert.throws(() => dist.getRank(), /no process group/);
});

/**
 * SyncBatchNorm (DataParallelOptions.syncBatchNorm) on 2 loopback processes:
 * 2 x batch 4 with it trains a BatchNorm2d/BatchNorm1d model to the weights and
 * running statistics of 1 process x batch 8 with plain batch norm (<= 1e-5);
 * without it they differ (per-rank statistics), so the check can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as dist from '../../src/core/distributed.js';
import { lastJson, launch } from './helpers.js';
import { needs } from '../require.js';

const WORKER = fileURLToPath(new URL('./worker-syncbn.js', import.meta.url));
const skip = needs('distributed support (Gloo: install libgloo-dev and rebuild the addon)', dist.isAvailable());

interface Out { rank: number; sync: boolean; maxDiff: number; restored: string }

test('SyncBatchNorm: 2 x batch 4 = 1 x batch 8 (weights and running stats, 3 SGD steps, overlap on and off); per-rank statistics differ', { skip }, async (t) => {
  const on = (await launch(WORKER, [], 2, { SYNCBN: '1', OVERLAP: '1' })).map((r) => lastJson<Out>(r));
  // the SyncBatchNorm all-reduces inside backward interleave with the overlapped buckets: also without overlap
  const onPlain = (await launch(WORKER, [], 2, { SYNCBN: '1', OVERLAP: '0' })).map((r) => lastJson<Out>(r));
  const off = (await launch(WORKER, [], 2, { SYNCBN: '0', OVERLAP: '1' })).map((r) => lastJson<Out>(r));
  t.diagnostic(`max |difference| with SyncBatchNorm ${on[0]!.maxDiff} (overlap off: ${onPlain[0]!.maxDiff}), without ${off[0]!.maxDiff}`);
  for (const r of [...on, ...onPlain]) {
    assert.ok(r.maxDiff <= 1e-5, `rank ${r.rank}: ${r.maxDiff}`);
    assert.equal(r.restored, 'yes');
  }
  for (const r of off) assert.ok(r.maxDiff > 1e-3, `rank ${r.rank}: without SyncBatchNorm only ${r.maxDiff}`);
});

/**
 * Overlapped gradient all-reduce (GradientReducer: buckets start inside the
 * backward pass) on 2 loopback processes. Through the Trainer: overlapped
 * 2 x batch 4 ends where 1 process x batch 8 does (<= 1e-6) and bitwise where
 * the non-overlapped path does, also with gradient accumulation and with many
 * small buckets; a NaN loss on one rank makes both skip. Directly
 * (worker-overlap.ts): buckets really start during backward, gradients equal a
 * one-process computation with a parameter unused on one rank and one unused
 * on both, an infinite gradient on one rank reaches every rank, a failure
 * inside backward and disposing leave no hooks and no crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as dist from '../../src/core/distributed.js';
import { tmp } from '../train/fixtures.js';
import { lastJson, launch } from './helpers.js';
import { needs } from '../require.js';

const TRAIN = fileURLToPath(new URL('./worker-train.js', import.meta.url));
const DIRECT = fileURLToPath(new URL('./worker-overlap.js', import.meta.url));
const skip = needs('distributed support with gradient hooks (Gloo: install libgloo-dev and rebuild the addon)', dist.hasGradientHooks());
const base = { seed: 3, epochs: 2, optim: { name: 'sgd', lr: 0.1, momentum: 0.9 }, checkpoint: { every: 0 }, log: { tensorboard: false }, guard: { nonFinite: 'skip' } };

interface Out { rank: number; status: string; step: number; skipped: number; weights: Record<string, number[]> }

function maxDiff(a: Out, b: Out): number {
  let m = 0;
  for (const [k, v] of Object.entries(a.weights)) v.forEach((x, i) => { m = Math.max(m, Math.abs(x - b.weights[k]![i]!)); });
  return m;
}

async function ranks(o: Record<string, unknown>, perRank: (r: number) => Record<string, unknown> = () => ({})): Promise<Out[]> {
  const rs = await launch(TRAIN, [], 2, (r) => ({ DP_OPTS: JSON.stringify({ ...o, ...perRank(r), runDir: tmp(`ov-r${r}`) }) }));
  return rs.map((r) => lastJson<Out>(r));
}
async function single(o: Record<string, unknown>): Promise<Out> {
  const [r] = await launch(TRAIN, [], 0, { DP_OPTS: JSON.stringify({ ...o, runDir: tmp('ov-1') }) });
  return lastJson<Out>(r!);
}

for (const accumulate of [1, 2]) {
  test(`overlapped 2 x batch 4 = 1 x batch 8 = non-overlapped (accumulate ${accumulate}, one bucket and per-parameter buckets)`, { skip }, async (t) => {
    const config = { ...base, accumulate };
    const one = await single({ batchSize: 8, config });
    const on = await ranks({ batchSize: 4, config, parallel: { overlap: true } });
    const off = await ranks({ batchSize: 4, config, parallel: { overlap: false } });
    const tiny = await ranks({ batchSize: 4, config, parallel: { overlap: true, bucketMb: 1e-6 } });
    assert.equal(one.step, accumulate === 1 ? 10 : 6);
    for (const r of [...on, ...off, ...tiny]) assert.equal(r.step, one.step);
    t.diagnostic(`max |w(overlap, 2 x 4) - w(1 x 8)| = ${maxDiff(on[0]!, one)}`);
    assert.ok(maxDiff(on[0]!, one) <= 1e-6, `overlap vs 1 process: ${maxDiff(on[0]!, one)}`);
    assert.equal(maxDiff(on[0]!, on[1]!), 0, 'the ranks ended with different weights');
    assert.equal(maxDiff(on[0]!, off[0]!), 0, 'overlapped and non-overlapped paths differ');
    assert.equal(maxDiff(tiny[0]!, off[0]!), 0, 'per-parameter buckets differ from the non-overlapped path');
    assert.equal(maxDiff(tiny[0]!, tiny[1]!), 0);
  });
}

test('a NaN loss on rank 1 only makes both ranks skip that step (overlap on; rank 0 launched its buckets inside backward)', { skip }, async () => {
  const o = { batchSize: 4, config: base, parallel: { overlap: true, bucketMb: 1e-6 } };
  const [a, b] = await ranks(o, (r) => (r === 1 ? { nanAtStep: 4 } : {}));
  const [c] = await ranks({ ...o, parallel: { overlap: false } }, (r) => (r === 1 ? { nanAtStep: 4 } : {}));
  assert.equal(a!.skipped, 1);
  assert.equal(b!.skipped, 1);
  assert.equal(a!.step, 10);
  assert.equal(maxDiff(a!, b!), 0, 'the ranks ended with different weights');
  assert.equal(maxDiff(a!, c!), 0, 'overlapped and non-overlapped paths differ');
});

test('direct: buckets start inside backward; unused parameters; accumulation; an infinite gradient on one rank; a failure inside backward; dispose', { skip }, async () => {
  const rs = await launch(DIRECT, [], 2);
  for (const r of rs) assert.equal(r.code, 0, `rank ${r.rank} exited ${r.code}:\n${r.stderr}`);
  const [a, b] = rs.map((r) => lastJson<Record<string, unknown>>(r)) as [Record<string, unknown>, Record<string, unknown>];
  // the worker asserts the details itself and prints what it checked
  assert.deepEqual(a['checked'], b['checked']);
  assert.ok((a['checked'] as string[]).length >= 8, JSON.stringify(a));
});

/**
 * Data-parallel training on 2 loopback processes: the same weights as one
 * process with the doubled batch (max |difference| <= 1e-6), disjoint shards
 * covering the single-process batches, only rank 0 writing, and resume.
 * Skipped, with a message, where the addon was built without Gloo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as dist from '../../src/core/distributed.js';
import { tmp } from '../train/fixtures.js';
import { lastJson, launch } from './helpers.js';
import { needs } from '../require.js';

const WORKER = fileURLToPath(new URL('./worker-train.js', import.meta.url));
const skip = needs('distributed support (Gloo: install libgloo-dev and rebuild the addon)', dist.isAvailable());
const CONFIG = { seed: 3, epochs: 2, optim: { name: 'sgd', lr: 0.1, momentum: 0.9 }, checkpoint: { every: 1, keep: 20 }, log: { tensorboard: false } };

interface Out { rank: number; parallel?: unknown; status: string; step: number; epochsRun?: number; seen: number[][]; jitters: number[]; after: number[]; weights: Record<string, number[]>; ema: number[] }

function maxDiff(a: Out, b: Out): number {
  let m = 0;
  for (const [k, v] of Object.entries(a.weights)) v.forEach((x, i) => { m = Math.max(m, Math.abs(x - b.weights[k]![i]!)); });
  a.ema.forEach((x, i) => { m = Math.max(m, Math.abs(x - b.ema[i]!)); });
  return m;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

test('2 processes with batch 4 end where 1 process with batch 8 does; shards are disjoint; only rank 0 writes; resume', { skip }, async (t) => {
  const one = tmp('dp1');
  const [r1] = await launch(WORKER, [], 0, { DP_OPTS: JSON.stringify({ runDir: one, batchSize: 8, config: CONFIG }) });
  const single = lastJson<Out>(r1!);
  const dirs = [tmp('dp-r0'), tmp('dp-r1')];
  const [a, b] = await launchRanks(dirs, { batchSize: 4, config: CONFIG });
  assert.equal(single.status, 'completed');
  assert.equal(a!.status, 'completed');
  // the start event says what is in force: the defaults here, nothing in a single process
  assert.equal(single.parallel, null);
  assert.deepEqual(a!.parallel, { worldSize: 2, overlap: dist.hasGradientHooks(), syncBatchNorm: false, bucketMb: 25, buffers: 'average' });
  assert.equal(a!.step, single.step);
  assert.equal(single.step, 10);
  // the epochs that ran, counted in the rank's own shard (the CLI's summary said half of them before)
  assert.equal(single.epochsRun, 2);
  assert.equal(a!.epochsRun, 2);
  // same data: global step s = rank 0's batch s + rank 1's batch s = the single process's batch s
  for (let s = 0; s < single.step; s++) {
    const x = a!.seen[s]!;
    const y = b!.seen[s]!;
    assert.equal(x.filter((i) => y.includes(i)).length, 0, `step ${s}: ranks share examples`);
    assert.deepEqual([...x, ...y].sort((p, q) => p - q), [...single.seen[s]!].sort((p, q) => p - q));
  }
  t.diagnostic(`max |w(2 processes, batch 4) - w(1 process, batch 8)| = ${maxDiff(a!, single)}`);
  assert.ok(maxDiff(a!, single) <= 1e-6, `rank 0 vs 1 process: max |diff| ${maxDiff(a!, single)}`);
  assert.equal(maxDiff(a!, b!), 0, 'the ranks ended with different weights');
  // only rank 0 writes
  assert.deepEqual(filesUnder(dirs[1]!), []);
  assert.ok(readdirSync(join(dirs[0]!, 'checkpoints')).some((f) => f.startsWith('step-')));
  assert.ok(filesUnder(dirs[0]!).some((f) => f.endsWith('metrics.jsonl')));
  // resume both ranks from rank 0's step-3 checkpoint (a copy of the run): the same end
  const copy = tmp('dp-resume');
  cpSync(dirs[0]!, copy, { recursive: true });
  const ck = readdirSync(join(copy, 'checkpoints')).filter((f) => f.startsWith('step-')).sort()[2]!;
  const resumed = await launchRanks([copy, copy], { batchSize: 4, config: CONFIG, resume: join(copy, 'checkpoints', ck) });
  assert.equal(resumed[0]!.step, 10);
  assert.equal(maxDiff(resumed[0]!, a!), 0, 'resumed run differs from the uninterrupted one');
  assert.equal(resumed[1]!.seen.length, 7, 'rank 1 should have trained the 7 remaining steps');
});

test('per-rank streams: ranks draw different dropout masks and task randomness; a resumed run draws what it would have', { skip }, async () => {
  const o = { batchSize: 4, config: CONFIG, dropout: 0.5, jitter: true };
  const dirs = [tmp('dp-seed-r0'), tmp('dp-seed-r1')];
  const [a, b] = await launchRanks(dirs, o);
  assert.equal(a!.step, 10);
  assert.equal(a!.jitters.length, 10);
  a!.jitters.forEach((j, s) => assert.notEqual(j, b!.jitters[s], `step ${s}: both ranks drew jitter ${j}`));
  assert.notDeepEqual(a!.after, b!.after, "the ranks' libtorch generators are in the same state");
  assert.equal(maxDiff(a!, b!), 0, 'the ranks ended with different weights');
  // with dropout and task randomness on, resuming both ranks at step 3 still ends where the uninterrupted run did
  const copy = tmp('dp-seed-resume');
  cpSync(dirs[0]!, copy, { recursive: true });
  const ck = readdirSync(join(copy, 'checkpoints')).filter((f) => f.startsWith('step-')).sort()[2]!;
  const [ra, rb] = await launchRanks([copy, copy], { ...o, resume: join(copy, 'checkpoints', ck) });
  assert.equal(ra!.step, 10);
  assert.deepEqual(rb!.jitters, b!.jitters.slice(3));
  assert.equal(maxDiff(ra!, a!), 0, 'the resumed run differs from the uninterrupted one');
  // dropout is active here: the weights depend on the masks
  const [c] = await launchRanks([tmp('dp-seed-nodrop-r0'), tmp('dp-seed-nodrop-r1')], { ...o, dropout: 0 });
  assert.ok(maxDiff(c!, a!) > 1e-4, 'dropout had no effect on the weights');
});

test("the config's parallel section (--set parallel.*) reaches the data-parallel engine; TrainOptions.parallel overrides it field by field", { skip }, async () => {
  const config = { ...CONFIG, epochs: 1, parallel: { overlap: false, bucketMb: 1, syncBatchNorm: true, buffers: 'broadcast' } };
  const [a] = await launchRanks([tmp('dp-cfg-r0'), tmp('dp-cfg-r1')], { batchSize: 4, config });
  assert.equal(a!.status, 'completed');
  assert.deepEqual(a!.parallel, { worldSize: 2, overlap: false, bucketMb: 1, syncBatchNorm: true, buffers: 'broadcast' });
  const [b] = await launchRanks([tmp('dp-cfg2-r0'), tmp('dp-cfg2-r1')], { batchSize: 4, config, parallel: { bucketMb: 2, syncBatchNorm: false } });
  assert.deepEqual(b!.parallel, { worldSize: 2, overlap: false, bucketMb: 2, syncBatchNorm: false, buffers: 'broadcast' });
});

async function launchRanks(dirs: string[], o: Record<string, unknown>): Promise<Out[]> {
  const rs = await launch(WORKER, [], dirs.length, (rank) => ({ DP_OPTS: JSON.stringify({ ...o, runDir: dirs[rank] }) }));
  return rs.map((r) => lastJson<Out>(r));
}

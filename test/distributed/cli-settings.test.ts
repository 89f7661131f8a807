/**
 * The data-parallel settings through the CLI: `finetune --nproc 2 --set parallel.*` reaches every worker's engine
 * (rank 0's progress line names what is in force) and is saved in the run's config; a resume with another
 * setting is refused naming the field, and a plain resume keeps the run's settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dist from '../../src/core/distributed.js';
import { ROOT } from '../helpers.js';
import { claimPort } from './helpers.js';
import { needs } from '../require.js';

const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const skip = needs('distributed support (Gloo: install libgloo-dev and rebuild the addon)', dist.isAvailable());

function cli(args: string[]): { status: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ADAPTUNE_NUM_THREADS: '1' } });
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('finetune --nproc 2 --set parallel.*: in force on the workers, saved, kept on resume', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'adaptune-dp-cli-'));
  const { port, release } = await claimPort();
  try {
    const run = join(dir, 'run');
    const base = ['finetune', '--nproc', '2', '--master-port', String(port), '--labels-per-class', '5', '--batch-size', '8'];
    const a = cli([...base, '--max-steps', '2', '--set', 'parallel.syncBatchNorm=true', '--set', 'parallel.overlap=false', '--set', 'parallel.bucketMb=5', '--out', run]);
    assert.equal(a.status, 0, a.err);
    assert.match(a.err, /data-parallel over 2 processes \(overlap off, 5 MiB buckets, SyncBatchNorm\)/);
    assert.deepEqual(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).parallel, { overlap: false, bucketMb: 5, syncBatchNorm: true, buffers: 'average' });
    const refused = cli([...base, '--max-steps', '3', '--resume', run, '--set', 'parallel.syncBatchNorm=false', '--set', 'parallel.overlap=false', '--set', 'parallel.bucketMb=5']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.err, /parallel\.syncBatchNorm: the run has true, now false/);
    // a resume keeps the run's own settings
    const resumed = cli([...base, '--max-steps', '3', '--resume', run]);
    assert.equal(resumed.status, 0, resumed.err);
    assert.match(resumed.err, /at step 2: 3 steps.*data-parallel over 2 processes \(overlap off, 5 MiB buckets, SyncBatchNorm\)/);
  } finally {
    release();
    rmSync(dir, { recursive: true, force: true });
  }
});

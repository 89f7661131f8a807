/** The --nproc launcher: flag parsing, per-rank arguments, the torchrun environment, a dying worker stopping the others. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, parseLaunch, rankArgs } from '../../src/cli/launch.js';
import { CliError } from '../../src/cli/args.js';
import { tmp } from '../train/fixtures.js';

const WORKER = fileURLToPath(new URL('./worker-launch.js', import.meta.url));

test('parseLaunch takes the torchrun flags out and checks them', () => {
  assert.equal(parseLaunch(['finetune', '--epochs', '2']), null);
  const a = parseLaunch(['finetune', '--nproc', '2', '--epochs', '2', '--master-port=29999', '--nnodes', '2', '--node-rank', '1', '--master-addr', '10.0.0.1'])!;
  assert.deepEqual(a, { nproc: 2, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 29999, rest: ['finetune', '--epochs', '2'] });
  assert.throws(() => parseLaunch(['finetune', '--nproc', '0']), (e: Error) => e instanceof CliError && /--nproc must be an integer >= 1/.test(e.message));
  assert.throws(() => parseLaunch(['finetune', '--nproc', '2', '--node-rank', '1']), /--node-rank must be below --nnodes/);
  assert.throws(() => parseLaunch(['--nproc', '2']), /needs a command/);
  assert.throws(() => parseLaunch(['x', '--nproc', '2', '--master-port', '70000']), /--master-port must be an integer in \[1, 65535\]/);
  assert.equal(parseLaunch(['x', '--nproc-per-node=3'])!.nproc, 3);
  assert.throws(() => parseLaunch(['x', '--nproc', '2', '--nproc-per-node', '2']), /not both/);
  assert.throws(() => parseLaunch(['x', '--nproc', '2', '--nproc', '3']), /--nproc is given more than once/);
  assert.throws(() => parseLaunch(['x', '--nnodes', '2']), /go with --nproc/);
  assert.throws(() => parseLaunch(['x', '--nproc']), /--nproc needs a value/);
});

test('rankArgs gives other ranks a scratch --out, or with --resume a mirror of the run (and no --out, which --resume refuses)', () => {
  assert.deepEqual(rankArgs(['finetune', '--out', 'runs/a', '--json'], '/s'), ['finetune', '--out', '/s', '--json']);
  assert.deepEqual(rankArgs(['finetune', '--out=runs/a'], '/s'), ['finetune', '--out', '/s']);
  assert.deepEqual(rankArgs(['finetune'], '/s'), ['finetune', '--out', '/s']);
  const run = tmp('launch-run');
  mkdirSync(join(run, 'checkpoints'));
  writeFileSync(join(run, 'cli.json'), '{}');
  const scratch = tmp('launch-scratch');
  const args = rankArgs(['finetune', '--resume', run], scratch);
  const m = join(scratch, 'resume');
  assert.deepEqual(args, ['finetune', '--resume', m]);
  assert.ok(existsSync(join(m, 'cli.json')));
  assert.equal(readlinkSync(join(m, 'checkpoints')), join(run, 'checkpoints'));
});

test('the workers get the torchrun environment', async () => {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => { lines.push(String(s)); return true; }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await launch({ nproc: 2, nnodes: 2, nodeRank: 1, masterAddr: '127.0.0.1', masterPort: 29777, rest: ['env', '--out', 'x'] }, WORKER);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 0);
  // rank 2 is local rank 0 here (node 1): its stdout is inherited; rank 3's comes prefixed on stderr
  const r3 = lines.find((l) => l.startsWith('[rank 3] '));
  assert.ok(r3, lines.join(''));
  const o = JSON.parse(r3.slice('[rank 3] '.length)) as { env: Record<string, string>; argv: string[] };
  assert.deepEqual(o.env, { RANK: '3', LOCAL_RANK: '1', WORLD_SIZE: '4', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29777', ADAPTUNE_DIST_WORKER: '1' });
  assert.equal(o.argv[0], '--out');
  assert.notEqual(o.argv[1], 'x');
});

test('a worker that dies makes the launcher stop the others and fail, naming the rank', { timeout: 120_000 }, async () => {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => { lines.push(String(s)); return true; }) as typeof process.stderr.write;
  let code: number;
  try {
    // rank 0 never exits on its own (worker-launch.ts): launch() returning at all shows the launcher stopped it
    code = await launch({ nproc: 2, nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', masterPort: 29778, rest: ['die'] }, WORKER);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 3);
  assert.ok(lines.some((l) => /worker rank 1 \(pid \d+\) exited with code 3; stopping the other workers/.test(l)), lines.join(''));
});

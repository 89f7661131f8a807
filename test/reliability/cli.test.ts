/**
 * CLI and new-user reliability (issue 21): F13 one message and exit 2 for user errors (1 for runtime
 * failures), a JS stack only with ADAPTUNE_DEBUG=1; `version --json`; the tidy(async) message names functions
 * that exist; 3-channel weights on a 1-channel task fail before the run directory exists; report
 * --tensorboard keeps the training events file; a run keeps its colour across the plots of a report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch, models } from '../../src/index.js';
import { parseCli, type FinetuneArgs } from '../../src/cli/args.js';
import { runFinetune } from '../../src/cli/finetune.js';
import { writeWeights } from '../../src/models/index.js';
import { ensureTensorBoard, train } from '../../src/train/index.js';
import { buildPlots } from '../../src/train/report/specs.js';
import type { RunData } from '../../src/train/report/load.js';
import type { FeatureModel } from '../../src/models/index.js';
import { makeDataset, makeLoader, TinyTask, tinyConfig } from '../train/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const tmp = mkdtempSync(join(tmpdir(), 'adaptune-cli-rel-'));

function run(argv: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8', env: { ...process.env, ADAPTUNE_NUM_THREADS: '1', ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('F13 user errors: one line, exit 2, no stack; ADAPTUNE_DEBUG=1 shows the stack', () => {
  const dir = join(tmp, 'not-weights.safetensors');
  mkdirSync(dir);
  writeFileSync(join(tmp, 'not-weights.json'), JSON.stringify({ sha256: 'x', model: { name: 'cifar_resnet20', config: {} } }));
  const cases = [
    ['finetune', '--data', 'no-such-task', '--out', join(tmp, 'o1')],
    ['finetune', '--weights', join(tmp, 'absent.safetensors'), '--out', join(tmp, 'o2')],
    ['finetune', '--set', '__proto__.polluted=1', '--out', join(tmp, 'o3')],
    ['finetune', '--set', 'optim=5', '--out', join(tmp, 'o4')],
    ['report', join(tmp, 'no-such-run')],
  ];
  for (const argv of cases) {
    const r = run(argv);
    assert.equal(r.status, 2, `${argv.join(' ')}: exit ${r.status}; ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${argv.join(' ')}: one line, got ${r.stderr}`);
    assert.ok(!/\n\s+at /.test(r.stderr), `${argv.join(' ')}: no stack`);
  }
  const dbg = run(cases[3]!, { ADAPTUNE_DEBUG: '1' });
  assert.equal(dbg.status, 2);
  assert.match(dbg.stderr, /\n\s+at /, 'ADAPTUNE_DEBUG=1 shows the stack');
});

test('version --json prints one JSON object', () => {
  const r = run(['version', '--json']);
  assert.equal(r.status, 0);
  const v = JSON.parse(r.stdout) as Record<string, string>;
  assert.deepEqual(Object.keys(v), ['adaptune', 'libtorch', 'node']);
  assert.equal(v['libtorch'], torch.version().libtorch);
});

test('tidy(async fn) names only functions that exist', () => {
  let msg = '';
  try { torch.tidy((async () => 1) as never); } catch (e) { msg = (e as Error).message; }
  assert.match(msg, /must be synchronous/);
  const named = [...msg.matchAll(/(torch\.\w+|\b\w+)\(\)/g)].map((m) => m[1]!);
  assert.ok(named.length >= 2, msg);
  const t = torch.ones([1]);
  for (const n of named) {
    const fn = n.startsWith('torch.') ? (torch as Record<string, unknown>)[n.slice(6)] : n === 'dispose' ? t.dispose : undefined;
    assert.equal(typeof fn, 'function', `'${n}()' in "${msg}" exists`);
  }
  t.dispose();
});

test('weights with 3 input channels on a 1-channel task: the gray images are replicated to RGB, and the log says so', async () => {
  const weights = join(tmp, 'rgb.safetensors');
  const model = models.createModel('cifar_resnet20', { width: 4, inChannels: 3, numClasses: 10 }) as unknown as FeatureModel;
  writeWeights(model, weights, { model: { name: 'cifar_resnet20', config: { width: 4, inChannels: 3, numClasses: 10 } }, task: {}, training: {}, sourceTestAccuracy: null, command: 'test', elapsedSec: null });
  model.dispose();
  const out = join(tmp, 'rgb-run');
  const argv = ['finetune', '--weights', weights, '--labels-per-class', '10', '--set', 'maxSteps=1', '--out', out];
  const a = (parseCli(argv) as unknown as { options: FinetuneArgs }).options;
  const r = await runFinetune(a, { quiet: true, handleSignals: false, argv });
  assert.equal(r.status, 'completed');
  assert.deepEqual([r.preprocessing.channels, r.preprocessing.channelAdapt], [3, 'gray-to-rgb']);
  assert.match(readFileSync(join(out, 'log.txt'), 'utf8'), /3 channel\(s\) at 28x28 \(resize 28, channels gray-to-rgb\)/);
});

test('report --tensorboard keeps the events file written during training; a run keeps its colour in every plot', async () => {
  const ds = makeDataset();
  const dirs: string[] = [];
  for (const name of ['a', 'b']) {
    const task = new TinyTask();
    const dir = join(tmp, `tb-${name}`);
    // run a evaluates (eval records), run b does not: b is absent from the eval plots
    await train(task, tinyConfig({ epochs: 1, log: { every: 1, tensorboard: true }, eval: { atEpochEnd: name === 'a' } }), { data: makeLoader(ds), runDir: dir, handleSignals: false });
    task.dispose();
    dirs.push(dir);
  }
  ds.dispose();
  const before = readdirSync(join(dirs[0]!, 'tensorboard'));
  const r = ensureTensorBoard(dirs[0]!);
  assert.equal(r.existing, true);
  assert.deepEqual(readdirSync(join(dirs[0]!, 'tensorboard')), before, 'no second events file');
  const runs: RunData[] = dirs.map((d, i) => ({ name: `run${i}`, dir: d, config: null, summary: null, metrics: i === 0
    ? [{ split: 'train', step: 1, loss: 1 }, { split: 'eval', step: 1, loss: 2 }] : [{ split: 'train', step: 1, loss: 1.5 }] }));
  const { plots } = buildPlots(runs as never);
  const domains = plots.filter((p) => p.kind !== 'heatmap').map((p) => JSON.stringify((p.spec as { encoding: { color: { scale: { domain: string[] } } } }).encoding.color.scale.domain));
  assert.ok(domains.length >= 2);
  assert.deepEqual(new Set(domains), new Set([JSON.stringify(['run0', 'run1'])]), 'one colour domain in every plot');
});

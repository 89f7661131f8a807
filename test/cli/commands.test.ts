/** Smoke tests of pretrain and finetune (and --resume) through their library entries, with tiny budgets (quickstart --quick: test/methods/library-examples.test.ts runs the README's example once and checks it with test/quickstart-checks.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli, type FinetuneArgs, type PretrainArgs } from '../../src/cli/args.js';
import { runPretrain } from '../../src/cli/pretrain.js';
import { runFinetune } from '../../src/cli/finetune.js';
import { loadPretrained, sha256File, sidecarPath } from '../../src/models/index.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-cli-'));
const args = <T>(argv: string[]): T => (parseCli(argv) as unknown as { options: T }).options;
const quiet = { quiet: true, handleSignals: false } as const;

test('pretrain with a tiny budget writes weights, sidecar (sha256, accuracy, command), config, log and summary; the export loads', async () => {
  const out = join(root, 'pt');
  const exp = join(root, 'export', 'b.safetensors');
  const argv = ['pretrain', '--labels-per-class', '10', '--width', '4', '--batch-size', '16', '--set', 'maxSteps=2', '--set', 'log.every=1', '--out', out, '--export', exp, '--seed', '1'];
  const r = await runPretrain(args<PretrainArgs>(argv), { ...quiet, argv });
  assert.equal(r.status, 'completed');
  assert.equal(r.steps, 2);
  for (const f of ['weights.safetensors', 'weights.json', 'config.json', 'metrics.jsonl', 'log.txt', 'summary.json']) assert.ok(existsSync(join(out, f)), f);
  const side = JSON.parse(readFileSync(sidecarPath(exp), 'utf8')) as Record<string, unknown>;
  assert.equal(side['sha256'], sha256File(exp));
  assert.equal(side['command'], `adaptune ${argv.join(' ')}`);
  assert.deepEqual(side['model'], { name: 'cifar_resnet20', config: { width: 4, inChannels: 1, numClasses: 5 } });
  assert.ok(typeof side['sourceTestAccuracy'] === 'number' && side['sourceTestAccuracy'] >= 0 && side['sourceTestAccuracy'] <= 1);
  assert.equal((side['task'] as { testSize: number }).testSize, 5000);
  assert.ok(typeof (side['versions'] as { libtorch: string }).libtorch === 'string');
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { test: { accuracy: number }; status: string };
  assert.equal(summary.status, 'completed');
  assert.equal(summary.test.accuracy, r.testAccuracy);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { maxSteps: number; seed: number; method: { strategy: string } };
  assert.deepEqual([cfg.maxSteps, cfg.seed, cfg.method.strategy], [2, 1, 'scratch']);
  const { model } = loadPretrained(exp, { numClasses: 3 });
  assert.equal(model.numClasses, 3);
  model.dispose();
});

test('finetune from --weights with a tiny budget, then --resume continues the same run', async () => {
  const weights = join(root, 'export', 'b.safetensors');
  const out = join(root, 'ft');
  const argv = ['finetune', '--weights', weights, '--labels-per-class', '10', '--strategy', 'linear-probe', '--set', 'maxSteps=2', '--set', 'checkpoint.every=1', '--out', out];
  const r = await runFinetune(args<FinetuneArgs>(argv), { ...quiet, argv });
  assert.equal(r.steps, 2);
  assert.equal(r.strategy, 'linear-probe');
  assert.ok(r.testAccuracy >= 0 && r.testAccuracy <= 1);
  assert.equal(r.testImages, 5000);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { optim: { lr: number }; method: { numClasses: number } };
  assert.equal(cfg.method.numClasses, 5);
  assert.ok(Math.abs(cfg.optim.lr - 0.01) < 1e-12, 'elr 0.1 with momentum 0.9 resolves to lr 0.01');
  assert.throws(() => parseCli(['finetune', '--resume', out, '--config', 'x.json']), /cannot be combined/);
  await assert.rejects(runFinetune(args<FinetuneArgs>(['finetune', '--out', out, '--weights', weights]), quiet), /already holds a run/);
  const bad = join(root, 'ft-bad');
  await assert.rejects(runFinetune(args<FinetuneArgs>(['finetune', '--weights', join(root, 'missing.safetensors'), '--out', bad]), quiet), /missing\.safetensors does not exist/);
  assert.ok(!existsSync(bad), 'a bad --weights leaves no run directory');
  const again = await runFinetune(args<FinetuneArgs>(['finetune', '--resume', out]), quiet);
  assert.equal(again.steps, 2, 'a completed run resumes at its last step');
  assert.equal(again.data, 'fmnist:target-mid');
});

test('finetune --method adafilter with a tiny budget reports the gate statistics, records the method and resumes as adafilter', async () => {
  const weights = join(root, 'export', 'b.safetensors');
  const out = join(root, 'af');
  const argv = ['finetune', '--method', 'adafilter', '--weights', weights, '--labels-per-class', '10', '--gate', 'gru', '--stages', 'layer3',
    '--set', 'maxSteps=2', '--set', 'checkpoint.every=1', '--out', out];
  const r = await runFinetune(args<FinetuneArgs>(argv), { ...quiet, argv });
  assert.deepEqual([r.method, r.strategy, r.steps], ['adafilter', 'adafilter', 2]);
  assert.ok(r.testAccuracy >= 0 && r.testAccuracy <= 1);
  const layers = Object.keys(r.gates!.perLayer);
  assert.ok(layers.length === 7 && layers.every((p) => p.startsWith('layer3.')), layers.join());
  assert.ok(r.gates!.fraction >= 0 && r.gates!.fraction <= 1 && r.gates!.perClass.length === 5);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { optim: { lr: number }; method: { gate: string; stages: string[]; numClasses: number } };
  assert.deepEqual([cfg.method.gate, cfg.method.stages, cfg.method.numClasses, cfg.optim.lr], ['gru', ['layer3'], 5, 0.01]);
  assert.ok(!existsSync(join(out, 'weights.safetensors')), 'an AdaFilter model is no plain backbone');
  const again = await runFinetune(args<FinetuneArgs>(['finetune', '--resume', out]), quiet);
  assert.deepEqual([again.method, again.steps], ['adafilter', 2]);
  await assert.rejects(runFinetune(args<FinetuneArgs>(['finetune', '--method', 'adafilter', '--weights', weights, '--set', 'method.bogus=1', '--out', join(root, 'af-bad')]), quiet),
    /unknown adafilter config field 'method\.bogus'/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

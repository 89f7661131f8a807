/**
 * config.precision: bf16 runs the task's forward under autocast (weights and gradients stay float32, the loss
 * falls, the result differs from fp32 and is reproducible); fp16 needs CUDA (refused on the CPU, naming the
 * field; trained on CUDA when a GPU is present); fp32 configs hash as configs written before the field existed;
 * the --precision flag reaches every training command's config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import { configDiff, configHash, makeConfig, train } from '../../src/train/index.js';
import { finetuneConfig } from '../../src/methods/finetune/index.js';
import { adafilterConfig } from '../../src/methods/adafilter/index.js';
import { semisupConfig } from '../../src/methods/semisup/index.js';
import { adversarialConfig } from '../../src/methods/adversarial/index.js';
import { makeDataset, makeLoader, TinyTask, tinyConfig, tmp, weightsHash } from './fixtures.js';

const runWith = async (precision: 'fp32' | 'bf16'): Promise<{ hash: string; losses: number[]; dtypes: string[] }> => {
  const ds = makeDataset();
  const task = new TinyTask({ dropout: 0, jitter: false });
  const losses: number[] = [];
  const dtypes = new Set<string>();
  const orig = task.loss.bind(task);
  task.loss = (b, ctx) => { const r = orig(b, ctx); dtypes.add((r.output as torch.Tensor).dtype); return r; };
  await train(task, tinyConfig({ seed: 1, epochs: 4, precision, checkpoint: { atEpochEnd: false } }),
    { data: makeLoader(ds), runDir: tmp(`prec-${precision}`), handleSignals: false, onEvent: (e) => { if (e.type === 'step' && e.loss !== null) losses.push(e.loss); } });
  for (const p of task.model.parameters()) assert.equal(p.dtype, 'float32');
  const hash = weightsHash(task);
  task.dispose(); ds.dispose();
  return { hash, losses, dtypes: [...dtypes] };
};

test('bf16: the forward runs in bfloat16 under autocast, weights stay float32, the loss falls; reproducible; differs from fp32', async () => {
  const a = await runWith('bf16');
  assert.deepEqual(a.dtypes, ['bfloat16']);
  assert.ok(a.losses.length >= 8, `${a.losses.length} steps logged`);
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(mean(a.losses.slice(-3)) < mean(a.losses.slice(0, 3)), `loss ${a.losses.slice(0, 3)} -> ${a.losses.slice(-3)}`);
  const b = await runWith('bf16');
  assert.equal(a.hash, b.hash, 'the same bf16 run twice gives other weights');
  const f = await runWith('fp32');
  assert.deepEqual(f.dtypes, ['float32']);
  assert.notEqual(f.hash, a.hash, 'bf16 and fp32 gave the same weights: autocast had no effect');
});

test('fp16 with the model on the CPU is refused naming the field; bad values are refused', async () => {
  const task = new TinyTask();
  const ds = makeDataset();
  await assert.rejects(train(task, tinyConfig({ precision: 'fp16' }), { data: makeLoader(ds), runDir: tmp('prec-fp16'), handleSignals: false }),
    /config field 'precision' is 'fp16', which needs the model on CUDA .* use 'bf16' on the CPU/);
  assert.throws(() => makeConfig({ precision: 'fp8' }), /config field 'precision' must be one of 'fp32', 'bf16', 'fp16', got "fp8"/);
  task.dispose(); ds.dispose();
});

test('fp16 on CUDA with loss scaling: trains, the loss falls, weights stay float32', { skip: torch.cuda.isAvailable() ? false : 'no CUDA device' }, async () => {
  const ds = makeDataset();
  const task = new TinyTask({ dropout: 0, jitter: false });
  task.model.to('cuda');
  const orig = task.loss.bind(task);
  task.loss = (b, ctx) => orig({ ...b, x: b.x.to('cuda'), y: b.y.to('cuda') }, ctx);
  const losses: number[] = [];
  const r = await train(task, tinyConfig({ seed: 1, epochs: 4, precision: 'fp16', checkpoint: { atEpochEnd: false } }),
    { data: makeLoader(ds), runDir: tmp('prec-fp16-cuda'), handleSignals: false, onEvent: (e) => { if (e.type === 'step' && e.loss !== null) losses.push(e.loss); } });
  assert.equal(r.status, 'completed');
  assert.ok(losses[losses.length - 1]! < losses[0]!);
  for (const p of task.model.parameters()) assert.equal(p.dtype, 'float32');
  task.dispose(); ds.dispose();
});

test('an fp32 config hashes and compares as one written before the precision field existed', () => {
  const now = makeConfig({ seed: 3 });
  const { precision: _p, ...legacy } = now;
  assert.equal(now.precision, 'fp32');
  assert.equal(configHash(legacy as typeof now), configHash(now));
  assert.deepEqual(configDiff(legacy as typeof now, now), []);
  const bf = makeConfig({ seed: 3, precision: 'bf16' });
  assert.notEqual(configHash(bf), configHash(now));
  const d = configDiff(now, bf);
  assert.equal(d.length, 1, d.join('; '));
  assert.match(d[0]!, /^precision: /);
});

test('--precision reaches the config of every training command', async () => {
  const data = { data: 'fmnist:target-mid', labelsPerClass: 2 };
  assert.equal((await finetuneConfig({ ...data, precision: 'bf16' })).precision, 'bf16');
  assert.equal((await adafilterConfig({ ...data, precision: 'bf16' })).precision, 'bf16');
  assert.equal((await semisupConfig({ ...data, precision: 'bf16' })).precision, 'bf16');
  assert.equal((await adversarialConfig({ ...data, precision: 'bf16' })).precision, 'bf16');
  assert.equal((await finetuneConfig(data)).precision, 'fp32');
});

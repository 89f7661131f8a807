/** The loop: early stopping, complete seeding (R4), no leaks (R11), the run directory, progress rendering. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as torch from '../../src/core/torch.js';
import { LambdaLR } from '../../src/core/optim/index.js';
import { createProgress, formatDuration, gitRevision, train, type TrainEvent } from '../../src/train/index.js';
import { makeDataset, makeLoader, TinyTask, tinyConfig, tmp, weightsHash } from './fixtures.js';

test('early stopping: mode min with patience 2 stops two evaluations after the best', async () => {
  const ds = makeDataset();
  const task = new TinyTask({ evalSequence: [1, 0.5, 0.6, 0.55, 0.4] });
  const r = await train(task, tinyConfig({ eval: { every: 1, atEpochEnd: false }, earlyStop: { metric: 'score', mode: 'min', patience: 2 } }),
    { data: makeLoader(ds), runDir: tmp('es'), handleSignals: false });
  assert.equal(r.status, 'early-stopped');
  assert.equal(r.step, 4);
  assert.deepEqual(r.best, { metric: 'score', value: 0.5, step: 2 });
  const up = new TinyTask({ evalSequence: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] });
  const r2 = await train(up, tinyConfig({ eval: { every: 1 }, earlyStop: { metric: 'score', mode: 'max', patience: 1 } }),
    { data: makeLoader(ds), runDir: tmp('es2'), handleSignals: false });
  assert.equal(r2.status, 'completed');
  assert.equal(r2.step, 9);
  const wrong = new TinyTask();
  await assert.rejects(train(wrong, tinyConfig({ earlyStop: { metric: 'acc' } }), { data: makeLoader(ds), runDir: tmp('es3'), handleSignals: false }),
    /earlyStop\.metric 'acc' is not among the metrics evaluate\(\) returned \(loss\)/);
  task.dispose(); up.dispose(); wrong.dispose(); ds.dispose();
});

test('R4 same seed gives one result, different seeds give different results; run.json records the streams', async () => {
  const ds = makeDataset();
  const once = async (seed: number): Promise<string> => {
    const task = new TinyTask();
    const dir = tmp('r4');
    await train(task, tinyConfig({ seed, epochs: 1, checkpoint: { atEpochEnd: false } }), { data: makeLoader(ds), runDir: dir, handleSignals: false });
    const h = weightsHash(task);
    task.dispose();
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { seed: number; streams: Record<string, string> };
    assert.equal(run.seed, seed);
    assert.deepEqual(Object.keys(run.streams).sort(), ['cuda', 'data', 'js_task', 'torch_cpu']);
    return h;
  };
  const same = new Set<string>();
  const diff = new Set<string>();
  for (let i = 0; i < 5; i++) same.add(await once(11));
  for (let i = 0; i < 5; i++) diff.add(await once(100 + i));
  console.log(`R4 same_seed_unique_hashes=${same.size}/5 diff_seed_unique_hashes=${diff.size}/5`);
  assert.equal(same.size, 1);
  assert.equal(diff.size, 5);
  ds.dispose();
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Collects garbage and lets native finalizers run, so counts start from a clean slate. */
async function settle(): Promise<void> { gc(); await new Promise((r) => setImmediate(r)); gc(); }

test('R11 no tensor leaks: 300 steps with eval, logging and checkpoints, and 20 fresh train() calls', async () => {
  const ds = makeDataset();
  await settle();
  const base = torch.liveTensors();
  const task = new TinyTask();
  const seen: Record<number, number> = {};
  task.o.afterStep = (ctx) => { if (ctx.step === 50 || ctx.step === 300) seen[ctx.step] = torch.liveTensors(); };
  const withTask = torch.liveTensors();
  const r = await train(task, { seed: 1, epochs: 60, optim: { name: 'adamw', lr: 0.01 }, clipGradNorm: 1, scheduler: { name: 'cosine' }, eval: { every: 10 }, checkpoint: { every: 50, atEpochEnd: false } },
    { data: makeLoader(ds), runDir: tmp('leak'), handleSignals: false });
  assert.equal(r.step, 300);
  const after = torch.liveTensors();
  task.dispose();
  const deltas: number[] = [];
  for (let i = 0; i < 20; i++) {
    await settle();
    const before = torch.liveTensors();
    const t = new TinyTask();
    await train(t, tinyConfig({ epochs: 1, seed: i }), { data: makeLoader(ds), runDir: tmp('leakfit'), handleSignals: false });
    t.dispose();
    deltas.push(torch.liveTensors() - before);
  }
  console.log(`R11 steps=300 live_native_tensors_delta=${after - withTask} growth_50_to_300=${seen[300]! - seen[50]!} fit_calls=20 max_delta_per_fit=${Math.max(...deltas)} baseline_after_dispose=${torch.liveTensors() - base}`);
  assert.equal(after, withTask);
  assert.equal(seen[300], seen[50]);
  assert.ok(deltas.every((d) => d === 0), `deltas ${deltas}`);
  assert.equal(torch.liveTensors(), base);
  ds.dispose();
});

test('the run directory holds config, versions, metrics and summary', async () => {
  const ds = makeDataset();
  const task = new TinyTask();
  const dir = tmp('rundir');
  await train(task, tinyConfig({ epochs: 1, eval: { every: 2 } }), { data: makeLoader(ds), runDir: dir, handleSignals: false });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { optim: { name: string }; guard: unknown };
  assert.equal(config.optim.name, 'adam');
  assert.ok(config.guard, 'the resolved config has the defaults filled in');
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { method: string; versions: { adaptune: string; libtorch: string; node: string; git: { rev: string | null } } };
  assert.equal(run.method, 'tiny-mlp');
  assert.equal(run.versions.libtorch, torch.version().libtorch);
  assert.match(run.versions.adaptune, /^\d+\.\d+\.\d+/);
  assert.ok(run.versions.git.rev === null || /^[0-9a-f]{40}$/.test(run.versions.git.rev));
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string; step: number });
  assert.deepEqual(lines.map((l) => `${l.split}${l.step}`), ['train1', 'train2', 'eval2', 'train3', 'eval3']);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { status: string; step: number; lastCheckpoint: string };
  assert.equal(summary.status, 'completed');
  assert.equal(summary.step, 3);
  assert.match(summary.lastCheckpoint, /step-00000003$/);
  // git absent: no failure, null revision
  const path = process.env['PATH'];
  process.env['PATH'] = '';
  try { assert.deepEqual(gitRevision(), { rev: null, dirty: null }); } finally { process.env['PATH'] = path; }
  task.dispose(); ds.dispose();
});

test('progress: plain lines without carriage returns off a TTY, a redrawn bar with ETA on a TTY', () => {
  const render = (tty: boolean): string => {
    let out = '';
    const stream = { write: (s: string) => { out += s; return true; }, isTTY: tty, columns: 100 } as unknown as NodeJS.WritableStream;
    const p = createProgress({ stream, tty, every: 2 });
    const events: TrainEvent[] = [
      { type: 'start', step: 0, totalSteps: 4, epoch: 0, epochs: 1, resumedFrom: null, runDir: '/r' },
      ...[1, 2, 3, 4].map((s): TrainEvent => ({ type: 'step', step: s, totalSteps: 4, epoch: 0, loss: 1 / s, runningLoss: 0.5, lr: 0.01, gradNorm: 1, skipped: false })),
      { type: 'eval', step: 4, epoch: 1, metrics: { acc: 0.75 } },
      { type: 'end', status: 'completed', step: 4, epoch: 1, elapsedMs: 65_000, best: null },
    ];
    events.forEach(p);
    return out;
  };
  const plain = render(false);
  assert.ok(!plain.includes('\r'));
  assert.match(plain, /step 2\/4 ep 1\/1 loss 0\.5000 avg 0\.5000 lr 0\.0100 ETA/);
  assert.ok(!/step 1\/4/.test(plain), 'plain mode prints every N steps');
  assert.match(plain, /eval @ step 4: acc=0\.7500/);
  assert.match(plain, /completed at step 4 \(1 epoch\) in 01:05/);
  const tty = render(true);
  assert.match(tty, /\r\x1b\[2K\[#+-*\] +\d+% 1\/4/);
  assert.match(tty, /\[#+\] 100% 4\/4/);
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(Infinity), '--:--');
});

test('progress numbers epochs from 1 on step lines and counts epochs run on the end line; counters print as integers', () => {
  let out = '';
  const stream = { write: (s: string) => { out += s; return true; }, isTTY: false } as unknown as NodeJS.WritableStream;
  const p = createProgress({ stream, tty: false, every: 1 });
  p({ type: 'start', step: 0, totalSteps: 4, epoch: 0, epochs: 2, stepsPerEpoch: 2, resumedFrom: null, runDir: '/r' });
  for (const s of [1, 2, 3, 4]) p({ type: 'step', step: s, totalSteps: 4, epoch: s <= 2 ? 0 : 1, loss: 1, runningLoss: 1, lr: 0.1, gradNorm: 1, skipped: false });
  p({ type: 'eval', step: 4, epoch: 2, metrics: { best_epoch: 0, acc: 0.5 } });
  p({ type: 'end', status: 'completed', step: 4, epoch: 2, elapsedMs: 1000, best: null });
  assert.deepEqual([...out.matchAll(/ep (\d+)\/2/g)].map((m) => Number(m[1])), [1, 1, 2, 2]);
  assert.match(out, /best_epoch=0 acc=0\.5000/);
  assert.match(out, /completed at step 4 \(2 epochs\)/);
});

test('maxSteps overrides epochs; onEpochEnd sees the epoch that ended; the per-epoch scheduler steps once per epoch', async () => {
  const ds = makeDataset();
  const task = new TinyTask();
  const ended: number[] = [];
  (task as unknown as { onEpochEnd: (ctx: { epoch: number }) => void }).onEpochEnd = (ctx) => { ended.push(ctx.epoch); };
  const lrs: number[] = [];
  const r = await train(task, tinyConfig({ epochs: 1, maxSteps: 7, optim: { name: 'sgd', lr: 0.1 }, scheduler: { name: 'step', interval: 'epoch', stepSize: 1, gamma: 0.5 } }), {
    data: makeLoader(ds), runDir: tmp('maxsteps'), handleSignals: false,
    onEvent: (e) => { if (e.type === 'step') lrs.push(e.lr); },
  });
  assert.equal(r.step, 7);
  assert.equal(r.epoch, 2);
  assert.deepEqual(ended, [0, 1]);
  assert.deepEqual(lrs, [0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]); // group 0 has lrScale 0.5
  task.dispose(); ds.dispose();
});

test('a task-built scheduler replaces config.scheduler, and setTrainMode replaces model.train()/eval()', async () => {
  const ds = makeDataset();
  const task = new TinyTask();
  const modes: boolean[] = [];
  (task as unknown as { setTrainMode(t: boolean): void }).setTrainMode = (t: boolean) => { modes.push(t); if (t) task.model.train(); else task.model.eval(); };
  const lrs: number[] = [];
  const lengths: number[] = [];
  await train(task, tinyConfig({ epochs: 1, accumulate: 1, eval: { every: 2, atEpochEnd: false }, checkpoint: { atEpochEnd: false } }), {
    data: makeLoader(ds), runDir: tmp('sched'), handleSignals: false,
    scheduler: (opt, len) => { lengths.push(len.totalSteps); return new LambdaLR(opt, (s: number) => 1 / (s + 1)); },
    onEvent: (e) => { if (e.type === 'step') lrs.push(e.lr); },
  });
  assert.deepEqual(lengths, [5]);
  const base = lrs[0]!;
  lrs.forEach((lr, i) => assert.ok(Math.abs(lr - base / (i + 1)) < 1e-12, `step ${i}: lr ${lr}`)); // the lr each step used
  // train at start, then eval/train around each evaluation: steps 2 and 4, and the final step 5 (eval.atEnd)
  assert.deepEqual(modes, [true, false, true, false, true, false, true]);
  task.dispose(); ds.dispose();
});

test('eval.atEnd: a run that ends between scheduled evaluations evaluates its final weights, which the monitor can select', async () => {
  const ds = makeDataset();
  const evalSteps = async (atEnd: boolean, cfg: Record<string, unknown>): Promise<{ steps: number[]; best: unknown }> => {
    const task = new TinyTask({ evalSequence: [0.5, 0.4, 0.3, 0.2] });
    const dir = tmp(`atend-${atEnd}`);
    const r = await train(task, tinyConfig({ accumulate: 1, checkpoint: { monitor: 'score', mode: 'min', atEpochEnd: false }, ...cfg, eval: { ...(cfg['eval'] as object), atEnd } }), { data: makeLoader(ds), runDir: dir, handleSignals: false });
    task.dispose();
    const steps = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"split":"eval"')).map((l) => (JSON.parse(l) as { step: number }).step);
    return { steps, best: r.best };
  };
  // maxSteps 3 with evaluation every 2 steps: step 2, then the final step 3
  assert.deepEqual(await evalSteps(true, { maxSteps: 3, eval: { every: 2, atEpochEnd: false } }), { steps: [2, 3], best: { metric: 'score', value: 0.4, step: 3 } });
  assert.deepEqual(await evalSteps(false, { maxSteps: 3, eval: { every: 2, atEpochEnd: false } }), { steps: [2], best: { metric: 'score', value: 0.5, step: 2 } });
  // a run that already evaluates at its last step is not evaluated twice; no evaluation configured, none added
  assert.deepEqual((await evalSteps(true, { maxSteps: 4, eval: { every: 2, atEpochEnd: false } })).steps, [2, 4]);
  assert.deepEqual((await evalSteps(true, { maxSteps: 3, eval: { every: 0, atEpochEnd: false }, checkpoint: { monitor: null, atEpochEnd: false } })).steps, []);
  ds.dispose();
});

test('a run shorter than log.every still logs its final step; epochsRun counts epochs in optimizer steps (accumulate 2)', async () => {
  const ds = makeDataset();
  const task = new TinyTask();
  const dir = tmp('short-log');
  // 40 examples / batch 10 = 4 micro-batches per epoch, accumulate 2: 2 optimizer steps per epoch, 3 epochs = 6 steps
  const r = await train(task, tinyConfig({ epochs: 3, log: { every: 50 }, eval: { atEpochEnd: false } }), { data: makeLoader(ds), runDir: dir, handleSignals: false });
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string; step: number });
  assert.deepEqual(lines.filter((l) => l.split === 'train').map((l) => l.step), [r.step], 'the final step is logged');
  assert.equal(r.epoch, 3);
  assert.equal(r.epochsRun, 3, `epochs run ${r.epochsRun} (steps ${r.step})`);
  task.dispose(); ds.dispose();
});

test('numbers beforeStep returns are logged with their step in metrics.jsonl, as they are (accumulate 2: not averaged), a skipped step\'s too', async () => {
  const ds = makeDataset();
  const task = new TinyTask({ infGradAtStep: 2 });
  const inner = task.beforeStep.bind(task);
  const seen: number[] = [];
  (task as unknown as { beforeStep: (c: { step: number }) => Record<string, number> }).beforeStep = (ctx) => { inner(ctx as never); seen.push(ctx.step); return { probe: 10 + ctx.step }; };
  const dir = tmp('step-parts');
  await train(task, tinyConfig({ maxSteps: 4, log: { every: 1 }, eval: { atEpochEnd: false }, guard: { nonFinite: 'skip' } }), { data: makeLoader(ds), runDir: dir, handleSignals: false });
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string; step: number; probe?: number; skipped?: boolean });
  const train_ = lines.filter((l) => l.split === 'train');
  assert.deepEqual(train_.map((l) => l.step), [1, 2, 3, 4]);
  assert.deepEqual(train_.map((l) => l.probe), [10, 11, 12, 13]);
  assert.equal(train_[2]!.skipped, true, 'step 3 (ctx.step 2) was skipped: its gradient is Inf');
  assert.deepEqual(seen, [0, 1, 2, 3]);
  task.dispose(); ds.dispose();
});

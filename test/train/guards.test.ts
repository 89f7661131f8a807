/** R8 NaN/Inf guard (stop and skip), clip_grad_norm_ parity with PyTorch's formula, and gradient accumulation = the large-batch gradient. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import { Checkpoints, CheckpointReader, clipGradNorm_, firstNonFinite, NonFiniteError, train } from '../../src/train/index.js';
import { DataLoader } from '../../src/data/loader.js';
import { makeDataset, makeLoader, TinyTask, tinyConfig, tmp } from './fixtures.js';

const every1 = tinyConfig({ checkpoint: { every: 1, keep: 50 } });

/** The steps of the checkpoints in a run and whether each holds only finite values. */
function checkpointSteps(dir: string): { step: number; finite: boolean }[] {
  const c = new Checkpoints(join(dir, 'checkpoints'));
  return c.list().map((n) => {
    const r = new CheckpointReader(join(c.root, n));
    const all = [...r.tensors('model'), ...r.tensors('optimizer')];
    const finite = firstNonFinite(all) === null;
    for (const [, t] of all) t.dispose();
    return { step: r.manifest.step, finite };
  });
}

test('R8 policy stop: a NaN loss stops at once with NonFiniteError and no checkpoint after it', async () => {
  const ds = makeDataset();
  const task = new TinyTask({ nanAtStep: 4 });
  const dir = tmp('nanstop');
  const err = await train(task, every1, { data: makeLoader(ds), runDir: dir, handleSignals: false }).catch((e: unknown) => e);
  assert.ok(err instanceof NonFiniteError, String(err));
  assert.equal(err.step, 5);
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /loss is NaN/);
  const cks = checkpointSteps(dir);
  const after = cks.filter((c) => c.step >= 5).length;
  assert.equal(after, 0);
  assert.equal(Math.max(...cks.map((c) => c.step)), 4);
  assert.ok(cks.every((c) => c.finite));
  assert.ok(firstNonFinite(task.model.namedParameters()) === null, 'weights must stay finite');
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { status: string; error: string };
  assert.equal(summary.status, 'failed');
  assert.match(summary.error, /NonFiniteError/);
  console.log(`R8 steps_to_detection=${err.step - 5} checkpoints_written_after_nan=${after} last_checkpoint_all_finite=${cks.at(-1)!.finite} exit_code=${err.exitCode}`);
  task.dispose(); ds.dispose();
});

test('R8 policy skip: the NaN step is skipped, training goes on, weights and checkpoints stay finite', async () => {
  const ds = makeDataset();
  const task = new TinyTask({ nanAtStep: 4 });
  const dir = tmp('nanskip');
  const r = await train(task, { ...every1, guard: { nonFinite: 'skip' } }, { data: makeLoader(ds), runDir: dir, handleSignals: false });
  assert.equal(r.status, 'completed');
  assert.equal(r.step, 9);
  assert.equal(r.skippedSteps, 1);
  assert.ok(firstNonFinite(task.model.namedParameters()) === null);
  assert.ok(checkpointSteps(dir).every((c) => c.finite));
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; skipped?: boolean; loss: number | null });
  assert.deepEqual(lines.filter((l) => l.skipped).map((l) => l.step), [5]);
  console.log(`R8 policy=skip steps_skipped=${r.skippedSteps} weights_finite=true`);
  task.dispose(); ds.dispose();
});

test('R8 an Inf gradient is caught before the optimizer step (stop and skip)', async () => {
  const ds = makeDataset();
  const a = new TinyTask({ infGradAtStep: 2 });
  const err = await train(a, every1, { data: makeLoader(ds), runDir: tmp('infstop'), handleSignals: false }).catch((e: unknown) => e);
  assert.ok(err instanceof NonFiniteError && /gradient norm is (Infinity|NaN)/.test(err.message), String(err));
  assert.equal(firstNonFinite(a.model.namedParameters()), null);
  const b = new TinyTask({ infGradAtStep: 2 });
  const r = await train(b, { ...every1, guard: { nonFinite: 'skip' } }, { data: makeLoader(ds), runDir: tmp('infskip'), handleSignals: false });
  assert.equal(r.skippedSteps, 1);
  assert.equal(firstNonFinite(b.model.namedParameters()), null);
  a.dispose(); b.dispose(); ds.dispose();
});

test('R8 skip gives up after guard.maxSkips consecutive bad steps', async () => {
  const ds = makeDataset();
  const task = new TinyTask();
  task.loss = (_b, _ctx) => ({ loss: torch.tensor([NaN]).sum() });
  const err = await train(task, { ...every1, guard: { nonFinite: 'skip', maxSkips: 2 } }, { data: makeLoader(ds), runDir: tmp('maxskip'), handleSignals: false }).catch((e: unknown) => e);
  assert.ok(err instanceof NonFiniteError && /3 consecutive steps/.test(err.message), String(err));
  task.dispose(); ds.dispose();
});

test('clipGradNorm_ matches torch.nn.utils.clip_grad_norm_ (2-norm and inf-norm)', () => {
  const f = Math.fround;
  const mk = (vals: number[]): Tensor => {
    const p = torch.keep(torch.zeros([vals.length]).requiresGrad_());
    torch.tidy(() => p.mul(torch.tensor(vals)).sum().backward());
    return p;
  };
  const gv = [[3, 4], [12], [0.5, -0.25, 1e-3]];
  const ps = gv.map(mk);
  const total = f(Math.sqrt(gv.flat().reduce((s, v) => s + f(v) * f(v), 0)));
  const got = clipGradNorm_(ps, 1.0);
  assert.ok(Math.abs(got - total) <= 1e-6 * total, `total ${got} vs ${total}`);
  const coef = Math.min(1, f(f(1 / f(f(got) + f(1e-6))) * 1.0)); // PyTorch: max_norm / (total + 1e-6) = (total + 1e-6).reciprocal() * max_norm, clamped to 1
  ps.forEach((p, i) => {
    const g = p.grad!;
    const want = gv[i]!.map((v) => f(f(v) * f(coef)));
    assert.deepEqual([...(g.data() as Float32Array)], want, `grad ${i}`);
    g.dispose();
  });
  const n = Number(torch.tidy(() => torch.vectorNorm(torch.stack(ps.map((p) => { const g = p.grad!; return torch.vectorNorm(g); }))).item()));
  assert.ok(Math.abs(n - 1) < 1e-5, `clipped norm ${n}`);
  // below the threshold the gradients are multiplied by exactly 1
  const small = mk([0.1, 0.2]);
  clipGradNorm_([small], 10);
  const g = small.grad!;
  assert.deepEqual([...(g.data() as Float32Array)], [f(0.1), f(0.2)]);
  g.dispose();
  // inf-norm: total = max |g|
  const q = mk([1, -7, 3]);
  assert.equal(clipGradNorm_([q], 3.5, Infinity), 7);
  const gq = q.grad!;
  const c = Math.min(1, f(f(1 / f(7 + f(1e-6))) * 3.5));
  assert.deepEqual([...(gq.data() as Float32Array)], [1, -7, 3].map((v) => f(v * c)));
  gq.dispose();
  for (const p of [...ps, small, q]) p.dispose();
});

test('gradient accumulation (4 x 4) gives the 16-example gradient', async () => {
  const ds = makeDataset(16);
  const grads = async (batchSize: number, accumulate: number): Promise<number[][]> => {
    const task = new TinyTask({ dropout: 0, jitter: false, ema: false });
    const out: number[][] = [];
    task.beforeStep = () => { for (const p of task.model.parameters()) { const g = p.grad!; out.push([...(g.data() as Float32Array)]); g.dispose(); } };
    const loader = new DataLoader(ds, { batchSize, seed: 0 });
    const r = await train(task, { seed: 5, epochs: 1, accumulate, optim: { name: 'sgd', lr: 0.1 }, checkpoint: { atEpochEnd: false, every: 0 } }, { data: loader, runDir: tmp('acc'), handleSignals: false });
    assert.equal(r.step, 1);
    task.dispose();
    return out;
  };
  const big = await grads(16, 1);
  const acc = await grads(4, 4);
  assert.equal(big.length, acc.length);
  let maxDiff = 0;
  big.forEach((g, i) => g.forEach((v, j) => { maxDiff = Math.max(maxDiff, Math.abs(v - acc[i]![j]!)); }));
  assert.ok(maxDiff < 1e-6, `max |grad diff| ${maxDiff}`);
  assert.ok(big.flat().some((v) => v !== 0));
  console.log(`accumulation max_abs_grad_diff=${maxDiff.toExponential(2)}`);
  // a partial cycle at the epoch end (5 batches, accumulate 2) is a step of its own: 3 steps per epoch
  const task = new TinyTask();
  const r = await train(task, tinyConfig({ epochs: 1 }), { data: makeLoader(makeDataset()), runDir: tmp('acc2'), handleSignals: false });
  assert.equal(r.step, 3);
  task.dispose(); ds.dispose();
});

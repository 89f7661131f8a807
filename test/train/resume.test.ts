/** R3: a run stopped at step k and resumed ends bit-identical to one that never stopped (weights, optimizer, loss trace, sample order). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Trainer, makeConfig, resume, train, Checkpoints, verifyCheckpoint } from '../../src/train/index.js';
import { makeDataset, makeLoader, sameWeights, TinyTask, tinyConfig, tmp, weightsHash } from './fixtures.js';

const cfg = tinyConfig({ eval: { every: 2 }, checkpoint: { every: 2, keep: 2 } });

/** The train lines of metrics.jsonl without wall time. */
function trace(dir: string): string[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l) => { const r = JSON.parse(l) as Record<string, unknown>; delete r['time']; return JSON.stringify(r); });
}
/** SHA-256s of the final checkpoint's files. */
function finalFiles(dir: string): Record<string, string> {
  const last = new Checkpoints(join(dir, 'checkpoints')).latest().dir;
  return Object.fromEntries(Object.entries(verifyCheckpoint(last).files).filter(([f]) => f.endsWith('.safetensors')).map(([f, v]) => [f, v.sha256]));
}

test('R3 resume at first step, mid-epoch, epoch boundary and after a save is bit-identical', async () => {
  const ds = makeDataset();
  const full = new TinyTask();
  const fullDir = tmp('full');
  const r = await train(full, cfg, { data: makeLoader(ds), runDir: fullDir, handleSignals: false });
  assert.equal(r.status, 'completed');
  assert.equal(r.step, 9);
  const points = [1, 4, 6, 8]; // first step; mid-epoch (epoch 1, 1 of 3 steps); epoch boundary (end of epoch 1); just after a periodic save (8)
  let maxDiff = 0;
  let traceEqual = true;
  let orderEqual = true;
  for (const k of points) {
    const dir = tmp(`stop${k}`);
    const a = new TinyTask();
    const t = new Trainer(a, makeConfig(cfg), { data: makeLoader(ds), runDir: dir, handleSignals: false });
    a.o.afterStep = (ctx) => { if (ctx.step === k) t.requestStop('test'); };
    const ra = await t.train();
    assert.equal(ra.status, 'stopped');
    assert.equal(ra.step, k);
    const b = new TinyTask();
    const rb = await resume(dir, b, { data: makeLoader(ds), handleSignals: false });
    assert.equal(rb.status, 'completed', `resume from ${k}`);
    assert.equal(rb.step, 9);
    for (const [name, p] of full.model.stateDict()) {
      const d = Number(p.sub(b.model.stateDict().get(name)!).abs().max().item());
      maxDiff = Math.max(maxDiff, d);
    }
    assert.ok(sameWeights(full, b), `weights differ after resuming at step ${k}`);
    assert.equal(weightsHash(full), weightsHash(b));
    assert.deepEqual(finalFiles(dir), finalFiles(fullDir), `checkpoint bytes differ after resuming at ${k}`);
    const eqTrace = JSON.stringify(trace(dir)) === JSON.stringify(trace(fullDir));
    const eqOrder = JSON.stringify([...a.seen, ...b.seen]) === JSON.stringify(full.seen);
    traceEqual &&= eqTrace;
    orderEqual &&= eqOrder;
    assert.ok(eqTrace, `metrics trace differs after resuming at ${k}`);
    assert.ok(eqOrder, `sample order differs after resuming at ${k}`);
    a.dispose(); b.dispose();
  }
  console.log(`R3 resume_points=${points.length} max_abs_param_diff=${maxDiff} per-step_loss_trace_equal=${traceEqual} sample_order_equal=${orderEqual}`);
  full.dispose();
  ds.dispose();
});

test('a changed seed changes the run (the resume test can fail)', async () => {
  const ds = makeDataset();
  const a = new TinyTask();
  const b = new TinyTask();
  await train(a, { ...cfg, epochs: 1 }, { data: makeLoader(ds), runDir: tmp('s1'), handleSignals: false });
  await train(b, { ...cfg, epochs: 1, seed: 4 }, { data: makeLoader(ds), runDir: tmp('s2'), handleSignals: false });
  assert.ok(!sameWeights(a, b));
  a.dispose(); b.dispose(); ds.dispose();
});

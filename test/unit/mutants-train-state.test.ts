/**
 * Mutation-guided tests of what a checkpoint captures and how it is put back (src/train/state.ts, issue 23):
 * collect() then restore() on a tiny MLP with Adam state, a cosine schedule and task state, called directly
 * (no training loop), so every refusal and every tensor's lifetime is checked in well under a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import { CheckpointError } from '../../src/core/errors.js';
import { buildOptimizer, buildScheduler, CheckpointReader, makeConfig, RunSession, saveCheckpoint, type CheckpointContent, type SourceState, type TrainConfig } from '../../src/train/index.js';
import { collect, restore, type LoopState, type RunParts } from '../../src/train/state.js';
import type { Batch } from '../../src/data/loader.js';
import { makeDataset, makeLoader, TinyTask, tinyConfig } from '../train/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-mstate-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let k = 0;

const versions = { adaptune: '0.0.0', libtorch: '1.13.1', node: 'v20', git: { rev: null, dirty: null } };
class Source {
  numBatches = 5;
  pos: SourceState = { epoch: 0, index: 0, seed: 1 };
  state(): SourceState { return { ...this.pos }; }
  load(s: SourceState): void { this.pos = { ...s }; }
  async *[Symbol.asyncIterator](): AsyncIterator<Batch> { /* not used */ }
}
const loop: LoopState = { step: 4, epoch: 1, skipped: 1, consecutiveSkips: 0, early: { best: 0.5, bestStep: 2, bad: 1 }, best: null, lastEval: { loss: 0.25 } };

/** A task, Adam with one step of state, a cosine scheduler stepped once, a source at batch 3. */
function parts(o: { name?: string; config?: TrainConfig; scheduler?: boolean; libtorch?: string; extend?: boolean } = {}): Omit<RunParts<Batch>, 'task'> & { task: TinyTask; dispose: () => void } {
  const task = new TinyTask({ name: o.name });
  const config = o.config ?? makeConfig(tinyConfig());
  const optimizer = buildOptimizer(task.paramGroups(), config.optim);
  torch.tidy(() => { task.model.call(torch.ones([2, 1, 2, 2])).sum().backward(); });
  optimizer.step();
  optimizer.zeroGrad();
  const scheduler = o.scheduler === false ? null : buildScheduler(optimizer, config.scheduler, { totalSteps: 10, stepsPerEpoch: 5, epochs: 2 });
  scheduler?.step();
  const source = new Source();
  source.pos = { epoch: 1, index: 3, seed: 9 };
  return { task, optimizer, scheduler, source, config, versions: { ...versions, libtorch: o.libtorch ?? versions.libtorch }, extend: o.extend, dispose: () => task.dispose() };
}

/** Saves a checkpoint of `p` (content edited by `edit`), returns its directory. */
function save(p: Omit<RunParts<Batch>, 'task'> & { task: TinyTask }, edit?: (c: CheckpointContent) => void): string {
  const dir = join(root, `ck${k++}`);
  const { content, release } = collect(p, loop);
  try { edit?.(content); saveCheckpoint(dir, content, { step: loop.step }); } finally { release(); }
  return dir;
}

test('collect: the state records method, seed, config hash, versions, source, scheduler, loop (a copy) and task state; release frees every tensor it made', () => {
  const p = parts();
  const live = torch.liveTensors();
  const { content, release } = collect(p, loop);
  const s = content.json['state'] as Record<string, unknown>;
  assert.equal(s['format'], 'adaptune.trainer-state');
  assert.equal(s['version'], 1);
  assert.equal(s['step'], 4);
  assert.equal(s['epoch'], 1);
  assert.equal(s['method'], 'tiny-mlp');
  assert.equal(s['seed'], 3);
  assert.deepEqual(s['source'], { epoch: 1, index: 3, seed: 9 });
  assert.equal((s['scheduler'] as { last_epoch: number }).last_epoch, 1);
  assert.deepEqual(s['loop'], loop);
  assert.notEqual(s['loop'], loop, 'a copy, not the live object');
  assert.deepEqual(s['task'], { evals: 0 });
  assert.deepEqual(Object.keys(content.tensors).sort(), ['model', 'optimizer', 'rng', 'task']);
  assert.equal(content.tensors['rng']!.get('torch_cpu')!.dtype, 'uint8');
  assert.ok(content.tensors['optimizer']!.size > 0);
  release();
  assert.equal(torch.liveTensors(), live, 'no tensor of the content outlives release()');
  const noTask = parts({ scheduler: false });
  noTask.task.stateDict = undefined as unknown as TinyTask['stateDict'];
  const c2 = collect(noTask, loop);
  assert.deepEqual(Object.keys(c2.content.tensors).sort(), ['model', 'optimizer', 'rng']);
  assert.equal((c2.content.json['state'] as { task: unknown; scheduler: unknown }).task, null);
  assert.equal((c2.content.json['state'] as { scheduler: unknown }).scheduler, null);
  c2.release();
  p.dispose(); noTask.dispose();
});

test('collect refuses a non-finite optimizer or task tensor, naming it, and frees what it had made', () => {
  const p = parts();
  const live = torch.liveTensors();
  torch.noGrad(() => p.task.ema!.fill_(NaN));
  assert.throws(() => collect(p, loop), (e: Error) => /refusing to write a checkpoint at step 4: task\.ema has NaN or Inf/.test(e.message));
  assert.equal(torch.liveTensors(), live);
  p.dispose();
});

test('restore puts back weights, optimizer, scheduler, source, task state and the loop, and frees every tensor it loaded', () => {
  const a = parts();
  torch.noGrad(() => a.task.ema!.fill_(0.25));
  const dir = save(a);
  const b = parts();
  b.source.load({ epoch: 0, index: 0, seed: 0 });
  const live = torch.liveTensors();
  const st = restore(new CheckpointReader(dir), b, () => assert.fail('no warning expected'));
  assert.equal(torch.liveTensors(), live, 'the loaded tensors are freed (copied into the model and optimizer)');
  assert.deepEqual(st, loop);
  assert.deepEqual(b.source.state(), { epoch: 1, index: 3, seed: 9 });
  assert.equal(torch.equal(b.task.ema!, a.task.ema!), true);
  assert.deepEqual(b.scheduler!.stateDict(), a.scheduler!.stateDict());
  a.dispose(); b.dispose();
});

test('restore refuses a changed method, config or libtorch version naming each (or warns with onMismatch warn); epochs/maxSteps pass only with extend', () => {
  const a = parts();
  const dir = save(a);
  const r = (): CheckpointReader => new CheckpointReader(dir);
  const other = parts({ name: 'other', libtorch: '2.0.0', config: makeConfig(tinyConfig({ optim: { name: 'adam', lr: 0.5 } })) });
  assert.throws(() => restore(r(), other, () => {}), (e: Error) => e instanceof CheckpointError
    && e.message.includes("method: checkpoint 'tiny-mlp', now 'other'") && e.message.includes('libtorch: checkpoint 1.13.1, now 2.0.0') && /config optim\.lr: checkpoint 0\.01, now 0\.5/.test(e.message)
    && /\(set resume\.onMismatch='warn' to resume anyway\)$/.test(e.message));
  const warned: string[] = [];
  const lenient = parts({ name: 'other', config: makeConfig(tinyConfig({ resume: { onMismatch: 'warn' } })) });
  restore(r(), lenient, (m) => warned.push(m));
  assert.equal(warned.length, 1);
  assert.match(warned[0]!, /does not match this run: method: checkpoint 'tiny-mlp', now 'other'$/);
  const longer = makeConfig(tinyConfig({ epochs: 6 }));
  assert.throws(() => restore(r(), parts({ config: longer }), () => {}), /config epochs: checkpoint 3, now 6/);
  assert.throws(() => restore(r(), parts({ config: longer, extend: false }), () => {}), /config epochs/);
  assert.deepEqual(restore(r(), parts({ config: longer, extend: true }), () => assert.fail('extending is no mismatch')), loop);
  assert.throws(() => restore(r(), parts({ config: makeConfig(tinyConfig({ epochs: 6, seed: 4 })), extend: true }), () => {}), (e: Error) => /config seed/.test(e.message) && !/config epochs/.test(e.message));
  a.dispose(); other.dispose(); lenient.dispose();
});

test('restore refuses a scheduler present on one side only, an rng state that is missing or not uint8, a task state without task.safetensors, a foreign state.json', () => {
  const withS = parts();
  const noS = parts({ scheduler: false });
  assert.throws(() => restore(new CheckpointReader(save(withS)), noS, () => {}), /scheduler state present but this run has no scheduler/);
  assert.throws(() => restore(new CheckpointReader(save(noS)), withS, () => {}), /scheduler state absent but this run has scheduler/);
  const badRng = save(withS, (c) => { c.tensors['rng'] = new Map([['torch_cpu', c.tensors['rng']!.get('torch_cpu')!.to('float32')]]); });
  assert.throws(() => restore(new CheckpointReader(badRng), withS, () => {}), (e: Error) => e instanceof CheckpointError && e.message === `${badRng}/rng.safetensors: no uint8 tensor 'torch_cpu'`);
  const noRng = save(withS, (c) => { c.tensors['rng'] = new Map([['other', c.tensors['rng']!.get('torch_cpu')!]]); });
  assert.throws(() => restore(new CheckpointReader(noRng), withS, () => {}), /no uint8 tensor 'torch_cpu'/);
  const noTask = save(withS, (c) => { delete c.tensors['task']; });
  assert.throws(() => restore(new CheckpointReader(noTask), withS, () => {}), /the task 'tiny-mlp' has state but the checkpoint has no task\.safetensors/);
  const foreign = save(withS, (c) => { c.json['state'] = { ...(c.json['state'] as object), version: 2 }; });
  assert.throws(() => restore(new CheckpointReader(foreign), withS, () => {}), /state\.json: not an adaptune trainer state \(version 1\)/);
  const foreign2 = save(withS, (c) => { c.json['state'] = { ...(c.json['state'] as object), format: 'x' }; });
  assert.throws(() => restore(new CheckpointReader(foreign2), withS, () => {}), /not an adaptune trainer state/);
  withS.dispose(); noS.dispose();
});

test('restore with guard.onLoad warn loads NaN weights after a warning naming the tensor (refused by default)', () => {
  const a = parts();
  const bad = torch.full([8], NaN);
  const nan = save(a, (c) => { const m = new Map(c.tensors['model']!); m.set('1.bias', bad); c.tensors['model'] = m; });
  bad.dispose();
  const strict = parts();
  assert.throws(() => restore(new CheckpointReader(nan), strict, () => {}), /model\.safetensors: '1\.bias' has NaN or Inf values \(set guard\.onLoad='warn'/);
  const warned: string[] = [];
  const b = parts({ config: makeConfig(tinyConfig({ guard: { onLoad: 'warn' }, resume: { onMismatch: 'warn' } })) });
  restore(new CheckpointReader(nan), b, (m) => warned.push(m));
  assert.equal(warned.length, 2);
  assert.match(warned[1]!, /model\.safetensors: '1\.bias' has NaN or Inf values$/);
  assert.equal(Number.isNaN(torch.tidy(() => Number(b.task.first.bias!.max().item()))), true, 'loaded anyway');
  a.dispose(); b.dispose(); strict.dispose();
});

test('RunSession.train: a new run trains in its directory; a resumed one with extend first rewrites config.json with the new epochs, then continues', async () => {
  const ds = makeDataset(16);
  const dir = join(root, 'session');
  const cfg1 = makeConfig(tinyConfig({ epochs: 1, accumulate: 1, checkpoint: { every: 1, keep: 1 } }));
  const s = RunSession.open({ kind: 'tiny', dir, saved: null }, {});
  const a = new TinyTask();
  const r1 = await s.train(a, cfg1, { data: makeLoader(ds), handleSignals: false });
  assert.deepEqual([r1.status, r1.step], ['completed', 2]);
  assert.equal((JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { epochs: number }).epochs, 1);
  const cfg2 = makeConfig({ ...cfg1, epochs: 2 });
  const resumed = RunSession.open({ kind: 'tiny', dir, saved: { args: {}, config: {} } }, {});
  const b = new TinyTask();
  const r2 = await resumed.train(b, cfg2, { data: makeLoader(ds), handleSignals: false, extend: true });
  assert.deepEqual([r2.status, r2.step], ['completed', 4]);
  assert.equal((JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { epochs: number }).epochs, 2, 'config.json records the extension');
  a.dispose(); b.dispose(); ds.dispose();
});

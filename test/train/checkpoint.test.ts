/** Checkpoints: integrity (R14), safetensors/JSON only (R5), failed saves (R13), provenance checks (R15), NaN refusal at load (R8), retention and pointers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CheckpointError } from '../../src/core/errors.js';
import { saveSafetensors } from '../../src/core/io/safetensors.js';
import * as torch from '../../src/core/torch.js';
import { Checkpoints, CheckpointReader, makeConfig, resume, train, Trainer, verifyCheckpoint, writeManifest } from '../../src/train/index.js';
import { makeDataset, makeLoader, TinyTask, tinyConfig, tmp } from './fixtures.js';

const cfg = tinyConfig({ epochs: 1, checkpoint: { every: 1, keep: 5 } });

/** A finished tiny run with checkpoints at steps 1..3. */
async function run(over: Record<string, unknown> = {}): Promise<string> {
  const ds = makeDataset();
  const task = new TinyTask();
  const dir = tmp('ck');
  await train(task, { ...cfg, ...over }, { data: makeLoader(ds), runDir: dir, handleSignals: false });
  task.dispose(); ds.dispose();
  return dir;
}
const ckRoot = (dir: string): string => join(dir, 'checkpoints');
/** Re-signs a checkpoint after a deliberate edit (as a tool rewriting it would). */
const resign = (ck: string): void => { writeManifest(ck, readdirSync(ck).filter((f) => f !== 'manifest.json'), verifyCheckpointStep(ck)); };
const verifyCheckpointStep = (ck: string): number => (JSON.parse(readFileSync(join(ck, 'manifest.json'), 'utf8')) as { step: number }).step;

test('R14 a flipped byte or a truncation in any file of a checkpoint is detected', async () => {
  const dir = await run();
  const c = new Checkpoints(ckRoot(dir));
  let corrupted = 0;
  let detected = 0;
  let rnd = 7;
  const rand = (n: number): number => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n; };
  for (const name of c.list()) {
    const src = join(c.root, name);
    for (const f of readdirSync(src)) {
      for (const mode of ['flip', 'truncate'] as const) {
        const copy = join(tmp('r14'), name);
        cpSync(src, copy, { recursive: true });
        const file = join(copy, f);
        const bytes = readFileSync(file);
        if (mode === 'flip') { const i = rand(bytes.length); bytes[i] = bytes[i]! ^ (1 + rand(255)); writeFileSync(file, bytes); } else truncateSync(file, rand(bytes.length));
        corrupted++;
        try { verifyCheckpoint(copy); } catch (e) { if (e instanceof CheckpointError) detected++; }
      }
    }
  }
  console.log(`R14 corrupted=${corrupted} detected=${detected}/${corrupted} silent_loads=${corrupted - detected}`);
  assert.equal(detected, corrupted);
  assert.ok(corrupted >= 40);
  // an unknown manifest version fails with a message, not a silent load
  const v2 = join(tmp('v2'), 'ck');
  cpSync(join(c.root, c.list()[0]!), v2, { recursive: true });
  const m = JSON.parse(readFileSync(join(v2, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(v2, 'manifest.json'), JSON.stringify({ ...m, version: 2 }));
  assert.throws(() => verifyCheckpoint(v2), /version 2 is not supported .*no migrator/);
});

test('R5 only safetensors and JSON are read: pickle side files (.pth, .pt) in a checkpoint are refused by name', async () => {
  const dir = await run();
  const src = new Checkpoints(ckRoot(dir)).latest().dir;
  const sentinel = join(tmpdir(), `adaptune-sentinel-${process.pid}`);
  const pickle = Buffer.from(`cos\nsystem\n(S'touch ${sentinel}'\ntR.`, 'latin1'); // protocol-0 pickle that would run a command
  const a = join(tmp('r5a'), 'ck');
  cpSync(src, a, { recursive: true });
  writeFileSync(join(a, 'rng_state.pth'), pickle);
  const b = join(tmp('r5b'), 'ck');
  cpSync(src, b, { recursive: true });
  writeFileSync(join(b, 'weights.pt'), pickle);
  let refused = 0;
  let mentions = true;
  for (const ck of [a, b]) {
    for (const attempt of [() => verifyCheckpoint(ck), () => new CheckpointReader(ck)]) {
      try { attempt(); } catch (e) {
        if (e instanceof CheckpointError) refused++;
        mentions &&= /(rng_state\.pth|weights\.pt)/.test((e as Error).message) && /safetensors/.test((e as Error).message) && (e as Error).message.includes(ck);
      }
    }
  }
  const ds = makeDataset();
  const task = new TinyTask();
  await assert.rejects(new Trainer(task, makeConfig(cfg), { data: makeLoader(ds), runDir: tmp('r5run'), resume: a, handleSignals: false }).train(), /rng_state\.pth.*safetensors/);
  task.dispose(); ds.dispose();
  console.log(`R5 formats_accepted_without_opt_in=[safetensors, json] pickle_files_refused=${refused}/4 sentinel_created=${existsSync(sentinel) ? 1 : 0} error_mentions_path_and_safe_alternative=${mentions}`);
  assert.equal(refused, 4);
  assert.ok(mentions);
  assert.ok(!existsSync(sentinel));
});

test('R13 a save that fails (ENOSPC injected mid-write) surfaces the error and leaves the previous checkpoint intact', async () => {
  const ds = makeDataset();
  const task = new TinyTask();
  const dir = tmp('r13');
  const err = await train(task, cfg, {
    data: makeLoader(ds), runDir: dir, handleSignals: false,
    onCheckpointPhase: (phase, d) => { if (phase === 'state.json' && d.includes('step-00000003')) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); },
  }).catch((e: unknown) => e);
  assert.ok(err instanceof CheckpointError && /ENOSPC/.test(err.message) && /intact/.test(err.message), String(err));
  const root = ckRoot(dir);
  const latest = new Checkpoints(root).latest();
  const intact = verifyCheckpoint(latest.dir).step === 2 && !latest.fellBack;
  const tmpLeft = readdirSync(root).filter((e) => e.startsWith('.')).length;
  console.log(`R13 previous_checkpoint_intact=${intact} tmp_removed=${tmpLeft === 0} error_surfaced=true`);
  assert.ok(intact);
  assert.equal(tmpLeft, 0);
  // the run resumes from the intact checkpoint
  const again = new TinyTask();
  const r = await resume(dir, again, { data: makeLoader(ds), handleSignals: false });
  assert.equal(r.status, 'completed');
  task.dispose(); again.dispose(); ds.dispose();
});

test('R15 resume refuses a changed hyperparameter, method, model shape or libtorch version, naming each', async () => {
  const dir = await run();
  const ds = makeDataset();
  const attempt = async (task: TinyTask, over: Record<string, unknown>, from = dir): Promise<string> => {
    const runDir = tmp('r15');
    const e = await new Trainer(task, makeConfig({ ...cfg, ...over }), { data: makeLoader(ds), runDir, resume: new Checkpoints(ckRoot(from)).latest().dir, handleSignals: false })
      .train().then(() => null, (x: Error) => x);
    task.dispose();
    return e instanceof CheckpointError ? e.message : `no CheckpointError: ${String(e)}`;
  };
  const checks: [string, RegExp][] = [
    [await attempt(new TinyTask(), { optim: { name: 'adam', lr: 0.05 } }), /config optim\.lr: checkpoint 0\.01, now 0\.05/],
    [await attempt(new TinyTask({ name: 'other-method' }), {}), /method: checkpoint 'tiny-mlp', now 'other-method'/],
    [await attempt(new TinyTask({ hidden: 16 }), {}), /'1\.weight' has shape \[8, 4\] in the checkpoint, the model has \[16, 4\]/],
  ];
  const forged = tmp('r15lt');
  cpSync(dir, forged, { recursive: true });
  const ck = new Checkpoints(ckRoot(forged)).latest().dir;
  const state = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8')) as { versions: { libtorch: string } };
  state.versions.libtorch = '1.12.1';
  writeFileSync(join(ck, 'state.json'), JSON.stringify(state));
  resign(ck);
  checks.push([await attempt(new TinyTask(), {}, forged), new RegExp(`libtorch: checkpoint 1\\.12\\.1, now ${torch.version().libtorch.replace(/\./g, '\\.')}`)]);
  const detected = checks.filter(([msg, re]) => re.test(msg)).length;
  console.log(`R15 mismatches_detected=${detected}/4 (hyperparameter, method, model shape, libtorch; dataset fingerprint: not covered)`);
  for (const [msg, re] of checks) assert.match(msg, re);
  // policy warn: resumes with a warning
  const warnings: string[] = [];
  const task = new TinyTask();
  const r = await new Trainer(task, makeConfig({ ...cfg, optim: { name: 'adam', lr: 0.05 }, resume: { onMismatch: 'warn' } }), {
    data: makeLoader(ds), runDir: tmp('r15w'), resume: new Checkpoints(ckRoot(dir)).list().map((n) => join(ckRoot(dir), n))[1]!, handleSignals: false,
    onEvent: (e) => { if (e.type === 'warning') warnings.push(e.message); },
  }).train();
  assert.equal(r.status, 'completed');
  assert.ok(warnings.some((w) => /optim\.lr/.test(w)));
  task.dispose(); ds.dispose();
});

test('R8 a checkpoint with NaN weights is refused at load (guard.onLoad=refuse)', async () => {
  const dir = await run();
  const ck = new Checkpoints(ckRoot(dir)).latest().dir;
  const r = new CheckpointReader(ck);
  const model = r.tensors('model');
  const w = model.get('1.weight')!;
  torch.noGrad(() => w.fill_(NaN));
  saveSafetensors(join(ck, 'model.safetensors'), model);
  for (const t of model.values()) t.dispose();
  resign(ck);
  const ds = makeDataset();
  const task = new TinyTask();
  await assert.rejects(new Trainer(task, makeConfig(cfg), { data: makeLoader(ds), runDir: tmp('nanload'), resume: ck, handleSignals: false }).train(),
    (e: Error) => e instanceof CheckpointError && /'1\.weight' has NaN or Inf/.test(e.message));
  task.dispose(); ds.dispose();
});

test('retention keeps the newest k plus the best; last/best pointers; a fresh run refuses a used directory', async () => {
  const ds = makeDataset();
  const task = new TinyTask({ evalSequence: [3, 1, 2, 4, 5, 6, 7, 8, 9] });
  const dir = tmp('keep');
  const r = await train(task, tinyConfig({ epochs: 3, eval: { every: 1 }, earlyStop: { metric: 'score', patience: 100 }, checkpoint: { every: 1, keep: 2 } }),
    { data: makeLoader(ds), runDir: dir, handleSignals: false });
  assert.equal(r.step, 9);
  assert.deepEqual(r.best, { metric: 'score', value: 1, step: 2 });
  const c = new Checkpoints(ckRoot(dir));
  assert.deepEqual(c.list(), ['step-00000002', 'step-00000008', 'step-00000009']);
  assert.deepEqual(c.pointer('last'), { checkpoint: 'step-00000009', step: 9 });
  assert.deepEqual(c.pointer('best'), { checkpoint: 'step-00000002', step: 2, metric: 'score', value: 1 });
  assert.ok(statSync(join(dir, 'metrics.jsonl')).size > 0);
  const again = new TinyTask();
  const summary = readFileSync(join(dir, 'summary.json'), 'utf8');
  await assert.rejects(train(again, cfg, { data: makeLoader(ds), runDir: dir, handleSignals: false }), /already has checkpoints; resume it/);
  assert.equal(readFileSync(join(dir, 'summary.json'), 'utf8'), summary, 'the refused run left the summary alone');
  task.dispose(); again.dispose(); ds.dispose();
});

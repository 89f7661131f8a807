#!/usr/bin/env node
// Kill-during-save campaign (reliability probe, R1/R2): a child trains a tiny MLP and checkpoints every
// step (dist/test/train/child.js, driven by the harness in test/train/kill-harness.ts); it is SIGKILLed N times, half of them inside a checkpoint write (at
// a random write phase, paused there), half at random steps, each time resumed from the newest checkpoint.
// After every kill the newest checkpoint must verify and load; at the end the chain must finish with
// weights bit-identical to an uninterrupted run and no temp directory left.
// Usage: node scripts/probes/kill-save.mjs [kills=80] [seed=1]
// Prints: kill-save tried=N clean=N failed=N (corrupt, unloadable, mixed), final_equal, tmp_left.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

process.env.ADAPTUNE_NUM_THREADS ??= '1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Checkpoints, CheckpointReader, train } = await import(pathToFileURL(join(root, 'dist', 'src', 'train', 'index.js')).href);
const fx = await import(pathToFileURL(join(root, 'dist', 'test', 'train', 'fixtures.js')).href);
const { killAt, PHASES, runChild } = await import(pathToFileURL(join(root, 'dist', 'test', 'train', 'kill-harness.js')).href);
const kills = Number(process.argv[2] ?? 80);
let rnd = Number(process.argv[3] ?? 1);
const rand = (n) => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n; };
const config = fx.tinyConfig({ epochs: Math.max(10, 2 * kills), checkpoint: { every: 1, keep: 2 } });

const ds = fx.makeDataset();
const ref = new fx.TinyTask();
const refRun = await train(ref, config, { data: fx.makeLoader(ds), runDir: fx.tmp('ref'), handleSignals: false });
const refHash = fx.weightsHash(ref);
ref.dispose();
ds.dispose();

const runDir = fx.tmp('kill-save');
const ckRoot = join(runDir, 'checkpoints');
const c = { tried: 0, clean: 0, corrupt: 0, unloadable: 0, mixed: 0, inWindow: 0, notLanded: 0 };
for (let i = 0; i < kills; i++) {
  const phase = i % 2 === 0 ? PHASES[rand(PHASES.length)] : null;
  const out = await runChild(config, runDir, i > 0, killAt(phase, rand), phase ? 50 : 0, phase ?? undefined);
  if (out.signal !== 'SIGKILL') { c.notLanded++; console.log(`kill ${i} did not land: ${out.lines.slice(-2).join(' | ')}`); break; }
  c.tried++;
  if (phase) c.inWindow++;
  try {
    const l = new Checkpoints(ckRoot).latest();
    const r = new CheckpointReader(l.dir);
    const state = r.json('state');
    const model = r.tensors('model');
    for (const t of model.values()) t.dispose();
    if (state.step !== r.manifest.step || state.loop.step !== state.step) c.mixed++;
    else c.clean++;
  } catch (e) {
    if (/corrupt|checksum|sha256/i.test(e.message)) c.corrupt++; else c.unloadable++;
    console.log(`after kill ${i} (${phase ?? 'step'}): ${e.message}`);
  }
}
const last = await runChild(config, runDir, true, () => false, 0);
const done = last.lines.find((l) => l.startsWith('DONE'))?.split(' ') ?? [];
const tmpLeft = readdirSync(ckRoot).filter((e) => e.startsWith('.tmp-')).length;
const finalEqual = done[1] === 'completed' && Number(done[2]) === refRun.step && done[3] === refHash;
const failed = c.tried - c.clean;
console.log(`kill-save tried=${c.tried} clean=${c.clean} failed=${failed} (corrupt=${c.corrupt} unloadable=${c.unloadable} mixed=${c.mixed}) ` +
  `in_save_window=${c.inWindow} final_equal=${finalEqual} tmp_left=${tmpLeft}`);
process.exitCode = failed || !finalEqual || tmpLeft || c.notLanded ? 1 : 0;

/**
 * R1/R2: a child trains and checkpoints every step; the parent SIGKILLs it 20
 * times, 11 of them inside a checkpoint write (one per gap between file writes,
 * rename and pointer updates), the rest at random times. After every kill the
 * newest checkpoint must verify and load; after the last restart no temp
 * directory may remain; and the chain of killed-and-resumed runs must end with
 * the same weights as an uninterrupted run (bit-identical).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoints, CheckpointReader, train } from '../../src/train/index.js';
import { makeDataset, makeLoader, TinyTask, tinyConfig, tmp, weightsHash } from './fixtures.js';
import { killAt, PHASES, runChild } from './kill-harness.js';

const PRE_PUBLISH = new Set(PHASES.slice(0, PHASES.indexOf('rename') + 1));
const config = tinyConfig({ epochs: 20, checkpoint: { every: 1, keep: 2 } });

test('R1/R2 SIGKILL during training and inside checkpoint writes never leaves a corrupt or mixed checkpoint', { timeout: 120_000 }, async () => {
  const ds = makeDataset();
  const ref = new TinyTask();
  const refRun = await train(ref, config, { data: makeLoader(ds), runDir: tmp('ref'), handleSignals: false });
  const refHash = weightsHash(ref);
  ref.dispose();
  ds.dispose();

  const chains = await Promise.all([chain(PHASES.slice(0, 6), 4, 1), chain(PHASES.slice(6), 5, 2)]); // two in parallel: child start-up dominates
  const sum = (k: keyof Counts): number => chains.reduce((a, c) => a + (c[k] as number), 0);
  const [kills, corrupt, loadable, inWindow, fallback, mixed, tmpSeen, tmpLeft] =
    (['kills', 'corrupt', 'loadable', 'inWindow', 'fallback', 'mixed', 'tmpSeen', 'tmpLeft'] as const).map(sum);
  const done = chains.map((c) => c.done);
  console.log(`R1 kills=${kills} corrupt=${corrupt} loadable=${loadable}/${kills} in_save_window=${inWindow} tmp_seen_after_kill=${tmpSeen} tmp_left=${tmpLeft}`);
  console.log(`R2 gaps_tested=${PHASES.length} mixed_state_loads=${mixed} fallback_to_previous=${fallback}/${[...PRE_PUBLISH].length} resumed_final_equal=${done.every((d) => d[3] === refHash)}`);
  assert.equal(corrupt, 0);
  assert.equal(kills, 20);
  assert.equal(loadable, kills);
  assert.equal(mixed, 0);
  assert.equal(tmpLeft, 0);
  assert.ok(tmpSeen >= 1, 'no kill landed while a temp directory existed');
  assert.equal(fallback, PRE_PUBLISH.size, 'a kill before the rename must leave the previous checkpoint as the newest');
  for (const d of done) {
    assert.equal(d[1], 'completed');
    assert.equal(Number(d[2]), refRun.step);
    assert.equal(d[3], refHash, 'killed-and-resumed chain differs from the uninterrupted run');
  }
});

interface Counts { kills: number; corrupt: number; loadable: number; inWindow: number; fallback: number; mixed: number; tmpSeen: number; tmpLeft: number; done: string[] }

/** One run directory killed once inside each of `phases`, then `randoms` times at random steps, then run to completion. */
async function chain(phases: string[], randoms: number, seed: number): Promise<Counts> {
  const runDir = tmp('kill');
  const root = join(runDir, 'checkpoints');
  const c: Counts = { kills: 0, corrupt: 0, loadable: 0, inWindow: 0, fallback: 0, mixed: 0, tmpSeen: 0, tmpLeft: 0, done: [] };
  let rnd = seed;
  const rand = (n: number): number => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n; };
  for (let i = 0; i < phases.length + randoms; i++) {
    const phase = i < phases.length ? phases[i]! : null;
    const out = await runChild(config, runDir, i > 0, killAt(phase, rand), phase ? 100 : 0, phase ?? undefined);
    assert.equal(out.signal, 'SIGKILL', `kill ${i} did not land (child ended: ${out.lines.slice(-3).join(' | ')})`);
    c.kills++;
    if (phase) c.inWindow++;
    if (readdirSync(root).some((e) => e.startsWith('.tmp-'))) c.tmpSeen++;
    try {
      const l = new Checkpoints(root).latest();
      const r = new CheckpointReader(l.dir);
      const state = r.json<{ step: number; loop: { step: number } }>('state');
      const model = r.tensors('model');
      for (const t of model.values()) t.dispose();
      if (state.step !== r.manifest.step || state.loop.step !== state.step) c.mixed++;
      const killedStep = Number(out.killedAt!.split(' ')[2]);
      if (phase && PRE_PUBLISH.has(phase) && state.step === killedStep - 1) c.fallback++;
      c.loadable++;
    } catch (e) {
      c.corrupt++;
      console.log(`kill ${i} (${out.killedAt}): ${(e as Error).message}`);
    }
  }
  const fin = await runChild(config, runDir, true, () => false, 0);
  assert.equal(fin.code, 0, fin.lines.slice(-3).join(' | '));
  c.done = fin.lines.find((l) => l.startsWith('DONE'))!.split(' ');
  c.tmpLeft = readdirSync(root).filter((e) => e.startsWith('.tmp-') || e.startsWith('.trash-')).length;
  assert.ok(existsSync(join(root, 'last.json')));
  return c;
}

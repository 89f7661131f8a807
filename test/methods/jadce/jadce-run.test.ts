/** runJadceTrain / runJadceSweep on the shared run lifecycle: the run directory's files, a finished train refused, a sweep continued (and refused when its settings changed), a sweep directory from before runs recorded their arguments continued. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../src/core/torch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { runJadceEval, runJadceSweep, runJadceTrain, type JadceOverrides, type SweepOptions } from '../../../src/methods/jadce/index.js';

torch.setNumThreads(1);

const ov: JadceOverrides = {
  scenario: { devices: 30, antennas: 4, pilotLength: 10, activity: 0.1, snrDb: 15 },
  baselines: { listaLayers: 2, ampIterations: 5, istaIterations: 10 },
  net: { layers: 2 },
  train: { innerSteps: 1, outerSteps: 1, finalSteps: 1, batch: 8 },
};

test('jadce train writes its run directory (cli.json, config.json, log.txt, models, train.json); a finished run is refused; eval reads it', () => {
  const root = mkdtempSync(join(tmpdir(), 'jadce-run-'));
  try {
    const out = join(root, 'train');
    const lines: string[] = [];
    const rep = runJadceTrain({ overrides: ov, methods: ['lista'], seed: 1, out, command: 'adaptune jadce train (test)', log: (s) => lines.push(s) });
    for (const f of ['cli.json', 'config.json', 'log.txt', 'models.safetensors', 'train.json']) assert.ok(existsSync(join(out, f)), f);
    const args = JSON.parse(readFileSync(join(out, 'cli.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([args.kind, args.seed, args.methods], ['jadce train', 1, ['lista']]);
    assert.equal((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { scenario: { devices: number } }).scenario.devices, 30);
    assert.match(readFileSync(join(out, 'log.txt'), 'utf8'), /^\$ adaptune jadce train \(test\)\n[\s\S]*trained lista/);
    assert.ok(lines.length > 0);
    assert.equal((JSON.parse(readFileSync(join(out, 'train.json'), 'utf8')) as { seed: number }).seed, rep.seed);
    assert.throws(() => runJadceTrain({ overrides: ov, methods: ['lista'], seed: 1, out }), (e: Error) => e instanceof ConfigError && /already holds a run of adaptune jadce train \(models\.safetensors\)/.test(e.message));
    writeFileSync(join(root, 'x'), '');
    assert.throws(() => runJadceTrain({ overrides: ov, methods: ['lista'], seed: 1, out: root }), /not empty and holds no run/);
    assert.throws(() => runJadceSweep(ov, sweepOpts(out)), /a run of adaptune jadce train, not jadce sweep/);
    const ev = runJadceEval({ from: out, seed: 0, slots: 8, batch: 8, methods: ['amp', 'lista'] });
    assert.deepEqual(ev.rows.map((r) => r.method), ['amp', 'lista']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function sweepOpts(out: string, seeds = [0]): SweepOptions {
  return { pilotLengths: [10], snrs: [15], fixedSnr: 15, fixedPilotLength: 10, seeds, methods: ['amp'], slots: 8, batch: 8, out };
}

test('jadce sweep continues in its directory (finished points skipped), refuses changed settings, and continues a directory without cli.json', () => {
  const root = mkdtempSync(join(tmpdir(), 'jadce-sweep-'));
  try {
    const out = join(root, 'sweep');
    runJadceSweep(ov, sweepOpts(out), 'adaptune jadce sweep (test)');
    for (const f of ['cli.json', 'config.json', 'log.txt', 'points.jsonl', 'summary.json', 'results.md']) assert.ok(existsSync(join(out, f)), f);
    const skipped: string[] = [];
    const rep = runJadceSweep(ov, sweepOpts(out, [0, 1]), '', (s) => skipped.push(s));
    assert.ok(skipped.some((s) => /^skip L=10 SNR=15 seed 0/.test(s)));
    assert.equal(readFileSync(join(out, 'points.jsonl'), 'utf8').trim().split('\n').length, 2);
    assert.equal(rep.rows[0]!.nmseDb.n, 2);
    assert.throws(() => runJadceSweep({ ...ov, scenario: { ...ov.scenario, activity: 0.2 } }, sweepOpts(out)),
      (e: Error) => e instanceof ConfigError && /config\.scenario\.activity: the run has 0\.1, now 0\.2/.test(e.message));
    assert.throws(() => runJadceSweep(ov, { ...sweepOpts(out), slots: 16 }), /slots: the run has 8, now 16/);
    const legacy = join(root, 'legacy');
    runJadceSweep(ov, sweepOpts(legacy));
    for (const f of ['cli.json', 'config.json', 'log.txt']) rmSync(join(legacy, f));
    const again: string[] = [];
    runJadceSweep(ov, sweepOpts(legacy), '', (s) => again.push(s));
    assert.ok(again.some((s) => /^skip /.test(s)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** The run lifecycle (src/train/lifecycle.ts): where a run may go, resuming (changed settings refused, epochs/steps extend), the one config layering. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { checkResume, checkRunOut, layerConfig, makeConfig, planRun, RunDir, RunSession } from '../../src/train/index.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-life-'));

test('--out: empty, a file, a non-empty folder that is no run, and an uncreatable path each give one clear ConfigError', () => {
  assert.throws(() => checkRunOut(''), (e: Error) => e instanceof ConfigError && /--out must name a directory, got ''/.test(e.message));
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => checkRunOut(file), /that is a file, not a directory/);
  assert.throws(() => checkRunOut(join(file, 'sub')), /is a file, not a directory/);
  const full = join(root, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'notes.txt'), 'mine');
  assert.throws(() => checkRunOut(full), /not empty and holds no run/);
  writeFileSync(join(full, 'config.json'), '{}');
  assert.throws(() => checkRunOut(full), /not empty and holds no run/, 'a folder of the user\'s with a config.json is no run: never cleared');
  const t0 = Date.now();
  assert.throws(() => checkRunOut('/proc/adaptune-x/run'), (e: Error) => e instanceof ConfigError && /cannot create/.test(e.message));
  assert.throws(() => new RunDir('/proc/adaptune-x/run'), (e: Error) => e instanceof ConfigError && /cannot create/.test(e.message));
  assert.ok(Date.now() - t0 < 5000, 'no endless mkdir loop');
  const empty = join(root, 'empty');
  mkdirSync(empty);
  assert.equal(checkRunOut(empty), empty);
  assert.equal(checkRunOut(join(root, 'new', 'deeper')), join(root, 'new', 'deeper'));
});

test('a run stopped before its first checkpoint can be started again with --out; --resume says so instead of failing on the checkpoint', () => {
  const plan = planRun<{ data: string }>('finetune', { out: join(root, 'stub') });
  const s = RunSession.open(plan, { data: 'fmnist:target-mid' }, { command: 'adaptune finetune' });
  writeFileSync(join(s.dir, 'config.json'), '{}');
  assert.throws(() => planRun('finetune', { resume: s.dir }), /stopped before its first checkpoint; start it again with --out/);
  assert.equal(checkRunOut(s.dir), s.dir, 'no checkpoint yet: the folder may be reused');
  mkdirSync(join(s.dir, 'checkpoints', 'step-00000001'), { recursive: true });
  assert.throws(() => checkRunOut(s.dir), /already holds a run .* --resume/);
  assert.throws(() => planRun('semisup', { resume: s.dir }), /that is a run of adaptune finetune, not semisup/);
  assert.throws(() => planRun('finetune', { resume: join(root, 'full') }), /no cli\.json there/);
});

test('resume: given arguments and config layers that differ are refused, each named; only epochs or steps may grow', () => {
  const saved = makeConfig({ epochs: 2, optim: { lr: 0.1 }, method: { a: 1 } });
  assert.deepEqual(checkResume('d', { data: 'x' }, { data: undefined }, saved, saved), { extend: false });
  assert.deepEqual(checkResume('d', { data: 'x' }, { data: 'x' }, saved, makeConfig({ ...saved, epochs: 5 })), { extend: true });
  assert.throws(() => checkResume('d', { data: 'fmnist:target-mid' }, { data: 'fmnist:target-shift' }, saved, saved),
    /data: the run has "fmnist:target-mid", now "fmnist:target-shift"/);
  assert.throws(() => checkResume('d', {}, {}, saved, makeConfig({ ...saved, optim: { ...saved.optim, lr: 0.5 } })), /optim\.lr: the run has 0\.1, now 0\.5/);
  assert.throws(() => checkResume('d', {}, {}, saved, makeConfig({ ...saved, method: { a: 2 } })), /method\.a: the run has 1, now 2/);
});

test('layerConfig: defaults < file < flags < set; exclusive pairs drop the other below; replace swaps an object whose key changes', async () => {
  const file = join(root, 'c.json');
  writeFileSync(file, JSON.stringify({ epochs: 4, method: { lr: 0.3 }, s: { name: 'b', y: 2 } }));
  const m = await layerConfig({
    defaults: { epochs: 1, seed: 0, method: { elr: 0.1, momentum: 0.9 }, s: { name: 'a', x: 1 } }, file, flags: { seed: 3 }, set: ['epochs=7', 'method.momentum=0.5'],
    exclusive: [['method.lr', 'method.elr']], replace: [{ path: 's', key: 'name', fallback: 'a' }],
  });
  assert.deepEqual(m, { epochs: 7, seed: 3, method: { elr: null, lr: 0.3, momentum: 0.5 }, s: { name: 'b', y: 2 } });
  const n = await layerConfig({ defaults: { method: { lr: 0.3 } }, set: ['method.elr=1'], exclusive: [['method.lr', 'method.elr']] });
  assert.deepEqual(n, { method: { lr: null, elr: 1 } });
});

test.after(() => rmSync(root, { recursive: true, force: true }));

/**
 * Mutation-guided tests of the run lifecycle (src/train/lifecycle.ts, issue 23, area train-resume): config layering
 * edge cases, the resume checks, planRun, runConfig and RunSession, on hand-written cases. Fast: no training.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import {
  ARGS_FILE, checkResume, defined, layerConfig, makeConfig, planRun, readSummary, RunSession, runConfig, savedRunArgs, type TrainConfig,
} from '../../src/train/index.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-mlife-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (tag: string): string => { const d = join(root, `${tag}-${n++}`); mkdirSync(d, { recursive: true }); return d; };

test('defined() drops only undefined entries', () => {
  assert.deepEqual(defined({ a: 1, b: undefined, c: null, d: 0, e: '' }), { a: 1, c: null, d: 0, e: '' });
});

test('layerConfig: null does not count as given; both of an exclusive pair in one layer keep both; replace keeps the object when its key is unchanged or the fallback', async () => {
  const ex: [string, string][] = [['method.lr', 'method.elr']];
  assert.deepEqual(await layerConfig({ defaults: { method: { elr: 1 } }, flags: { method: { lr: null } }, exclusive: ex }), { method: { elr: 1, lr: null } });
  assert.deepEqual(await layerConfig({ defaults: { method: { elr: 1 } }, flags: { method: { lr: 2, elr: 3 } }, exclusive: ex }), { method: { lr: 2, elr: 3 } });
  assert.deepEqual(await layerConfig({ defaults: { method: { elr: 1, lr: 5 } }, flags: { other: 1 }, exclusive: ex }), { method: { elr: 1, lr: 5 }, other: 1 }, 'a layer giving neither drops nothing');
  assert.deepEqual(await layerConfig({ defaults: { method: 3 }, flags: { method: { lr: 2 } }, exclusive: ex }), { method: { lr: 2, elr: null } });
  const rep = [{ path: 'm.s', key: 'name', fallback: 'cos' }];
  assert.deepEqual(await layerConfig({ defaults: { m: { s: { name: 'cos', a: 1 } } }, flags: { m: { s: { name: 'cos', b: 2 } } }, replace: rep }), { m: { s: { name: 'cos', a: 1, b: 2 } } });
  assert.deepEqual(await layerConfig({ defaults: { m: { s: { a: 1 } } }, flags: { m: { s: { name: 'cos', b: 2 } } }, replace: rep }), { m: { s: { a: 1, name: 'cos', b: 2 } } }, 'no name below: the fallback');
  assert.deepEqual(await layerConfig({ defaults: { m: { s: { a: 1 } } }, flags: { m: { s: { name: 'step', b: 2 } } }, replace: rep }), { m: { s: { name: 'step', b: 2 } } });
  assert.deepEqual(await layerConfig({ defaults: { m: { s: { name: 'step', a: 1 } } }, flags: { m: { s: { b: 2 } } }, replace: rep }), { m: { s: { name: 'step', a: 1, b: 2 } } }, 'a layer without the key merges');
  assert.deepEqual(await layerConfig({}), {});
  assert.deepEqual(await layerConfig({ defaults: { a: null }, flags: { x: 1 }, exclusive: [['a.b.c', 'a.b.d']] }), { a: null, x: 1 }, 'a section set to null is no object to look into');
});

test('checkResume ignores kind, command and arguments not given; maxSteps extends; every difference is named in one error', () => {
  const saved = makeConfig({ epochs: 2, maxSteps: 10, optim: { lr: 0.1 } });
  assert.deepEqual(checkResume('d', { kind: 'a', command: 'x', data: 'p' }, { kind: 'b', command: 'y', data: 'p', batch: undefined }, saved, saved), { extend: false });
  assert.deepEqual(checkResume('d', {}, {}, saved, makeConfig({ ...saved, maxSteps: 20 })), { extend: true });
  assert.throws(() => checkResume('runX', { data: 'p', batch: 8 }, { data: 'q', batch: 16 }, saved, makeConfig({ ...saved, epochs: 3, optim: { ...saved.optim, lr: 0.2 } })), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /^--resume runX: a resumed run keeps its own settings, and these differ: data: the run has "p", now "q"; batch: the run has 8, now 16; optim\.lr: the run has 0\.1, now 0\.2 \(only/);
    assert.doesNotMatch(e.message, /epochs: /);
    return true;
  });
  assert.throws(() => checkResume('d', { w: [1, 2] }, { w: [1, 3] }, saved, saved), /w: the run has \[1,2\], now \[1,3\]/);
});

test('planRun: no out gives a directory chosen later; an out is checked; a resume returns the saved arguments and config', () => {
  assert.deepEqual(planRun('k', {}), { kind: 'k', dir: null, saved: null });
  assert.deepEqual(planRun('k', { out: null, resume: null }), { kind: 'k', dir: null, saved: null });
  const out = join(fresh('plan'), 'new');
  assert.deepEqual(planRun('k', { out }), { kind: 'k', dir: out, saved: null });
  assert.equal(existsSync(out), false, 'checking that it can be created leaves nothing behind');
  const deep = join(fresh('plan'), 'a', 'b', 'c');
  assert.equal(planRun('k', { out: deep }).dir, deep);
  assert.equal(existsSync(join(deep, '..', '..')), false, 'only the first missing level was probed, and removed');
  const run = fresh('planrun');
  writeFileSync(join(run, ARGS_FILE), JSON.stringify({ data: 'd1' }));
  writeFileSync(join(run, 'config.json'), JSON.stringify({ seed: 4 }));
  assert.throws(() => planRun('k', { resume: run }), /stopped before its first checkpoint/, 'config.json but no checkpoint');
  mkdirSync(join(run, 'checkpoints', 'step-00000002'), { recursive: true });
  assert.deepEqual(planRun('k', { resume: run }), { kind: 'k', dir: run, saved: { args: { data: 'd1' }, config: { seed: 4 } } }, 'arguments without a kind are accepted');
  rmSync(join(run, 'config.json'));
  assert.throws(() => planRun('k', { resume: run }), /stopped before its first checkpoint/, 'a checkpoint but no config.json');
});

test('RunSession: open records the arguments with kind and command, clears only a stub\'s run files, logs; summary merges; savedRunArgs', () => {
  const dir = join(fresh('sess'), 'run');
  const s = RunSession.open({ kind: 'k', dir, saved: null }, { data: 'x', n: 2 }, { command: 'adaptune k --data x' });
  assert.equal(s.resumed, false);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, ARGS_FILE), 'utf8')), { kind: 'k', data: 'x', n: 2, command: 'adaptune k --data x' });
  assert.deepEqual(savedRunArgs(dir), { kind: 'k', data: 'x', n: 2, command: 'adaptune k --data x' });
  assert.equal(readFileSync(s.logFile, 'utf8'), '$ adaptune k --data x\n');
  writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1}\n');
  mkdirSync(join(dir, 'tensorboard'));
  const again = RunSession.open({ kind: 'k', dir, saved: null }, { data: 'y' });
  assert.deepEqual(readdirSync(dir).sort(), [ARGS_FILE, 'log.txt'], 'the stub\'s files were removed before starting again');
  assert.equal(readFileSync(again.logFile, 'utf8'), '$ (library) k\n');
  assert.deepEqual(again.readSummary(), {});
  again.writeSummary({ a: 1, b: 2 });
  again.writeSummary({ b: 3, c: 4 });
  assert.deepEqual(readSummary(dir), { a: 1, b: 3, c: 4 });
  const resumed = RunSession.open({ kind: 'k', dir, saved: { args: {}, config: {} } }, { data: 'z' }, { command: 'again' });
  assert.equal(resumed.resumed, true);
  assert.deepEqual(savedRunArgs(dir), { kind: 'k', data: 'y', command: '(library) k' }, 'a resumed session does not rewrite the arguments');
  assert.equal(readFileSync(resumed.logFile, 'utf8'), '$ (library) k\n$ again\n');
  assert.equal(savedRunArgs(join(root, 'nowhere')), null);
  assert.deepEqual(readSummary(join(root, 'nowhere')), {});
  const other = fresh('other');
  writeFileSync(join(other, ARGS_FILE), '{}');
  writeFileSync(join(other, 'mine.txt'), 'keep');
  RunSession.open({ kind: 'k', dir: other, saved: null }, {});
  assert.ok(existsSync(join(other, 'mine.txt')), 'a folder with foreign files is no stub: nothing removed');
});

test('runConfig: a new run layers and resolves (extend false); a resumed one layers flags over its saved config, refuses --config, wraps only ConfigErrors, extends on more epochs', async () => {
  const resolve = (raw: Record<string, unknown>): TrainConfig<object> => makeConfig(raw);
  const fresh1 = await runConfig({ kind: 'k', dir: null, saved: null }, { resolve, defaults: { epochs: 2 }, set: ['seed=5'] });
  assert.deepEqual([fresh1.config.epochs, fresh1.config.seed, fresh1.extend], [2, 5, false]);
  const saved = { kind: 'k', dir: '/r', saved: { args: { data: 'd' }, config: makeConfig({ epochs: 2, seed: 1 }) as unknown as Record<string, unknown> } };
  const same = await runConfig(saved, { resolve, defaults: { epochs: 9 }, given: { data: 'd' } });
  assert.deepEqual([same.config.epochs, same.config.seed, same.extend], [2, 1, false], 'the saved config replaces the defaults');
  const longer = await runConfig(saved, { resolve, flags: { epochs: 4 } });
  assert.deepEqual([longer.config.epochs, longer.extend], [4, true]);
  await assert.rejects(runConfig(saved, { resolve, file: 'c.json' }), /--resume \/r continues a run with its own config\.json; it cannot be combined with --config/);
  await assert.rejects(runConfig(saved, { resolve, set: ['epochs=-1'] }), (e: Error) => e instanceof ConfigError && /^--resume \/r: a resumed run keeps its own settings, and the options given now change them \(.*epochs.*\); only the epochs or steps may change$/.test(e.message));
  let calls = 0;
  const odd = (raw: Record<string, unknown>): TrainConfig<object> => { if (++calls === 2) throw new TypeError('odd'); return makeConfig(raw); };
  await assert.rejects(runConfig(saved, { resolve: odd }), (e: Error) => e instanceof TypeError && e.message === 'odd');
  await assert.rejects(runConfig(saved, { resolve, flags: { seed: 2 } }), /seed: the run has 1, now 2/);
});

/**
 * Mutation-guided tests of the run-directory code (issue 23, area train-resume): the checkpoints directory
 * (names, listing order, stale clean-up, pointers, retention, the newest checkpoint that verifies, durable
 * removals) and the run directory (makeDirs, newRunDir, metrics.jsonl truncation on resume). Every expected value
 * is written out by hand. Fast: no training, one tiny tensor per file. The lifecycle is in mutants-train-lifecycle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import * as torch from '../../src/core/torch.js';
import { CheckpointError, ConfigError } from '../../src/core/errors.js';
import { checkpointName, Checkpoints, makeDirs, MetricsLog, newRunDir, RunDir, saveCheckpoint, type CheckpointContent } from '../../src/train/index.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-mtrain-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (tag: string): string => { const d = join(root, `${tag}-${n++}`); mkdirSync(d, { recursive: true }); return d; };

/** A checkpoint content of one 1-element tensor and one JSON value. */
function content(v: number): { c: CheckpointContent; dispose: () => void } {
  const t = torch.full([1], v, { dtype: 'float32' });
  return { c: { tensors: { model: new Map([['w', t]]) }, json: { state: { v } } }, dispose: () => t.dispose() };
}
function saveAt(c: Checkpoints, step: number, o: { keep: number; best?: { metric: string; value: number } | null; onPhase?: (p: string, d: string) => void } = { keep: 100 }): string {
  const k = content(step);
  try { return c.save(step, k.c, o); } finally { k.dispose(); }
}

test('checkpointName pads to 8 digits and keeps longer steps whole; list() orders numerically and ignores other names', () => {
  assert.equal(checkpointName(7), 'step-00000007');
  assert.equal(checkpointName(0), 'step-00000000');
  assert.equal(checkpointName(123456789), 'step-123456789');
  const d = fresh('list');
  const c = new Checkpoints(join(d, 'ck'));
  assert.deepEqual(c.list(), [], 'no directory yet: nothing');
  for (const e of ['step-00000010', 'step-123456789', 'step-00000002', 'step-99999999', 'step-1', 'step-0000000x', 'xstep-00000003', '.tmp-step-00000004-1-2']) mkdirSync(join(c.root, e), { recursive: true });
  writeFileSync(join(c.root, 'last.json'), '{}');
  // numeric order: 123456789 after 99999999 (a string sort would put it before)
  assert.deepEqual(c.list(), ['step-00000002', 'step-00000010', 'step-99999999', 'step-123456789']);
});

test('cleanStale removes exactly the temp/trash directories and temp pointer files of a killed save, and counts them', () => {
  const c = new Checkpoints(join(fresh('stale'), 'ck'));
  assert.equal(c.cleanStale(), 0, 'no directory: 0');
  mkdirSync(c.root);
  assert.equal(c.cleanStale(), 0, 'empty: 0');
  mkdirSync(join(c.root, '.tmp-step-00000003-1-2', 'inner'), { recursive: true });
  writeFileSync(join(c.root, '.tmp-step-00000003-1-2', 'inner', 'x.json'), '{}');
  mkdirSync(join(c.root, '.trash-step-00000001-9'));
  writeFileSync(join(c.root, '.last.json.tmp-77'), '{');
  writeFileSync(join(c.root, '.best.json.tmp-78'), '{');
  const keep = ['step-00000002', 'last.json', 'best.json', '.other', 'tmp-x', '.lastjson.tmp-1', '.worst.json.tmp-1'];
  mkdirSync(join(c.root, 'step-00000002'));
  for (const f of keep.slice(1)) writeFileSync(join(c.root, f), '{}');
  assert.equal(c.cleanStale(), 4);
  assert.deepEqual(readdirSync(c.root).sort(), [...keep].sort());
  assert.equal(c.cleanStale(), 0);
});

test('pointer(): null when absent, not JSON, not an object with a step-directory name; the object otherwise', () => {
  const c = new Checkpoints(fresh('ptr'));
  assert.equal(c.pointer('last'), null);
  const put = (s: string): void => writeFileSync(join(c.root, 'last.json'), s);
  put('{"checkpoint": "step-00000001"'); assert.equal(c.pointer('last'), null);
  put('null'); assert.equal(c.pointer('last'), null);
  put('{"checkpoint": 5, "step": 5}'); assert.equal(c.pointer('last'), null);
  put('{"checkpoint": "step-5", "step": 5}'); assert.equal(c.pointer('last'), null);
  put('{"checkpoint": "../step-00000005", "step": 5}'); assert.equal(c.pointer('last'), null);
  put('{"checkpoint": "step-00000005", "step": 5}'); assert.deepEqual(c.pointer('last'), { checkpoint: 'step-00000005', step: 5 });
  assert.equal(c.pointer('best'), null, 'best is its own file');
});

test('save(): last always moves, best only when given; phases pointer then retention; retention keeps the newest k plus last and best', () => {
  const c = new Checkpoints(join(fresh('save'), 'ck'));
  const phases: string[] = [];
  const d1 = saveAt(c, 1, { keep: 2, best: { metric: 'acc', value: 0.5 }, onPhase: (p) => phases.push(p) });
  assert.equal(basename(d1), 'step-00000001');
  assert.deepEqual(phases.slice(-2), ['pointer', 'retention']);
  assert.deepEqual(c.pointer('last'), { checkpoint: 'step-00000001', step: 1 });
  assert.deepEqual(c.pointer('best'), { checkpoint: 'step-00000001', step: 1, metric: 'acc', value: 0.5 });
  saveAt(c, 2, { keep: 2 });
  saveAt(c, 3, { keep: 2, best: null });
  assert.deepEqual(c.pointer('last'), { checkpoint: 'step-00000003', step: 3 });
  assert.deepEqual(c.pointer('best'), { checkpoint: 'step-00000001', step: 1, metric: 'acc', value: 0.5 }, 'best stays where it was');
  assert.deepEqual(c.list(), ['step-00000001', 'step-00000002', 'step-00000003'], 'newest 2 plus best');
  saveAt(c, 4, { keep: 2 });
  assert.deepEqual(c.list(), ['step-00000001', 'step-00000003', 'step-00000004']);
  saveAt(c, 5, { keep: 1, best: { metric: 'acc', value: 0.9 } });
  assert.deepEqual(c.list(), ['step-00000005'], 'keep 1 with last = best: only it');
  assert.deepEqual(readdirSync(c.root).filter((e) => e.startsWith('.')), [], 'no temp or trash entries left');
  assert.equal((JSON.parse(readFileSync(join(c.root, 'step-00000005', 'state.json'), 'utf8')) as { v: number }).v, 5);
});

test('retain(keep) drops the oldest beyond keep except the pointed-to ones, returns them oldest first; keep 0 keeps only the protected', () => {
  const c = new Checkpoints(fresh('retain'));
  for (const s of [1, 2, 3, 4, 5, 6]) mkdirSync(join(c.root, checkpointName(s)));
  writeFileSync(join(c.root, 'best.json'), JSON.stringify({ checkpoint: 'step-00000002', step: 2 }));
  writeFileSync(join(c.root, 'last.json'), JSON.stringify({ checkpoint: 'step-00000004', step: 4 }));
  assert.deepEqual(c.retain(10), []);
  assert.deepEqual(c.retain(6), []);
  assert.deepEqual(c.retain(5), ['step-00000001']);
  assert.deepEqual(c.retain(2), ['step-00000003']);
  assert.deepEqual(c.list(), ['step-00000002', 'step-00000004', 'step-00000005', 'step-00000006']);
  assert.deepEqual(c.retain(0), ['step-00000005', 'step-00000006']);
  assert.deepEqual(c.list(), ['step-00000002', 'step-00000004']);
  assert.deepEqual(readdirSync(c.root).filter((e) => e.startsWith('.')), []);
});

test('latest(): the newest checkpoint that verifies; fellBack and problems only when newer ones are damaged; none loadable throws naming each', () => {
  const c = new Checkpoints(join(fresh('latest'), 'ck'));
  assert.throws(() => c.latest(), (e: Error) => e instanceof CheckpointError && new RegExp(`no loadable checkpoint in ${c.root}$`).test(e.message));
  saveAt(c, 1); saveAt(c, 2); saveAt(c, 3);
  assert.deepEqual(c.latest(), { dir: join(c.root, 'step-00000003'), fellBack: false, problems: [] });
  writeFileSync(join(c.root, 'step-00000003', 'state.json'), '{"v": 9}\n');
  writeFileSync(join(c.root, 'last.json'), JSON.stringify({ checkpoint: 'step-00000003', step: 3 }));
  const l = c.latest();
  assert.equal(l.dir, join(c.root, 'step-00000002'));
  assert.equal(l.fellBack, true);
  assert.equal(l.problems.length, 1);
  assert.match(l.problems[0]!, /step-00000003: 'state\.json' has \d+ bytes, the manifest says \d+/);
  rmSync(join(c.root, 'step-00000002', 'manifest.json'));
  rmSync(join(c.root, 'step-00000001', 'model.safetensors'));
  assert.throws(() => c.latest(), (e: Error) => e instanceof CheckpointError && /no loadable checkpoint in .*: .*step-00000003.*; .*step-00000002: no manifest\.json.*; .*step-00000001: 'model\.safetensors' is listed/.test(e.message));
});

test('saveCheckpoint over an existing directory replaces it whole (no file of the old one stays)', () => {
  const d = join(fresh('replace'), 'step-00000001');
  const a = content(1);
  saveCheckpoint(d, { tensors: a.c.tensors, json: { state: { v: 1 }, extra: { x: 1 } } }, { step: 1 });
  a.dispose();
  const b = content(2);
  saveCheckpoint(d, b.c, { step: 1 });
  b.dispose();
  assert.deepEqual(readdirSync(d).sort(), ['manifest.json', 'model.safetensors', 'state.json']);
  assert.deepEqual(readdirSync(join(d, '..')), ['step-00000001']);
});

test('makeDirs creates every missing level, accepts an existing directory, and names a file in the way', () => {
  const d = fresh('mk');
  makeDirs(join(d, 'a', 'b', 'c'));
  assert.ok(statSync(join(d, 'a', 'b', 'c')).isDirectory());
  makeDirs(join(d, 'a', 'b', 'c'));
  makeDirs(d);
  writeFileSync(join(d, 'f'), 'x');
  assert.throws(() => makeDirs(join(d, 'f', 'g')), (e: Error) => e instanceof ConfigError && e.message === `cannot create ${join(d, 'f', 'g')}: ${join(d, 'f')} is a file, not a directory`);
  assert.throws(() => makeDirs(join(d, 'f')), (e: Error) => e instanceof ConfigError && /is a file, not a directory/.test(e.message));
});

test('newRunDir: <YYYYmmdd-HHMMSS>-<name> in local time, unsafe characters replaced, -2, -3 when taken', () => {
  const d = fresh('runs');
  const p = (x: number): string => String(x).padStart(2, '0');
  const fmt = (t: Date): string => `${t.getFullYear()}${p(t.getMonth() + 1)}${p(t.getDate())}-${p(t.getHours())}${p(t.getMinutes())}${p(t.getSeconds())}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = fmt(new Date());
    const a = newRunDir(d, 'my run/α');
    const b = newRunDir(d, 'my run/α');
    const c = newRunDir(d, 'my run/α');
    const after = fmt(new Date());
    if (before !== after) continue; // crossed a second: try again
    assert.equal(a, join(d, `${before}-my-run-`));
    assert.equal(b, join(d, `${before}-my-run--2`));
    assert.equal(c, join(d, `${before}-my-run--3`));
    for (const x of [a, b, c]) assert.ok(statSync(x).isDirectory());
    assert.equal(newRunDir(d, 'ok_name.v1-2'), join(d, `${before}-ok_name.v1-2`));
    return;
  }
  assert.fail('five attempts all crossed a second boundary');
});

test('MetricsLog: one line per record; truncateAfter(k) drops steps above k and a partial last line, keeps step-less lines, rewrites only when needed', () => {
  const d = fresh('metrics');
  const log = new MetricsLog(join(d, 'metrics.jsonl'));
  assert.equal(log.truncateAfter(3), 0, 'no file: nothing');
  log.close();
  for (const s of [1, 2, 3, 4, 5]) log.append({ step: s, loss: s / 10 });
  log.append({ event: 'note' });
  log.flush();
  log.close();
  log.close();
  const file = readFileSync(log.file, 'utf8');
  assert.equal(file.split('\n').length, 7);
  assert.deepEqual(JSON.parse(file.split('\n')[1]!), { step: 2, loss: 0.2 });
  const ino = statSync(log.file).ino;
  assert.equal(log.truncateAfter(5), 0);
  assert.equal(statSync(log.file).ino, ino, 'nothing dropped: the file is not rewritten');
  writeFileSync(log.file, file + '{"step": 6, "lo');
  assert.equal(log.truncateAfter(5), 1, 'the partial line');
  assert.equal(readFileSync(log.file, 'utf8'), file);
  assert.equal(log.truncateAfter(3), 2);
  assert.equal(readFileSync(log.file, 'utf8'), '{"step":1,"loss":0.1}\n{"step":2,"loss":0.2}\n{"step":3,"loss":0.3}\n{"event":"note"}\n');
  assert.equal(log.truncateAfter(0), 3);
  assert.equal(readFileSync(log.file, 'utf8'), '{"event":"note"}\n');
  log.append({ step: 1 });
  log.close();
  assert.equal(readFileSync(log.file, 'utf8'), '{"event":"note"}\n{"step":1}\n', 'append after close reopens for appending');
});

test('RunDir: config.json round trip (null when absent), run.json and summary.json written as 2-space JSON', () => {
  const r = new RunDir(join(fresh('rundir'), 'x', 'y'));
  assert.equal(r.readConfig(), null);
  assert.equal(r.checkpointsDir, join(r.dir, 'checkpoints'));
  r.writeConfig({ a: 1, b: [2] });
  assert.deepEqual(r.readConfig(), { a: 1, b: [2] });
  r.writeRunInfo({ seed: 3 });
  r.writeSummary({ status: 'completed' });
  assert.equal(readFileSync(join(r.dir, 'run.json'), 'utf8'), '{\n  "seed": 3\n}\n');
  assert.deepEqual(JSON.parse(readFileSync(join(r.dir, 'summary.json'), 'utf8')), { status: 'completed' });
  assert.equal(r.metrics.file, join(r.dir, 'metrics.jsonl'));
});

/** Runs fn recording the paths that were fsynced (openSync + fsyncSync spied, ESM bindings synced). */
function fsyncedPaths(fn: () => void): string[] {
  const f = fs as unknown as Record<string, unknown>;
  const [open, fsync] = [fs.openSync, fs.fsyncSync];
  const byFd = new Map<number, string>();
  const seen: string[] = [];
  f['openSync'] = (p: string, ...rest: unknown[]) => { const fd = (open as (...a: unknown[]) => number)(p, ...rest); byFd.set(fd, String(p)); return fd; };
  f['fsyncSync'] = (fd: number) => { seen.push(byFd.get(fd) ?? `fd ${fd}`); return fsync(fd); };
  syncBuiltinESMExports();
  try { fn(); } finally { f['openSync'] = open; f['fsyncSync'] = fsync; syncBuiltinESMExports(); }
  return seen;
}

test('removals in the checkpoints directory are made durable: cleanStale and retain fsync the directory when they removed something', () => {
  const c = new Checkpoints(fresh('durable'));
  mkdirSync(join(c.root, '.tmp-step-00000001-1-1'));
  assert.ok(fsyncedPaths(() => assert.equal(c.cleanStale(), 1)).includes(c.root));
  for (const s of [1, 2, 3]) mkdirSync(join(c.root, checkpointName(s)));
  assert.ok(fsyncedPaths(() => assert.deepEqual(c.retain(1), ['step-00000001', 'step-00000002'])).includes(c.root));
});

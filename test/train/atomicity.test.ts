/**
 * Crash safety proved by fault injection, not by a kill campaign: node:fs is patched (and the ESM bindings
 * synced) so that a write fails half-way; atomicWrite, saveSafetensors and saveCheckpoint must then leave the
 * old bytes and no temp file, and on success publish by rename (the temp file's / directory's inode becomes
 * the target's), never by writing in place or copying.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import { CheckpointError } from '../../src/core/errors.js';
import { saveSafetensors } from '../../src/core/io/safetensors.js';
import { atomicWrite, atomicWriteJson, fsyncPath, sha256File, writeDurable } from '../../src/train/atomic.js';
import { CheckpointReader, MANIFEST_VERSION, saveCheckpoint, verifyCheckpoint } from '../../src/train/checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-atomic-'));
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
const dirOf = (tag: string): string => { const d = join(root, tag); mkdirSync(d); return d; };

type Fs = typeof fs;
/** Runs fn with some node:fs functions replaced (ESM named imports included), restoring them afterwards. */
function withPatchedFs<R>(patch: Partial<{ [K in keyof Fs]: (orig: Fs[K]) => Fs[K] }>, fn: () => R): R {
  const saved = new Map<string, unknown>();
  const f = fs as unknown as Record<string, unknown>;
  for (const [k, wrap] of Object.entries(patch)) { saved.set(k, f[k]); f[k] = (wrap as (o: unknown) => unknown)(f[k]); }
  syncBuiltinESMExports();
  try { return fn(); } finally {
    for (const [k, v] of saved) f[k] = v;
    syncBuiltinESMExports();
  }
}

/** writeSync that writes `after` bytes in total (across calls), then fails with ENOSPC. */
function failingWrite(after: number): (orig: Fs['writeSync']) => Fs['writeSync'] {
  let written = 0;
  return (orig) => ((fd: number, buf: Uint8Array | string, off?: number, len?: number, pos?: number | null) => {
    if (typeof buf === 'string') throw new Error('test: string writes not expected');
    const o = off ?? 0;
    const n = Math.min(len ?? buf.length - o, after - written);
    if (n <= 0) throw Object.assign(new Error('ENOSPC: no space left on device (injected)'), { code: 'ENOSPC' });
    written += n;
    return orig(fd, buf, o, n, pos ?? null);
  }) as Fs['writeSync'];
}

test('atomicWrite: a write that fails half-way leaves the old bytes and no temp file', () => {
  const d = dirOf('aw-fail');
  const p = join(d, 'state.json');
  writeFileSync(p, 'old bytes, complete\n');
  const err = (() => { try { withPatchedFs({ writeSync: failingWrite(5) }, () => atomicWrite(p, 'new bytes that will not fit\n')); } catch (e) { return e as NodeJS.ErrnoException; } return null; })();
  assert.ok(err && err.code === 'ENOSPC', `the injected failure surfaces: ${String(err)}`);
  assert.equal(readFileSync(p, 'utf8'), 'old bytes, complete\n', 'old bytes untouched');
  assert.deepEqual(readdirSync(d), ['state.json'], 'no temp file left');
});

test('atomicWrite: success publishes the fsynced temp file by rename in the same directory', () => {
  const d = dirOf('aw-ok');
  const p = join(d, 'x.json');
  writeFileSync(p, 'old');
  const oldIno = statSync(p).ino;
  const renames: [string, string][] = [];
  let tmpIno = -1;
  withPatchedFs({ renameSync: (orig) => ((a: string, b: string) => { tmpIno = statSync(a).ino; renames.push([a, b]); return orig(a, b); }) as Fs['renameSync'] }, () => atomicWriteJson(p, { a: 1 }));
  assert.equal(renames.length, 1, 'exactly one rename');
  assert.equal(renames[0]![1], p);
  assert.notEqual(renames[0]![0], p);
  assert.equal(join(renames[0]![0], '..'), d, 'temp file next to the target (same filesystem)');
  assert.equal(statSync(p).ino, tmpIno, 'the target is the renamed temp file');
  assert.notEqual(statSync(p).ino, oldIno, 'not rewritten in place');
  assert.deepEqual(JSON.parse(readFileSync(p, 'utf8')), { a: 1 });
  assert.deepEqual(readdirSync(d), ['x.json']);
});

test('saveSafetensors: a failure part-way leaves the previous file byte-identical and no temp file', () => {
  const d = dirOf('st-fail');
  const p = join(d, 'w.safetensors');
  const a = torch.arange(0, 64, 1, { dtype: 'float32' });
  saveSafetensors(p, { a });
  const before = readFileSync(p);
  const b = torch.ones([64]);
  const fds = readdirSync('/proc/self/fd').length;
  assert.throws(() => withPatchedFs({ writeSync: failingWrite(40) }, () => saveSafetensors(p, { a: b })), /ENOSPC/);
  assert.equal(readdirSync('/proc/self/fd').length, fds, 'the temp file descriptor is closed on failure');
  assert.deepEqual(readFileSync(p), before);
  assert.deepEqual(readdirSync(d), ['w.safetensors']);
  torch.dispose([a, b]);
});

const content = (v: number) => ({ tensors: { model: new Map([['w', torch.full([4], v)]]) }, json: { state: { v } } });
const disposeContent = (c: ReturnType<typeof content>) => torch.dispose([...c.tensors.model.values()]);

test('saveCheckpoint: an injected write failure leaves the old checkpoint byte-identical and no temp directory', () => {
  const parent = dirOf('ck-fail');
  const ck = join(parent, 'step-1');
  const c1 = content(1);
  saveCheckpoint(ck, c1, { step: 1 });
  const files = readdirSync(ck).sort();
  const bytes = files.map((f) => readFileSync(join(ck, f)));
  const c2 = content(2);
  for (const after of [3, 100, 400]) { // in the safetensors file, the JSON, the manifest
    const err = (() => { try { withPatchedFs({ writeSync: failingWrite(after) }, () => saveCheckpoint(ck, c2, { step: 2 })); } catch (e) { return e; } return null; })();
    assert.ok(err instanceof CheckpointError && /ENOSPC/.test(err.message), `fails after ${after} bytes: ${String(err)}`);
    assert.deepEqual(readdirSync(parent), ['step-1'], `no temp or trash directory left (failure after ${after} bytes)`);
    assert.deepEqual(readdirSync(ck).sort(), files);
    files.forEach((f, i) => assert.deepEqual(readFileSync(join(ck, f)), bytes[i], `${f} unchanged`));
    assert.equal(new CheckpointReader(ck).json<{ v: number }>('state').v, 1);
  }
  disposeContent(c1); disposeContent(c2);
});

test('saveCheckpoint: the published checkpoint is the renamed temp directory (same inode), complete before the rename', () => {
  const parent = dirOf('ck-rename');
  const ck = join(parent, 'step-7');
  let tmpDir = '';
  let tmpIno = -1;
  let listed: string[] = [];
  const c = content(7);
  saveCheckpoint(ck, c, { step: 7, onPhase: (phase, t) => {
    if (phase === 'rename') { tmpDir = t; tmpIno = statSync(t).ino; listed = readdirSync(t).sort(); }
  } });
  assert.ok(tmpDir.startsWith(join(parent, '.tmp-')), `temp directory next to the target: ${tmpDir}`);
  assert.deepEqual(listed, ['manifest.json', 'model.safetensors', 'state.json'], 'complete, manifest included, before the rename');
  assert.equal(statSync(ck).ino, tmpIno, 'the checkpoint directory is the temp directory, renamed (not a copy)');
  assert.deepEqual(readdirSync(parent), ['step-7'], 'temp directory gone');
  assert.equal(new CheckpointReader(ck).manifest.step, 7);
  // replacing an existing checkpoint also publishes by rename, and leaves no trash behind
  const c2 = content(8);
  saveCheckpoint(ck, c2, { step: 8, onPhase: (phase, t) => { if (phase === 'rename') tmpIno = statSync(t).ino; } });
  assert.equal(statSync(ck).ino, tmpIno);
  assert.deepEqual(readdirSync(parent), ['step-7']);
  assert.equal(new CheckpointReader(ck).json<{ v: number }>('state').v, 8);
  disposeContent(c); disposeContent(c2);
});

const openFds = (): number => readdirSync('/proc/self/fd').length;

test('writeDurable / atomicWrite / sha256File close every descriptor, also when the write fails', { skip: process.platform !== 'linux' && 'counts /proc/self/fd' }, () => {
  const d = dirOf('fds');
  const p = join(d, 'f.json');
  atomicWrite(p, 'warm-up');
  const before = openFds();
  for (let i = 0; i < 20; i++) {
    writeDurable(join(d, `w${i}`), `x${i}`);
    atomicWrite(p, `v${i}`);
    sha256File(p);
    assert.throws(() => withPatchedFs({ writeSync: failingWrite(0) }, () => atomicWrite(p, 'never')), /ENOSPC/);
  }
  assert.equal(openFds(), before, 'no descriptor leaked');
});

test('fsyncPath: a directory fsync refused as unsupported (EINVAL, EPERM, EISDIR, EBADF) is ignored; a real I/O error surfaces', () => {
  const d = dirOf('fsync');
  const failWith = (code: string) => (() => { throw Object.assign(new Error(`${code} (injected)`), { code }); }) as unknown as Fs['fsyncSync'];
  for (const code of ['EINVAL', 'EPERM', 'EISDIR', 'EBADF']) {
    const before = openFds();
    withPatchedFs({ fsyncSync: () => failWith(code) }, () => fsyncPath(d));
    assert.equal(openFds(), before, `descriptor closed after ${code}`);
  }
  assert.throws(() => withPatchedFs({ fsyncSync: () => failWith('EIO') }, () => fsyncPath(d)), /EIO/);
  fsyncPath(join(d, 'does-not-exist')); // nothing to sync: no error
});

test('sha256File: hash and size of empty, small and multi-chunk (> 4 MiB) files', () => {
  const d = dirOf('sha');
  const cases: [string, Buffer][] = [['empty', Buffer.alloc(0)], ['abc', Buffer.from('abc')], ['big', Buffer.alloc((4 << 20) + 123, 7)]];
  for (const [name, buf] of cases) {
    writeFileSync(join(d, name), buf);
    assert.deepEqual(sha256File(join(d, name)), { sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length }, name);
  }
  assert.equal(sha256File(join(d, 'abc')).sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'the FIPS 180-2 vector');
});

test('atomicWrite surfaces the original error when the temp file cannot even be created; atomicWriteJson writes 2-space JSON and a newline', () => {
  const missing = join(root, 'no-such-dir', 'x.json');
  assert.throws(() => atomicWrite(missing, 'x'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.syscall === 'open');
  const d = dirOf('json');
  atomicWriteJson(join(d, 'v.json'), { a: [1, { b: 2 }] });
  assert.equal(readFileSync(join(d, 'v.json'), 'utf8'), '{\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ]\n}\n');
});

test('saveCheckpoint creates missing parent directories; the manifest is format version 1 (what existing checkpoints carry)', () => {
  const ck = join(root, 'fresh', 'nested', 'step-3');
  const c = content(3);
  saveCheckpoint(ck, c, { step: 3 });
  const m = new CheckpointReader(ck).manifest;
  assert.equal(m.version, 1);
  assert.equal(MANIFEST_VERSION, 1);
  assert.equal(m.step, 3);
  disposeContent(c);
});

test('verifyCheckpoint: an edited manifest (valid JSON, files intact) fails its own SHA-256 check', () => {
  const ck = join(root, 'edited', 'step-5');
  const c = content(5);
  saveCheckpoint(ck, c, { step: 5 });
  const mf = join(ck, 'manifest.json');
  const m = JSON.parse(readFileSync(mf, 'utf8')) as { step: number };
  m.step = 50;
  writeFileSync(mf, JSON.stringify(m, null, 1) + '\n');
  assert.throws(() => verifyCheckpoint(ck), (e: unknown) => e instanceof CheckpointError && /manifest\.json fails its own SHA-256 check/.test(e.message) && e.message.startsWith(ck));
  disposeContent(c);
});

test('verifyCheckpoint: a re-signed manifest listing a path, a hidden file or a pickle is refused by name', () => {
  const ck = join(root, 'forged', 'step-6');
  const c = content(6);
  saveCheckpoint(ck, c, { step: 6 });
  const mf = join(ck, 'manifest.json');
  const orig = JSON.parse(readFileSync(mf, 'utf8')) as { format: string; version: number; step: number; created: string; files: Record<string, unknown>; self: string };
  for (const name of ['../escape.json', '.hidden.json', 'weights.pt']) {
    const m = { ...orig, files: { ...orig.files, [name]: { sha256: '0'.repeat(64), bytes: 1 } } };
    m.self = createHash('sha256').update(JSON.stringify({ format: m.format, version: m.version, step: m.step, created: m.created, files: m.files })).digest('hex');
    writeFileSync(mf, JSON.stringify(m, null, 1) + '\n');
    assert.throws(() => verifyCheckpoint(ck), (e: unknown) => e instanceof CheckpointError && e.message.includes(`lists '${name}', which is not a plain safetensors/JSON file name`), name);
  }
  disposeContent(c);
});

test('verifyCheckpoint: a truncated file is reported with both sizes; a same-size change by its hash', () => {
  const ck = join(root, 'trunc', 'step-2');
  const c = content(2);
  saveCheckpoint(ck, c, { step: 2 });
  const f = join(ck, 'state.json');
  const bytes = readFileSync(f);
  writeFileSync(f, bytes.subarray(0, bytes.length - 3));
  assert.throws(() => verifyCheckpoint(ck), new RegExp(`'state\\.json' has ${bytes.length - 3} bytes, the manifest says ${bytes.length} \\(truncated or modified\\)`));
  const flipped = Buffer.from(bytes);
  flipped[2] = flipped[2]! ^ 1;
  writeFileSync(f, flipped);
  assert.throws(() => verifyCheckpoint(ck), /'state\.json' fails its SHA-256 check/);
  disposeContent(c);
});

test('verifyCheckpoint and CheckpointReader name each problem: no directory, no manifest, foreign format, no file list, an unlisted file, an absent entry', () => {
  const resign = (m: Record<string, unknown>): void => {
    m['self'] = createHash('sha256').update(JSON.stringify({ format: m['format'], version: m['version'], step: m['step'], created: m['created'], files: m['files'] })).digest('hex');
  };
  assert.throws(() => verifyCheckpoint(join(root, 'nowhere')), /nowhere: not a checkpoint directory/);
  const bare = dirOf('bare');
  writeFileSync(join(bare, 'state.json'), '{}');
  assert.throws(() => verifyCheckpoint(bare), /no manifest\.json \(an incomplete or foreign checkpoint\)/);
  const ck = join(root, 'named', 'step-4');
  const c = content(4);
  saveCheckpoint(ck, c, { step: 4 });
  const mf = join(ck, 'manifest.json');
  const good = readFileSync(mf, 'utf8');
  const edit = (f: (m: Record<string, unknown>) => void): void => { const m = JSON.parse(good) as Record<string, unknown>; f(m); resign(m); writeFileSync(mf, JSON.stringify(m)); };
  edit((m) => { m['format'] = 'other.tool'; });
  assert.throws(() => verifyCheckpoint(ck), /manifest\.json: format is "other\.tool", expected "adaptune\.checkpoint"/);
  edit((m) => { m['version'] = 2; });
  assert.throws(() => verifyCheckpoint(ck), /version 2 is not supported/);
  for (const files of [undefined, null, 'state.json']) {
    edit((m) => { if (files === undefined) delete m['files']; else m['files'] = files; });
    assert.throws(() => verifyCheckpoint(ck), (e: unknown) => e instanceof CheckpointError && /manifest\.json: no file list/.test(e.message), `files: ${JSON.stringify(files)}`);
  }
  writeFileSync(mf, good);
  writeFileSync(join(ck, 'extra.json'), '{}');
  assert.throws(() => verifyCheckpoint(ck), /'extra\.json' is not listed in manifest\.json/);
  fs.rmSync(join(ck, 'extra.json'));
  const r = new CheckpointReader(ck);
  assert.throws(() => r.json('absent'), /no absent\.json/);
  assert.throws(() => r.tensors('absent'), /no absent\.safetensors/);
  assert.throws(() => r.header('absent'), /no absent\.safetensors/);
  assert.deepEqual(r.header('model').tensors.get('w')!.shape, [4]);
  disposeContent(c);
});

test('saveCheckpoint: a failure creating the temp directory is a CheckpointError carrying the cause, nothing left behind', () => {
  const parent = dirOf('ck-mkdir');
  const c = content(1);
  const err = (() => {
    try {
      withPatchedFs({ mkdirSync: (orig) => ((p: fs.PathLike, o?: fs.MakeDirectoryOptions) => { if (String(p).includes('.tmp-')) throw Object.assign(new Error('EACCES (injected)'), { code: 'EACCES' }); return orig(p, o); }) as Fs['mkdirSync'] },
        () => saveCheckpoint(join(parent, 'step-1'), c, { step: 1 }));
    } catch (e) { return e; }
    return null;
  })();
  assert.ok(err instanceof CheckpointError && /EACCES/.test(err.message), String(err));
  assert.deepEqual(readdirSync(parent), []);
  disposeContent(c);
});

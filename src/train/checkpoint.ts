/**
 * @module One checkpoint: a directory of safetensors and JSON files plus a
 * manifest.json (SHA-256 and size of every file) written LAST.
 *
 * Save: everything goes into a temp directory next to the target, each file
 * fsynced, then the manifest, the temp directory is fsynced and renamed into
 * place and the parent fsynced (R1, R2). A kill at any point leaves either the
 * previous state or the complete new checkpoint; temp directories are named
 * `.tmp-*` and removed by the next run (checkpoints.ts cleanStale).
 * Load: the manifest is checked first (R14: every listed file present with
 * its size and hash, nothing unlisted), and only safetensors and JSON are ever
 * read (R5: a pickle/TorchScript file makes the load fail, naming it).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, extname, join } from 'node:path';
import type { Tensor } from '../core/torch.js';
import { CheckpointError } from '../core/errors.js';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors, type SafetensorsHeader } from '../core/io/safetensors.js';
import { fsyncPath, sha256File, writeDurable } from './atomic.js';

/** The manifest format version this code writes and reads. */
export const MANIFEST_VERSION = 1;
export const MANIFEST = 'manifest.json';
const SAFE_EXT = new Set(['.safetensors', '.json']);

/** manifest.json. */
export interface Manifest {
  format: 'adaptune.checkpoint';
  version: number;
  step: number;
  created: string;
  files: Record<string, { sha256: string; bytes: number }>;
  /** SHA-256 of the JSON of the fields above, so a flipped byte in the manifest itself is caught too. */
  self: string;
}

const selfHash = (m: Omit<Manifest, 'self'>): string =>
  createHash('sha256').update(JSON.stringify({ format: m.format, version: m.version, step: m.step, created: m.created, files: m.files })).digest('hex');

/** Hashes `files` (in dir) into a manifest and writes it durably as manifest.json. */
export function writeManifest(dir: string, files: string[], step: number): Manifest {
  const m: Omit<Manifest, 'self'> = { format: 'adaptune.checkpoint', version: MANIFEST_VERSION, step, created: new Date().toISOString(), files: {} };
  for (const f of [...files].sort()) m.files[f] = sha256File(join(dir, f));
  const full: Manifest = { ...m, self: selfHash(m) };
  writeDurable(join(dir, MANIFEST), JSON.stringify(full, null, 1) + '\n');
  return full;
}

/** What one checkpoint holds: `<name>.safetensors` per tensor map and `<name>.json` per JSON value. */
export interface CheckpointContent {
  tensors: Record<string, Map<string, Tensor>>;
  json: Record<string, unknown>;
}

/** Test and fault-injection hook: called after each file and before the manifest and the rename. */
export type PhaseHook = (phase: string, tmpDir: string) => void;

/**
 * Writes `content` as the checkpoint directory `dir` (atomically; see the
 * module doc). Throws CheckpointError (the temp directory removed, the previous
 * checkpoints untouched) when anything fails.
 */
export function saveCheckpoint(dir: string, content: CheckpointContent, o: { step: number; onPhase?: PhaseHook }): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.tmp-${basename(dir)}-${process.pid}-${Date.now()}`);
  const phase = (p: string): void => o.onPhase?.(p, tmp);
  try {
    mkdirSync(tmp);
    phase('begin');
    const files: string[] = [];
    for (const [name, tensors] of Object.entries(content.tensors)) {
      const f = `${name}.safetensors`;
      saveSafetensors(join(tmp, f), tensors); // fsynced inside (temp, fsync, rename)
      files.push(f);
      phase(f);
    }
    for (const [name, value] of Object.entries(content.json)) {
      const f = `${name}.json`;
      writeDurable(join(tmp, f), JSON.stringify(value, null, 1) + '\n');
      files.push(f);
      phase(f);
    }
    phase('manifest');
    writeManifest(tmp, files, o.step);
    fsyncPath(tmp);
    phase('rename');
    if (existsSync(dir)) {
      const trash = join(parent, `.trash-${basename(dir)}-${process.pid}-${Date.now()}`);
      renameSync(dir, trash);
      rmSync(trash, { recursive: true, force: true });
    }
    renameSync(tmp, dir);
    fsyncPath(parent);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const err = e as NodeJS.ErrnoException;
    throw new CheckpointError(`saving checkpoint ${dir} failed (${err.code ?? err.message}); nothing was published and earlier checkpoints are intact`, { cause: e });
  }
}

/** Checks a checkpoint directory against its manifest (R14) and the file-type rule (R5); returns the manifest. */
export function verifyCheckpoint(dir: string): Manifest {
  const fail = (msg: string): never => { throw new CheckpointError(`${dir}: ${msg}`); };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail('not a checkpoint directory');
  const entries = readdirSync(dir);
  for (const e of entries) {
    if (!SAFE_EXT.has(extname(e).toLowerCase())) {
      fail(`refusing '${e}': checkpoints may hold only safetensors and JSON (pickle and TorchScript files can run code when loaded); convert it to safetensors first`);
    }
  }
  if (!entries.includes(MANIFEST)) fail(`no ${MANIFEST} (an incomplete or foreign checkpoint)`);
  let m: Manifest;
  try { m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest; } catch (e) { return fail(`${MANIFEST} is not valid JSON (${(e as Error).message})`); }
  if (m?.format !== 'adaptune.checkpoint') fail(`${MANIFEST}: format is ${JSON.stringify(m?.format)}, expected "adaptune.checkpoint"`);
  if (m.version !== MANIFEST_VERSION) fail(`${MANIFEST}: version ${JSON.stringify(m.version)} is not supported (this adaptune reads version ${MANIFEST_VERSION}; no migrator exists)`);
  if (!m.files || typeof m.files !== 'object') fail(`${MANIFEST}: no file list`);
  if (m.self !== selfHash(m)) fail(`${MANIFEST} fails its own SHA-256 check (corrupted or modified)`);
  for (const [f, want] of Object.entries(m.files)) {
    if (f !== basename(f) || f.startsWith('.') || !SAFE_EXT.has(extname(f).toLowerCase())) fail(`${MANIFEST} lists '${f}', which is not a plain safetensors/JSON file name`);
    if (!entries.includes(f)) fail(`'${f}' is listed in ${MANIFEST} but missing`);
    const got = sha256File(join(dir, f));
    if (got.bytes !== want.bytes) fail(`'${f}' has ${got.bytes} bytes, the manifest says ${want.bytes} (truncated or modified)`);
    if (got.sha256 !== want.sha256) fail(`'${f}' fails its SHA-256 check (corrupted or modified)`);
  }
  for (const e of entries) if (e !== MANIFEST && !(e in m.files)) fail(`'${e}' is not listed in ${MANIFEST}`);
  return m;
}

/** A verified checkpoint, read file by file. */
export class CheckpointReader {
  readonly manifest: Manifest;
  /** Verifies the directory first (throws CheckpointError naming the problem). */
  constructor(readonly dir: string) { this.manifest = verifyCheckpoint(dir); }
  /** Whether the checkpoint has `<name>.safetensors` or `<name>.json`. */
  has(file: string): boolean { return file in this.manifest.files; }
  /** Parses `<name>.json`. */
  json<T = unknown>(name: string): T {
    const f = `${name}.json`;
    if (!this.has(f)) throw new CheckpointError(`${this.dir}: no ${f}`);
    try { return JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as T; } catch (e) {
      throw new CheckpointError(`${join(this.dir, f)}: invalid JSON (${(e as Error).message})`);
    }
  }
  /** Names, dtypes and shapes of `<name>.safetensors`. */
  header(name: string): SafetensorsHeader {
    const f = `${name}.safetensors`;
    if (!this.has(f)) throw new CheckpointError(`${this.dir}: no ${f}`);
    return readSafetensorsHeader(join(this.dir, f));
  }
  /** Loads `<name>.safetensors`; the caller owns the tensors. */
  tensors(name: string): Map<string, Tensor> {
    const f = `${name}.safetensors`;
    if (!this.has(f)) throw new CheckpointError(`${this.dir}: no ${f}`);
    return loadSafetensors(join(this.dir, f)).tensors;
  }
}

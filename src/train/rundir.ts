/**
 * @module The run directory: config.json (resolved config), run.json (seed,
 * seeded streams, versions, method), metrics.jsonl (one JSON object per logged
 * step or evaluation, appended and flushed line by line), summary.json, and
 * checkpoints/. Versions never fail: a missing git gives null.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../core/torch.js';
import { atomicWrite, atomicWriteJson } from './atomic.js';

/** Versions recorded next to every run and checkpoint. */
export interface Versions {
  adaptune: string;
  libtorch: string;
  node: string;
  git: { rev: string | null; dirty: boolean | null };
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** This package's version from package.json ('unknown' if it cannot be read). */
export function packageVersion(): string {
  for (const up of ['../../..', '../..']) {
    try {
      const p = JSON.parse(readFileSync(join(HERE, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (p.name === 'adaptune' && p.version) return p.version;
    } catch { /* next */ }
  }
  return 'unknown';
}

/** The git revision of `cwd` (default: this package's root) and whether the tree is dirty; nulls when git is absent or cwd is not a repository root. */
export function gitRevision(cwd = join(HERE, '../../..')): { rev: string | null; dirty: boolean | null } {
  const run = (args: string[]): string | null => {
    try {
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 }).trim();
    } catch {
      return null;
    }
  };
  // an installed package inside someone else's repository must not report that repository's revision
  const top = run(['rev-parse', '--show-toplevel']);
  const rev = top && realpathSync(top) === realpathSync(cwd) ? run(['rev-parse', 'HEAD']) : null;
  if (!rev) return { rev: null, dirty: null };
  const status = run(['status', '--porcelain', '--untracked-files=no']);
  return { rev, dirty: status === null ? null : status.length > 0 };
}

let cachedVersions: Versions | null = null;
/** Package, libtorch, node and git versions (computed once per process). */
export function collectVersions(): Versions {
  cachedVersions ??= { adaptune: packageVersion(), libtorch: torch.version().libtorch, node: process.version, git: gitRevision() };
  return structuredClone(cachedVersions);
}

/** A new run directory `<root>/<YYYYmmdd-HHMMSS>-<name>` (suffixed -2, -3 ... if taken). */
export function newRunDir(root: string, name: string): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-');
  let dir = resolve(root, `${stamp}-${safe}`);
  for (let i = 2; existsSync(dir); i++) dir = resolve(root, `${stamp}-${safe}-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** One JSON object per line, appended with one write() each (a kill leaves at most a partial last line). */
export class MetricsLog {
  #fd: number | null = null;
  constructor(readonly file: string) {}

  /** Drops lines whose step is above `step` and any partial last line (on resume, so the log matches the restored state). */
  truncateAfter(step: number): number {
    if (!existsSync(this.file)) return 0;
    const lines = readFileSync(this.file, 'utf8').split('\n');
    const kept: string[] = [];
    let dropped = 0;
    for (const line of lines) {
      if (!line) continue;
      let rec: { step?: unknown };
      try { rec = JSON.parse(line) as { step?: unknown }; } catch { dropped++; continue; }
      if (typeof rec.step === 'number' && rec.step > step) { dropped++; continue; }
      kept.push(line);
    }
    if (dropped) atomicWrite(this.file, kept.map((l) => l + '\n').join(''));
    return dropped;
  }

  /** Appends one record. */
  append(record: Record<string, unknown>): void {
    this.#fd ??= openSync(this.file, 'a');
    const bytes = new TextEncoder().encode(JSON.stringify(record) + '\n');
    let off = 0;
    while (off < bytes.length) off += writeSync(this.#fd, bytes, off, bytes.length - off);
  }

  /** fsyncs what was appended (called before each checkpoint). */
  flush(): void { if (this.#fd !== null) fsyncSync(this.#fd); }

  close(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
  }
}

/** Paths and writers of one run directory. */
export class RunDir {
  readonly metrics: MetricsLog;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.metrics = new MetricsLog(join(dir, 'metrics.jsonl'));
  }
  get checkpointsDir(): string { return join(this.dir, 'checkpoints'); }
  get configFile(): string { return join(this.dir, 'config.json'); }
  /** Writes config.json (atomically). */
  writeConfig(config: unknown): void { atomicWriteJson(this.configFile, config); }
  /** Reads config.json, or null when absent. */
  readConfig(): unknown | null { return existsSync(this.configFile) ? JSON.parse(readFileSync(this.configFile, 'utf8')) as unknown : null; }
  /** Writes run.json (seed, streams, versions, method; atomically). */
  writeRunInfo(info: Record<string, unknown>): void { atomicWriteJson(join(this.dir, 'run.json'), info); }
  /** Writes summary.json (atomically). */
  writeSummary(summary: Record<string, unknown>): void { atomicWriteJson(join(this.dir, 'summary.json'), summary); }
}

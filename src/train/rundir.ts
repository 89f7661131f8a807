/**
 * @module The run directory: config.json (resolved config), run.json (seed,
 * seeded streams, versions, method), metrics.jsonl (one JSON object per logged
 * step or evaluation, appended and flushed line by line), summary.json, and
 * checkpoints/. Versions never fail: a missing git gives null.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { atomicWrite, atomicWriteJson } from './atomic.js';

export { collectVersions, gitRevision, packageVersion, type Versions } from '../core/version.js';

/** Creates a directory and its missing parents one level at a time (an error names the level that cannot be made). */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  while (!existsSync(d)) { missing.unshift(d); const up = dirname(d); if (up === d) break; d = up; }
  if (existsSync(d) && !statSync(d).isDirectory()) throw new ConfigError(`cannot create ${dir}: ${d} is a file, not a directory`);
  for (const m of missing) {
    try { mkdirSync(m); } catch (e) { if ((e as { code?: string }).code === 'EEXIST' && statSync(m).isDirectory()) continue; throw new ConfigError(`cannot create ${dir}: ${(e as Error).message}`); }
  }
}

/** A new run directory `<root>/<YYYYmmdd-HHMMSS>-<name>` (suffixed -2, -3 ... if taken). */
export function newRunDir(root: string, name: string): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-');
  let dir = resolve(root, `${stamp}-${safe}`);
  for (let i = 2; existsSync(dir); i++) dir = resolve(root, `${stamp}-${safe}-${i}`);
  makeDirs(dir);
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
    makeDirs(dir);
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

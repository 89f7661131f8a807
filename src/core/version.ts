/** @module Version info recorded next to every run, checkpoint and weights file: package, libtorch, node, git. Never fails: a missing git gives null. */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from './torch.js';

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

/**
 * @module Crash-safe file helpers: durable writes (write, fsync, close),
 * directory fsync, atomic replace (temp file, fsync, rename, fsync the
 * directory) and streaming SHA-256 of files. Never unlink-then-write.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes data to path and fsyncs it before closing. */
export function writeDurable(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const fd = openSync(path, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a file or directory (directories: so a rename or create inside it survives a power cut). */
export function fsyncPath(path: string): void {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return; }
  try {
    fsyncSync(fd);
  } catch (e) {
    // some platforms refuse fsync on a directory handle; the rename is still atomic there
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'EBADF') throw e;
  } finally {
    closeSync(fd);
  }
}

/** Replaces path atomically: readers see the old bytes or the new ones, never a mix. */
export function atomicWrite(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}`);
  try {
    writeDurable(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncPath(dir);
}

/** atomicWrite of pretty-printed JSON. */
export function atomicWriteJson(path: string, value: unknown): void {
  atomicWrite(path, JSON.stringify(value, null, 2) + '\n');
}

export { sha256File } from '../core/io/hash.js';

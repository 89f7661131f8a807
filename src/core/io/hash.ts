/** @module The SHA-256 of a file, streamed (a whole-file read fails at 2 GiB): weights sidecars, checkpoint manifests. */
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';

/** SHA-256 (hex) and size of a file, read in 4 MiB chunks. */
export function sha256File(path: string): { sha256: string; bytes: number } {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(4 << 20);
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, bytes);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: h.digest('hex'), bytes };
}

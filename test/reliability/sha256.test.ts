/**
 * Issue 21, F2: a weights file's SHA-256 (sidecars, verification) is streamed, never read whole, so files of 2 GiB
 * or more hash instead of failing with ERR_FS_FILE_TOO_LARGE. A whole-file read is made to fail here, as it does
 * for such a file, and the hash must still come out right (several 4 MiB blocks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File } from '../../src/models/index.js';

test('F2 models.sha256File streams the file (a whole-file read would fail on 2 GiB) and hashes it exactly', () => {
  const file = join(fs.mkdtempSync(join(tmpdir(), 'adaptune-sha-')), 'w.safetensors');
  const bytes = randomBytes((9 << 20) + 123); // three blocks, the last partial
  fs.writeFileSync(file, bytes);
  const want = createHash('sha256').update(bytes).digest('hex');
  const m = fs as unknown as Record<string, unknown>;
  const orig = m['readFileSync'];
  m['readFileSync'] = (p: unknown, ...rest: unknown[]) => {
    if (String(p) === file) throw Object.assign(new RangeError('File size is greater than 2 GiB'), { code: 'ERR_FS_FILE_TOO_LARGE' });
    return (orig as (...a: unknown[]) => unknown)(p, ...rest);
  };
  syncBuiltinESMExports();
  try {
    assert.equal(sha256File(file), want);
  } finally {
    m['readFileSync'] = orig;
    syncBuiltinESMExports();
  }
});

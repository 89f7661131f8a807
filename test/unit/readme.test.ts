/** The README's first TypeScript example runs as written (it is plain JS apart from the import path). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers.js';

test('README "A first look" example runs and its loss falls', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README.md has a ```ts block');
  const entry = pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href;
  const code = block![1]!.replace(/from 'adaptune'/g, `from '${entry}'`);
  const file = join(mkdtempSync(join(tmpdir(), 'adaptune-readme-')), 'example.mjs');
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, ADAPTUNE_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `example failed:\n${r.stderr}`);
  const losses = r.stdout.trim().split('\n').map((l) => Number(l.split(' ')[1]));
  assert.equal(losses.length, 10, r.stdout);
  assert.ok(losses[9]! < losses[0]!, `loss did not fall: ${losses.join(', ')}`);
});

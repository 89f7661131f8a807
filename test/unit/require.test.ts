/** The CI switch: under ADAPTUNE_REQUIRE_ALL=1 a test whose requirement is missing fails the run; without it, the test skips saying why. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const helper = pathToFileURL(join(import.meta.dirname, '..', 'require.js')).href;

function runProbe(env: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'adaptune-require-'));
  const f = join(dir, 'probe.test.mjs');
  writeFileSync(f, `import { test } from 'node:test';
import { needs, skipOrFail } from ${JSON.stringify(helper)};
test('needs a missing asset', { skip: needs('the probe asset', false) }, () => {});
test('needs a present asset', { skip: needs('the present asset', true) }, () => {});
test('finds a browser missing at run time', (t) => { skipOrFail(t, 'the probe browser', 'not installed'); });
`);
  const e = { ...process.env, ...env };
  if (!('ADAPTUNE_REQUIRE_ALL' in env)) delete e['ADAPTUNE_REQUIRE_ALL'];
  delete e['NODE_TEST_CONTEXT']; // a nested runner, not a child of this one
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', f], { encoding: 'utf8', env: e });
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('without ADAPTUNE_REQUIRE_ALL: missing requirements skip with the reason', () => {
  const r = runProbe({});
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /# skipped 2/);
  assert.match(r.out, /the probe asset is missing/);
});

test('with ADAPTUNE_REQUIRE_ALL=1: each missing requirement fails the run, naming it', () => {
  const r = runProbe({ ADAPTUNE_REQUIRE_ALL: '1' });
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /not ok \d+ - required: the probe asset/);
  assert.match(r.out, /not ok \d+ - finds a browser missing at run time/);
  assert.match(r.out, /the probe browser \(not installed\) is missing, and ADAPTUNE_REQUIRE_ALL=1 forbids skipping/);
  assert.match(r.out, /# fail 2/);
});

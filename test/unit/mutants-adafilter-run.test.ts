/** runAdafilter's option checks (before anything is written) and wrapModel's refusal to gate a model twice: fast tests for the adafilter-run mutation area. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { defaultAdafilterConfig, runAdafilter, wrapModel } from '../../src/methods/adafilter/index.js';
import { tinyResNet } from '../methods/finetune-fixtures.js';

test('runAdafilter checks its options against the option table, naming the flag, before a run directory exists', async () => {
  const root = mkdtempSync(join(tmpdir(), 'adaptune-af-opts-'));
  for (const [o, re] of [[{ batchSize: 0 }, /--batch-size \(option batchSize\) must be an integer/], [{ gateLrScale: -1 }, /--gate-lr-scale \(option gateLrScale\) must be a number >= 0/], [{ gate: 'bogus' }, /option gate\) must be one of/]] as const) {
    const out = join(root, 'run');
    await assert.rejects(runAdafilter({ ...o, out, quiet: true } as never), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(o));
    assert.ok(!existsSync(out), 'nothing written');
  }
});

test('wrapModel gates a model once: wrapping it again is refused, naming the first gated module in forward order (the stem conv)', () => {
  const model = tinyResNet(11);
  const w = wrapModel(model, defaultAdafilterConfig);
  assert.ok(w.paths.length > 0);
  assert.throws(() => wrapModel(model, defaultAdafilterConfig), (e: Error) => e instanceof ConfigError && /^adafilter: 'conv1' is already gated \(wrap a model once\)$/.test(e.message));
  model.dispose();
});

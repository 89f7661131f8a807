/**
 * Config reliability (issue 21, F8 and new-user items): forbidden keys are refused in --set overrides and
 * config files (no Object.prototype pollution), a value given for a section is an error, a non-number lr says
 * so, and fine-tuning's optimiser error does not blame an effective learning rate that was never given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfigFile, mergeConfig, parseOverrides, resolveConfig } from '../../src/train/index.js';
import { finetuneTrainConfig } from '../../src/methods/finetune/index.js';
import { layerConfig } from '../../src/train/lifecycle.js';
import { LR_PAIR } from '../../src/methods/finetune/run.js';

/** finetune's layering (defaults < file < flags < --set, method.lr / method.elr exclusive) and its resolver. */
const layeredConfig = async (defaults: Record<string, unknown>, file: string | null, flags: Record<string, unknown>, set: string[]) =>
  finetuneTrainConfig({}, await layerConfig({ defaults, file, flags, set, exclusive: LR_PAIR }));

const tmp = mkdtempSync(join(tmpdir(), 'adaptune-cfg-rel-'));

test('F8 __proto__, constructor and prototype are refused in overrides; Object.prototype stays clean', () => {
  for (const f of ['__proto__.polluted=1', 'optim.__proto__.x=1', 'constructor.prototype.polluted=1', 'prototype=1', 'optim={"__proto__":{"polluted":1}}']) {
    assert.throws(() => parseOverrides([f]), (e: Error) => e instanceof ConfigError && /is not allowed/.test(e.message), f);
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.throws(() => parseOverrides(['optim..lr=1']), /empty field name/);
});

test('F8 a JSON config with __proto__ is an error naming the file', async () => {
  const f = join(tmp, 'proto.json');
  writeFileSync(f, '{"epochs": 2, "__proto__": {"polluted": 1}}');
  await assert.rejects(loadConfigFile(f), (e: Error) => e instanceof ConfigError && e.message.startsWith(f) && /'__proto__' is not allowed/.test(e.message));
  assert.throws(() => mergeConfig({}, JSON.parse('{"optim": {"__proto__": {"lr": 1}}}')), /config key 'optim.__proto__' is not allowed/);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('F8 --set optim=5 (a value over a section) is an error, in the engine and in fine-tuning', async () => {
  await assert.rejects(resolveConfig({ flags: ['optim=5'] }), /config field 'optim' is a section, not a value \(got 5\)/);
  await assert.rejects(layeredConfig({}, null, {}, ['optim=5']), /config field 'optim' is a section, not a value/);
  assert.throws(() => finetuneTrainConfig({}, { optim: 5 }), /config field 'optim' is a section/);
});

test('--set optim.lr=abc says not a number; optim.name=adamw points to method.optimizer (--optimizer), which trains with AdamW', async () => {
  await assert.rejects(layeredConfig({}, null, {}, ['optim.lr=abc']), /config field 'optim\.lr' must be a finite number, got "abc" \(not a number\)/);
  await assert.rejects(layeredConfig({}, null, { method: { lr: 0.001 } }, ['optim.name=adamw']),
    (e: Error) => /'optim\.name' \("adamw"\) contradicts method\.optimizer 'sgd'; choose the optimizer with method\.optimizer \(--optimizer\)/.test(e.message) && !/effective learning rate/.test(e.message));
  const c = await layeredConfig({}, null, { method: { lr: 0.001, optimizer: 'adamw' } }, []);
  assert.deepEqual([c.optim.name, c.optim.lr], ['adamw', 0.001]);
  await assert.rejects(layeredConfig({}, null, { method: { elr: 0.1, optimizer: 'adam' } }, []), /'method\.lr' must be given with optimizer 'adam' \(the effective learning rate method\.elr is SGD's/);
});

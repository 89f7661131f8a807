/**
 * Issue 21, F12 (the parts the run lifecycle does not cover): a repeated flag, a negative value after a
 * flag, L2-SP's weights without L2-SP, and an empty pretrain --export are refused before anything runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '../../src/cli/args.js';
import { runFinetune, runPretrain } from '../../src/methods/finetune/index.js';

test('F12 a flag given twice is refused, naming it; --set may repeat', () => {
  assert.throws(() => parseCli(['finetune', '--lr', '0.1', '--lr', '0.2']), /flag --lr is given more than once for 'adaptune finetune'/);
  assert.throws(() => parseCli(['finetune', '--seed=1', '--seed', '2']), /flag --seed is given more than once/);
  const ok = parseCli(['finetune', '--set', 'seed=1', '--set', 'epochs=2']);
  assert.ok(ok !== null && typeof ok === 'object');
});

test('F12 a negative value after a flag is that flag\'s value, refused by its range (not "needs a value")', () => {
  assert.throws(() => parseCli(['finetune', '--lr', '-0.1']), (e: Error) => /--lr must be a number > 0, got '-0\.1'/.test(e.message) && !/needs a value/.test(e.message));
  assert.throws(() => parseCli(['finetune', '--seed', '-1']), (e: Error) => /--seed must be an integer >= 0, got '-1'/.test(e.message));
  assert.throws(() => parseCli(['finetune', '--lr', '-.5']), /--lr must be a number > 0, got '-\.5'/);
  // a flag with nothing after it still says that it needs a value
  assert.throws(() => parseCli(['finetune', '--lr']), /flag --lr needs a value/);
});

test('F12 --alpha / --beta without the L2-SP regularizer are refused before the run directory exists', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'adaptune-f12-')), 'run');
  await assert.rejects(runFinetune({ data: 'fmnist:target-mid', out, alpha: 0.1, quiet: true }), /--alpha and --beta are the weights of L2-SP, but the regularizer is 'l2'/);
  await assert.rejects(runFinetune({ data: 'fmnist:target-mid', out, beta: 0.1, regularizer: 'none', quiet: true }), /regularizer is 'none'/);
  assert.equal(existsSync(out), false);
});

test('F12 pretrain --export "" (or not .safetensors) is refused before training starts', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'adaptune-f12-')), 'run');
  await assert.rejects(runPretrain({ out, export: '', quiet: true }), /--export needs a file path/);
  await assert.rejects(runPretrain({ out, export: join(out, 'w.bin'), quiet: true }), /must end in \.safetensors/);
  assert.equal(existsSync(out), false);
});

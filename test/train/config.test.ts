/** Config: errors name the field and the allowed range; defaults < file < flags; overrides; hash and diff. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { configDiff, configHash, defaultTrainConfig, makeConfig, parseOverrides, resolveConfig, validateConfig } from '../../src/train/index.js';
import { dataParallelOptions } from '../../src/train/distributed.js';
import { tmp } from './fixtures.js';

const bad = (partial: unknown, re: RegExp): void => {
  assert.throws(() => makeConfig(partial), (e: unknown) => e instanceof ConfigError && re.test(e.message), `expected ${re} for ${JSON.stringify(partial)}`);
};

test('errors name the field, the allowed range and the value', () => {
  bad({ optim: { lr: -1 } }, /config field 'optim\.lr' must be a finite number > 0, got -1/);
  bad({ epochs: 0 }, /'epochs' must be an integer in \[1, ∞\], got 0/);
  bad({ accumulate: 1.5 }, /'accumulate' must be an integer/);
  bad({ seed: -3 }, /'seed' must be an integer in \[0,/);
  bad({ scheduler: { name: 'warp' } }, /'scheduler\.name' must be one of 'none', 'step', .*'onecycle', got "warp"/);
  bad({ guard: { nonFinite: 'ignore' } }, /'guard\.nonFinite' must be one of 'stop', 'skip'/);
  bad({ optim: { betas: [0.9, 1.5] } }, /'optim\.betas' must be two numbers in \[0, 1\)/);
  bad({ clipGradNorm: 0 }, /'clipGradNorm' must be a finite number > 0 or null/);
  bad({ optim: { lrr: 0.1 } }, /unknown config field 'optim\.lrr' \(known here: optim\.name, optim\.lr/);
  bad({ optim: { nesterov: true } }, /'optim\.nesterov' needs optim\.name 'sgd' and optim\.momentum > 0/);
  bad({ scheduler: { name: 'onecycle', interval: 'epoch' } }, /'scheduler\.interval' must be 'step'/);
  assert.throws(() => validateConfig({ ...defaultTrainConfig, log: {} }), /config field 'log\.every' is missing/);
  assert.equal(makeConfig({ clipGradNorm: null }).clipGradNorm, null);
  assert.equal(makeConfig({ method: { anything: [1, { deep: true }] } }).method['anything'] !== undefined, true);
});

test('precedence: defaults < config file < flags', async () => {
  const dir = tmp('cfg');
  const file = join(dir, 'run.json');
  writeFileSync(file, JSON.stringify({ epochs: 5, optim: { name: 'adam', lr: 0.1 }, method: { k: 1 } }));
  const c = await resolveConfig({ file, flags: ['optim.lr=0.2', 'scheduler.milestones=[2,4]', 'earlyStop.metric=acc', 'method.k=2'] });
  assert.equal(c.epochs, 5);
  assert.equal(c.optim.name, 'adam');
  assert.equal(c.optim.lr, 0.2);
  assert.deepEqual(c.scheduler.milestones, [2, 4]);
  assert.equal(c.earlyStop.metric, 'acc');
  assert.equal(c.seed, defaultTrainConfig.seed);
  assert.deepEqual(c.method, { k: 2 });
  assert.deepEqual(defaultTrainConfig.optim.betas, [0.9, 0.999], 'defaults are not mutated');
  await assert.rejects(resolveConfig({ file, flags: ['optim.lr=fast'] }), /'optim\.lr' must be a finite number > 0, got "fast"/);
  await assert.rejects(resolveConfig({ file: join(dir, 'missing.json') }), /cannot read config file .*missing\.json/);
  writeFileSync(join(dir, 'broken.json'), '{ "epochs": ');
  await assert.rejects(resolveConfig({ file: join(dir, 'broken.json') }), /broken\.json: invalid JSON/);
  writeFileSync(join(dir, 'run.yaml'), 'epochs: 2\n');
  const hasYaml = await import('yaml' as string).then(() => true, () => false);
  if (hasYaml) assert.equal((await resolveConfig({ file: join(dir, 'run.yaml') })).epochs, 2);
  else await assert.rejects(resolveConfig({ file: join(dir, 'run.yaml') }), /run\.yaml: YAML configs need the 'yaml' package/);
  assert.throws(() => parseOverrides(['novalue']), /must look like field\.path=value/);
});

test('the hash covers what changes training, and the diff names the field', () => {
  const a = makeConfig({});
  assert.equal(configHash(a), configHash(makeConfig({})));
  assert.notEqual(configHash(a), configHash(makeConfig({ optim: { lr: 0.02 } })));
  assert.notEqual(configHash(a), configHash(makeConfig({ method: { beta: 1 } })));
  assert.equal(configHash(a), configHash(makeConfig({ log: { every: 7 }, checkpoint: { keep: 9 } })));
  assert.deepEqual(configDiff(a, makeConfig({ optim: { lr: 0.02 }, log: { every: 3 } })), ['optim.lr: checkpoint 0.01, now 0.02']);
});

test('parallel section: validated, --set reaches it, binding only where it changes training, old configs still match', async () => {
  const d = makeConfig({});
  assert.deepEqual(d.parallel, { overlap: null, bucketMb: 25, syncBatchNorm: false, buffers: 'average' });
  const c = await resolveConfig({ flags: ['parallel.syncBatchNorm=true', 'parallel.overlap=false', 'parallel.bucketMb=5'] });
  assert.deepEqual(c.parallel, { overlap: false, bucketMb: 5, syncBatchNorm: true, buffers: 'average' });
  assert.throws(() => makeConfig({ parallel: { buffers: 'sum' } }), /config field 'parallel.buffers' must be one of 'average', 'broadcast', 'none', got "sum"/);
  assert.throws(() => makeConfig({ parallel: { overlap: 'yes' } }), /config field 'parallel.overlap' must be true or false or null, got "yes"/);
  assert.throws(() => makeConfig({ parallel: { bucketMb: 0 } }), /config field 'parallel.bucketMb' must be a finite number > 0, got 0/);
  // a config saved before the section existed hashes and compares as today's defaults
  const { parallel: _p, ...legacy } = d;
  assert.equal(configHash(legacy as typeof d), configHash(d));
  assert.deepEqual(configDiff(legacy as typeof d, d), []);
  // when the gradients are summed does not change the run; what they are computed from does
  assert.equal(configHash(makeConfig({ parallel: { overlap: false, bucketMb: 1 } })), configHash(d));
  assert.notEqual(configHash(makeConfig({ parallel: { syncBatchNorm: true } })), configHash(d));
  assert.notEqual(configHash(makeConfig({ parallel: { buffers: 'none' } })), configHash(d));
  assert.deepEqual(configDiff(d, makeConfig({ parallel: { syncBatchNorm: true } })), ['parallel.syncBatchNorm: checkpoint false, now true']);
  assert.deepEqual(configDiff(legacy as typeof d, makeConfig({ parallel: { syncBatchNorm: true } })), ['parallel.syncBatchNorm: checkpoint false, now true']);
});

test('data-parallel options: the config section, overlap null left to the default, code options win field by field', () => {
  const p = makeConfig({ parallel: { syncBatchNorm: true, bucketMb: 5 } }).parallel;
  assert.deepEqual(dataParallelOptions(p), { bucketMb: 5, syncBatchNorm: true, buffers: 'average' });
  assert.deepEqual(dataParallelOptions({ ...p, overlap: false }, { bucketMb: 2 }), { overlap: false, bucketMb: 2, syncBatchNorm: true, buffers: 'average' });
  assert.deepEqual(dataParallelOptions(p, { overlap: true, syncBatchNorm: false }), { overlap: true, bucketMb: 5, syncBatchNorm: false, buffers: 'average' });
});

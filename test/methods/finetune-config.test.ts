/** FinetuneConfig: effective-learning-rate resolution, defaults, engine-config wiring and errors that name the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors.js';
import { defaultFinetuneConfig, finetuneTrainConfig, validateFinetuneConfig } from '../../src/methods/finetune/index.js';

test('ELR: lr = elr * (1 - momentum); lr alone gives elr = lr / (1 - momentum); both recorded in method.resolved', () => {
  const r = validateFinetuneConfig({ elr: 0.1, momentum: 0.9 });
  assert.ok(Math.abs(r.resolved.lr - 0.01) < 1e-15, `lr ${r.resolved.lr}`);
  assert.equal(r.resolved.elr, 0.1);
  assert.equal(validateFinetuneConfig({ elr: 0.1, momentum: 0 }).resolved.lr, 0.1);
  const l = validateFinetuneConfig({ lr: 0.01, momentum: 0.99 });
  assert.equal(l.elr, null);
  assert.ok(Math.abs(l.resolved.elr - 1) < 1e-12);
  const d = validateFinetuneConfig();
  assert.ok(Math.abs(d.resolved.lr - 0.01) < 1e-15, 'default (elr 0.1, m 0.9) is the common lr 0.01');
  const cfg = finetuneTrainConfig({ elr: 0.3, momentum: 0.99 }, { seed: 3, epochs: 2 });
  assert.ok(Math.abs(cfg.optim.lr - 0.003) < 1e-15);
  assert.equal(cfg.optim.momentum, 0.99);
  assert.equal(cfg.optim.name, 'sgd');
  assert.equal(cfg.optim.weightDecay, 0);
  assert.equal(cfg.epochs, 2);
  const m = cfg.method as unknown as { elr: number; resolved: { lr: number; elr: number; momentum: number } };
  assert.deepEqual(m.resolved, { lr: cfg.optim.lr, elr: 0.3, momentum: 0.99 });
  assert.equal(m.elr, 0.3);
  const again = validateFinetuneConfig(cfg.method); // the recorded method block validates again (resume, CLI)
  assert.equal(again.resolved.lr, cfg.optim.lr);
  const fromBase = finetuneTrainConfig({}, { method: { elr: 0.05, momentum: 0.5 } });
  assert.equal(fromBase.optim.lr, 0.025);
  assert.deepEqual(Object.keys(defaultFinetuneConfig).sort(), Object.keys(validateFinetuneConfig()).filter((k) => k !== 'resolved').sort());
});

test('config errors name the field and the allowed range', () => {
  const cases: [unknown, RegExp][] = [
    [{ strategy: 'lora' }, /'method\.strategy' must be one of 'full', 'linear-probe', 'partial', 'scratch', got "lora"/],
    [{ momentum: 1 }, /'method\.momentum' must be a number in \[0, 1\), got 1/],
    [{ elr: -0.1 }, /'method\.elr' must be a finite number > 0 or null/],
    [{ elr: 0.1, lr: 0.01 }, /'method\.elr' and 'method\.lr': give exactly one/],
    [{ labelSmoothing: 1 }, /'method\.labelSmoothing' must be a number in \[0, 1\)/],
    [{ headLrScale: -1 }, /'method\.headLrScale' must be a finite number >= 0/],
    [{ numClasses: 2.5 }, /'method\.numClasses' must be an integer >= 1 or null/],
    [{ strategy: 'partial' }, /'method\.freezeUpTo' must name a stage/],
    [{ freezeUpTo: 'layer2' }, /'method\.freezeUpTo' is only used with strategy 'partial'/],
    [{ strategy: 'scratch', regularizer: 'l2-sp' }, /'method\.regularizer' cannot be 'l2-sp' with strategy 'scratch'/],
    [{ freezeBnAffine: true }, /'method\.freezeBnAffine' needs method\.bn 'frozen'/],
    [{ regulariser: 'l2' }, /unknown finetune config field 'method\.regulariser'/],
    [{ l2Mode: 'decoupled' }, /'method\.l2Mode' must be one of 'optimizer', 'penalty'/],
    ['full', /finetune config must be an object/],
  ];
  for (const [c, re] of cases) assert.throws(() => validateFinetuneConfig(c), (e: unknown) => e instanceof ConfigError && re.test((e as Error).message), JSON.stringify(c));
  assert.throws(() => finetuneTrainConfig({}, { optim: { name: 'adamw' } }), /'optim\.name' \("adamw"\) contradicts method\.optimizer 'sgd'/);
  const adam = finetuneTrainConfig({ optimizer: 'adamw', lr: 1e-3, elr: null });
  assert.deepEqual([adam.optim.name, adam.optim.lr, adam.method.resolved.lr], ['adamw', 1e-3, 1e-3], '--optimizer adamw trains with AdamW at method.lr');
  assert.throws(() => finetuneTrainConfig({ optimizer: 'adam' }), /'method\.lr' must be given with optimizer 'adam'/);
  assert.throws(() => finetuneTrainConfig({ optimizer: 'rmsprop' as 'adam' }), /method\.optimizer/);
  assert.throws(() => finetuneTrainConfig({ elr: 0.1, momentum: 0.9 }, { optim: { lr: 0.1 } }), /'optim\.lr' \(0\.1\) contradicts/);
  assert.throws(() => finetuneTrainConfig({}, { epochs: 0 }), /'epochs' must be an integer/);
});

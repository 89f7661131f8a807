/** runFinetune as a library call: the CLI's defaults, resume refusing changed settings (naming them), --epochs/--steps extending a run, an AbortSignal stopping it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { FINETUNE_DEFAULTS, runFinetune } from '../../src/methods/finetune/index.js';
import { bundledBackbonePath } from '../../src/models/index.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-ftrun-'));
const quiet = { quiet: true, handleSignals: false } as const;
const has = existsSync(bundledBackbonePath());

test('runFinetune: the command\'s recipe by default; a resume refuses other data or lr (named) and extends with more steps', { skip: !has }, async () => {
  const out = join(root, 'a');
  const r = await runFinetune({ ...quiet, labelsPerClass: 10, strategy: 'linear-probe', set: ['maxSteps=2', 'checkpoint.every=1'], out });
  assert.deepEqual([r.status, r.steps, r.strategy], ['completed', 2, 'linear-probe']);
  assert.match(readFileSync(join(out, 'log.txt'), 'utf8'), /\n2 steps in \d+\.\d s\n/, 'the log ends the run with its steps and seconds');
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { epochs: number; scheduler: { name: string }; method: { elr: number } };
  assert.deepEqual([cfg.epochs, cfg.scheduler.name, cfg.method.elr], [FINETUNE_DEFAULTS.config.epochs, 'cosine', 0.1], 'library and CLI share the recipe: 30 epochs, cosine, elr 0.1');
  await assert.rejects(runFinetune({ ...quiet, resume: out, data: 'fmnist:target-shift' }), (e: Error) => e instanceof ConfigError && /data: the run has "fmnist:target-mid", now "fmnist:target-shift"/.test(e.message));
  await assert.rejects(runFinetune({ ...quiet, resume: out, lr: 0.5 }), /a resumed run keeps its own settings.*(method\.lr|optim\.lr)/);
  await assert.rejects(runFinetune({ ...quiet, resume: out, set: ['optim.nesterov=true'] }), /optim\.nesterov/);
  const more = await runFinetune({ ...quiet, resume: out, set: ['maxSteps=3'] });
  assert.deepEqual([more.status, more.steps], ['completed', 3], 'an explicit extension continues to the new length');
  assert.equal((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { maxSteps: number }).maxSteps, 3, 'config.json records the extension');
  const same = await runFinetune({ ...quiet, resume: out });
  assert.equal(same.steps, 3);
});

test('runFinetune: aborting the signal stops the run after the current step, with a checkpoint to resume from', { skip: !has }, async () => {
  const ac = new AbortController();
  const out = join(root, 'b');
  const r = await runFinetune({ ...quiet, labelsPerClass: 10, strategy: 'linear-probe', set: ['maxSteps=50'], out, signal: ac.signal, onEvent: (e) => { if (e.type === 'step') ac.abort(); } });
  assert.deepEqual([r.status, r.steps], ['stopped', 1]);
  assert.ok(existsSync(join(out, 'checkpoints')));
});

test.after(() => rmSync(root, { recursive: true, force: true }));

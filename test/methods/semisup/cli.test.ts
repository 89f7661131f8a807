/** `adaptune semisup`: flag parsing (defaults, errors naming the flag), help true to the parser, one tiny run end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSemisup, SEMISUP_USAGE, type SemisupArgs } from '../../../src/cli/semisup-args.js';
import { findCommand } from '../../../src/cli/commands.js';
import { ALGORITHMS } from '../../../src/methods/semisup/config.js';
import { SEMISUP_ALGORITHMS, SEMISUP_OPTIONS } from '../../../src/methods/semisup/options.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-semisup-cli-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

test('parseSemisup: defaults, every flag, errors that name the flag; --help lists every flag; one entry in the command table', () => {
  const d = parseSemisup([]) as SemisupArgs;
  assert.deepEqual({ ...d }, {}, 'only the flags given (runSemisup applies the defaults)');
  assert.deepEqual([SEMISUP_OPTIONS.data.default, SEMISUP_OPTIONS.labelsPerClass.default, SEMISUP_OPTIONS.algorithm.default], ['fmnist:target-mid', 10, 'fixmatch']);
  assert.deepEqual([...SEMISUP_ALGORITHMS], [...ALGORITHMS]);
  const a = parseSemisup(['--algorithm', 'ict', '--akc', '--arc', '--lambda-akc', '2', '--lambda-arc', '5', '--akc-scale', '1e4', '--threshold', '0.9', '--coef', '3',
    '--steps', '40', '--batch-size', '8', '--mu', '7', '--lr', '0.03', '--weight-decay', '0', '--ema-decay', '0.99', '--eval-every', '20', '--seed', '2',
    '--threads', '1', '--labels-per-class', '50', '--data', 'fmnist:target-shift', '--set', 'method.tableSizeL=64', '--json']) as SemisupArgs;
  assert.deepEqual([a.algorithm, a.akc, a.arc, a.lambdaAkc, a.lambdaArc, a.akcScale, a.threshold, a.coef, a.steps, a.batchSize, a.mu, a.lr, a.weightDecay, a.emaDecay, a.evalEvery, a.seed, a.threads, a.labelsPerClass, a.data, a.set, a.json],
    ['ict', true, true, 2, 5, 1e4, 0.9, 3, 40, 8, 7, 0.03, 0, 0.99, 20, 2, 1, 50, 'fmnist:target-shift', ['method.tableSizeL=64'], true]);
  assert.throws(() => parseSemisup(['--algorithm', 'uda']), /--algorithm must be one of supervised, pseudo-label, mean-teacher, fixmatch, mixmatch, ict, got 'uda'/);
  assert.throws(() => parseSemisup(['--threshold', '1.5']), /--threshold must be a number in \[0, 1\]/);
  assert.throws(() => parseSemisup(['--ema-decay', '1']), /--ema-decay must be a number >= 0 and < 1/);
  assert.equal((parseSemisup(['--labels-per-class', '7']) as SemisupArgs).labelsPerClass, 7, 'any label budget');
  assert.throws(() => parseSemisup(['--labels-per-class', '0']), /--labels-per-class/);
  assert.throws(() => parseSemisup(['--resume', 'x', '--weights', 'w']), /cannot be combined/);
  assert.throws(() => parseSemisup(['--tau', '1']), /unknown flag --tau/);
  assert.equal(parseSemisup(['-h']), 'help');
  for (const flag of ['--data', '--labels-per-class', '--algorithm', '--akc', '--arc', '--lambda-akc', '--lambda-arc', '--akc-scale', '--threshold', '--coef', '--steps', '--batch-size', '--mu', '--lr', '--weight-decay', '--ema-decay', '--eval-every', '--weights', '--seed', '--config', '--set', '--out', '--resume', '--threads', '--json']) {
    assert.ok(SEMISUP_USAGE.includes(flag), `help lacks ${flag}`);
  }
  for (const alg of ALGORITHMS) assert.ok(SEMISUP_USAGE.includes(alg), `help lacks ${alg}`);
  assert.equal(findCommand('semisup')?.parse, parseSemisup);
});

test('a tiny run (FixMatch + AKC + ARC, 3 steps) writes the run directory and one report; a bad config field exits with its name', async () => {
  const { runSemisup } = await import('../../../src/cli/semisup.js');
  const out = join(root, 'run');
  const argv = ['semisup', '--akc', '--arc', '--steps', '3', '--eval-every', '1000', '--threads', '1', '--batch-size', '4', '--mu', '2', '--out', out];
  const r = await runSemisup(parseSemisup(argv.slice(1)) as SemisupArgs, { argv, quiet: true, handleSignals: false });
  assert.equal(r.status, 'completed');
  assert.equal(r.steps, 3);
  assert.equal(r.evaluations, 1, 'the final evaluation when no periodic one fell on the last step');
  assert.ok(r.testAccuracy > 0.2 && r.testAccuracy <= 1, `accuracy ${r.testAccuracy}`);
  assert.ok(r.gates.akc && r.gates.arc && r.gates.ssl, 'gate ratios reported');
  for (const f of ['config.json', 'cli.json', 'metrics.jsonl', 'log.txt', 'summary.json']) assert.ok(existsSync(join(out, f)), f);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { optim: { nesterov: boolean }; method: { algorithm: string; akc: boolean; numClasses: number } };
  assert.deepEqual([cfg.optim.nesterov, cfg.method.algorithm, cfg.method.akc, cfg.method.numClasses], [true, 'fixmatch', true, 5]);
  await assert.rejects(runSemisup(parseSemisup(['--set', 'method.tau=1', '--out', join(root, 'bad')]) as SemisupArgs, { quiet: true, handleSignals: false }), /unknown semisup config field 'method\.tau'/);
  assert.ok(!existsSync(join(root, 'bad')));
});

/** Argument parsing of the `adaptune` command (no timing, no native code). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { BENCH_MODELS, CliError, parseBench, parseCli, parseModels, type BenchArgs } from '../../src/cli/args.js';

const bench = (args: string[]) => {
  const p = parseCli(['bench', ...args]);
  assert.equal(p.command, 'bench');
  return (p as { options: BenchArgs }).options;
};

test('no arguments, help and -h show help', () => {
  assert.deepEqual(parseCli([]), { command: 'help' });
  assert.deepEqual(parseCli(['--help']), { command: 'help' });
  assert.deepEqual(parseCli(['-h']), { command: 'help' });
  assert.deepEqual(parseCli(['help', 'bench']), { command: 'help', topic: 'bench' });
  assert.deepEqual(parseCli(['bench', '--help']), { command: 'help', topic: 'bench' });
});

test('--version and version', () => {
  assert.deepEqual(parseCli(['--version']), { command: 'version', json: false });
  assert.deepEqual(parseCli(['version']), { command: 'version', json: false });
  assert.deepEqual(parseCli(['version', '--json']), { command: 'version', json: true });
  assert.throws(() => parseCli(['version', '--jsn']), /version takes only --json/);
});

test('quickstart parses its own flags (epochs are fixed by the command)', () => {
  assert.throws(() => parseCli(['quickstart', '--epochs', '1']), (e: unknown) => e instanceof CliError && /unknown flag --epochs for 'adaptune quickstart'/.test((e as Error).message));
});

test('bench defaults', () => {
  const o = bench([]);
  assert.deepEqual(o.models, [...BENCH_MODELS]);
  assert.equal(o.threads, cpus().length);
  assert.equal(o.warmup, undefined);
  assert.equal(o.repeats, undefined);
  assert.equal(o.rounds, 2);
  assert.equal(o.json, false);
  assert.equal(o.quick, false);
  assert.equal(o.threadStudy, false);
  assert.equal(o.python, '/usr/bin/python3');
  assert.equal(o.ort, true);
});

test('bench flags', () => {
  const o = bench(['--threads', '1', '--repeats=4', '--warmup', '0', '--models', 'small,resnet18-w16,small',
    '--json', '--quick', '--thread-study', '--python', '/opt/py']);
  assert.deepEqual(o.models, ['small', 'resnet18-w16']);
  assert.equal(o.threads, 1);
  assert.equal(o.repeats, 4);
  assert.equal(o.warmup, 0);
  assert.equal(o.rounds, 1, '--quick defaults to one round');
  assert.ok(o.json && o.quick && o.threadStudy);
  assert.equal(o.python, '/opt/py');
  assert.equal(bench(['--no-pytorch']).python, null);
  assert.equal(bench(['--no-ort']).ort, false);
});

test('unknown flags and commands are errors naming them', () => {
  assert.throws(() => parseCli(['bench', '--thread', '2']), (e: unknown) =>
    e instanceof CliError && /unknown flag --thread\b/.test(e.message));
  assert.throws(() => parseCli(['bench', '-x']), /unknown flag -x/);
  assert.throws(() => parseCli(['--frobnicate']), /unknown flag --frobnicate/);
  assert.throws(() => parseCli(['benhc']), /unknown command 'benhc'/);
  assert.throws(() => parseCli(['bench', 'extra']), /no positional arguments/);
});

test('bad values are errors naming the flag', () => {
  assert.throws(() => bench(['--threads']), /--threads needs a value/);
  assert.throws(() => bench(['--threads', '0']), /--threads must be an integer >= 1/);
  assert.throws(() => bench(['--repeats', '2.5']), /--repeats must be an integer/);
  assert.throws(() => bench(['--warmup', '-1']), CliError);
  assert.throws(() => bench(['--models', 'resnet50']), /unknown model 'resnet50'/);
  assert.throws(() => bench(['--models', ',']), /--models is empty/);
  assert.throws(() => bench(['--python', 'p', '--no-pytorch']), /mutually exclusive/);
});

test('helpers', () => {
  assert.deepEqual(parseModels(' small , resnet18-w64 '), ['small', 'resnet18-w64']);
  assert.equal(parseBench(['-h']), 'help');
});

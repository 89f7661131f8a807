/** The option tables (src/core/options.ts): types, parsing, checks, help; and for every command, its --help and its parser agree both ways. No native code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parserFlags } from '../parser-flags.js';
import { CliError, checkOptions, formatHelp, opt, parseArgsConfig, parseFlags, type OptionValues } from '../../src/core/options.js';
import { COMMAND_SPECS } from '../../src/cli/commands.js';
import { parseCli } from '../../src/cli/args.js';
import { FINETUNE_OPTIONS } from '../../src/methods/finetune/options.js';

const TABLE = {
  steps: opt.int({ min: 1, default: 3, doc: 'steps' }),
  rate: opt.number({ gt: 0, lt: 1, doc: 'a rate' }),
  frac: opt.number({ min: 0, max: 1, doc: 'a fraction' }),
  mode: opt.enum(['a', 'b'], { default: 'a', doc: 'the mode' }),
  fast: opt.bool({ doc: 'go fast' }),
  gated: opt.bool({ flag: 'no-gated', negate: true, doc: 'no gate' }),
  names: opt.list({ what: 'names', doc: 'names' }),
  set: opt.list({ repeat: true, item: (s) => (s.includes('=') ? null : 'must look like a=b'), doc: 'overrides' }),
  out: opt.string({ arg: 'DIR', default: null, doc: 'where' }),
  twice: opt.custom((v) => 2 * Number(v), { doc: 'doubled' }),
} as const;

test('a table gives typed values of the flags given, in the wording of the old flag helpers', () => {
  const v = parseFlags('demo', TABLE, ['--steps', '4', '--rate', '0.5', '--mode', 'b', '--fast', '--no-gated', '--names', 'x, y', '--set', 'a=1', '--set', 'b=2', '--out', 'o', '--twice', '21']);
  assert.ok(v !== 'help');
  const typed: OptionValues<typeof TABLE> = v;
  assert.deepEqual({ ...typed }, { steps: 4, rate: 0.5, mode: 'b', fast: true, gated: false, names: ['x', 'y'], set: ['a=1', 'b=2'], out: 'o', twice: 42 });
  assert.deepEqual({ ...(parseFlags('demo', TABLE, []) as object) }, {}, 'nothing given: nothing set (the run function applies the defaults)');
  assert.equal(parseFlags('demo', TABLE, ['-h']), 'help');
  const bad: [string[], RegExp][] = [
    [['--steps', '0'], /^--steps must be an integer >= 1, got '0'$/], [['--steps', '1.5'], /--steps must be an integer >= 1/],
    [['--rate', '1'], /^--rate must be a number > 0 and < 1, got '1'$/], [['--rate', '-0.1'], /--rate must be a number > 0 and < 1, got '-0\.1'/],
    [['--frac', '2'], /^--frac must be a number in \[0, 1\], got '2'$/], [['--mode', 'c'], /^--mode must be one of a, b, got 'c'$/],
    [['--names', 'x,,y'], /--names must be a comma-separated list of names/], [['--set', 'nope'], /^--set 'nope' must look like a=b$/],
    [['--steps', '1', '--steps', '2'], /flag --steps is given more than once for 'adaptune demo'/], [['--bogus'], /unknown flag --bogus for 'adaptune demo'/],
    [['--steps'], /flag --steps needs a value/], [['x'], /takes no positional arguments/],
  ];
  for (const [args, re] of bad) assert.throws(() => parseFlags('demo', TABLE, args), (e: Error) => e instanceof CliError && re.test(e.message), args.join(' '));
});

test('checkOptions holds a library call to the same ranges, naming the flag and the option', () => {
  checkOptions(TABLE, { steps: 2, rate: 0.1, mode: 'a', out: null });
  assert.throws(() => checkOptions(TABLE, { steps: 0 }), /--steps \(option steps\) must be an integer >= 1, got 0/);
  assert.throws(() => checkOptions(TABLE, { mode: 'z' }), /--mode \(option mode\) must be one of a, b/);
  assert.throws(() => checkOptions(FINETUNE_OPTIONS, { lr: -1 }), /--lr \(option lr\) must be a number > 0/);
  assert.throws(() => checkOptions(FINETUNE_OPTIONS, { epochs: 1.5 }), /--epochs .* must be an integer >= 1/);
});

test('--help comes from the table: every flag with its placeholder, doc, default and section', () => {
  const h = formatHelp('Usage: demo', [{ ...TABLE, extra: opt.int({ min: 0, section: 'More', doc: 'more' }) }]);
  assert.match(h, /^Usage: demo\n\nFlags:\n/);
  assert.match(h, /\n {2}--steps N {17}steps \(default 3\)\n/);
  assert.match(h, /\n {2}--no-gated {16}no gate\n/);
  assert.match(h, /\n\nMore:\n {2}--extra N {17}more\n/);
  assert.match(h, /-h, --help {16}this help\n$/);
  assert.deepEqual(Object.keys(parseArgsConfig(TABLE)).sort(), ['fast', 'frac', 'help', 'mode', 'names', 'no-gated', 'out', 'rate', 'set', 'steps', 'twice']);
});

test('every command: each flag its parser takes is in its --help, and each flag its --help names is parsed (none is unknown)', () => {
  assert.ok(COMMAND_SPECS.length >= 15);
  for (const spec of COMMAND_SPECS) {
    const flags = parserFlags(spec.name);
    assert.ok(flags.length >= 2, `${spec.name}: the parser's option table was captured (${flags.join(', ')})`);
    for (const f of flags) assert.match(spec.usage, new RegExp(`--${f}(?![a-z-])`), `${spec.name} takes --${f}, which its help does not name`);
    const named = [...new Set(spec.usage.match(/--[a-z][a-z-]*/g) ?? [])].filter((f) => f !== '--help');
    for (const f of named) assert.ok(flags.includes(f.slice(2)), `${spec.name}: its help names ${f}, which its parser does not take`);
    for (const f of named) {
      try { parseCli([spec.name, f, '1']); } catch (e) { assert.ok(!/unknown flag/.test((e as Error).message), `${spec.name}: ${f}: ${(e as Error).message}`); }
    }
  }
});

/** Argument parsing of `adaptune pretrain`, `finetune` and `quickstart` (no native code). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parserFlags } from '../parser-flags.js';
import { CliError, parseCli, USAGE } from '../../src/cli/args.js';
import { MODEL_NAMES, FINETUNE_USAGE, PRETRAIN_USAGE, QUICKSTART_USAGE, type PretrainArgs, type QuickstartArgs } from '../../src/cli/args-train.js';
import { FINETUNE_DEFAULTS, PRETRAIN_DEFAULTS, QUICKSTART_DEFAULTS, FINETUNE_OPTIONS, PRETRAIN_OPTIONS, QUICKSTART_OPTIONS } from '../../src/methods/finetune/options.js';
import { ADAFILTER_OPTIONS } from '../../src/methods/adafilter/options.js';

/** finetune's options are runFinetune's or (--method adafilter) runAdafilter's: read as one record here. */
type ArgsOf = { pretrain: PretrainArgs; finetune: Record<string, unknown>; quickstart: QuickstartArgs };
const opts = <C extends keyof ArgsOf>(cmd: C, args: string[]): ArgsOf[C] => {
  const p = parseCli([cmd, ...args]);
  assert.equal(p.command, cmd);
  return (p as unknown as { options: ArgsOf[C] }).options;
};
/** Asserts a CliError whose message matches `re`. */
const usageError = (args: string[], re: RegExp) => assert.throws(() => parseCli(args), (e: unknown) => e instanceof CliError && re.test((e as Error).message), `expected ${re} for ${args.join(' ')}`);

test('pretrain: the parser returns only the flags given (the run function applies the defaults; a config file may set them); the table documents the run\'s defaults', () => {
  assert.deepEqual({ ...opts('pretrain', []) }, {});
  assert.deepEqual([PRETRAIN_OPTIONS.data.default, PRETRAIN_OPTIONS.labelsPerClass.default, PRETRAIN_OPTIONS.model.default, PRETRAIN_OPTIONS.epochs.default, PRETRAIN_OPTIONS.lr.default],
    [PRETRAIN_DEFAULTS.data, PRETRAIN_DEFAULTS.labelsPerClass, PRETRAIN_DEFAULTS.model, PRETRAIN_DEFAULTS.config.epochs, PRETRAIN_DEFAULTS.config.method.lr]);
  assert.deepEqual([PRETRAIN_DEFAULTS.data, PRETRAIN_DEFAULTS.labelsPerClass, PRETRAIN_DEFAULTS.model], ['fmnist:source', 'all', 'cifar_resnet20']);
  assert.match(PRETRAIN_USAGE, /--epochs N +passes over the training set \(default 8\)/);
  assert.match(PRETRAIN_USAGE, /--model NAME .*\(default cifar_resnet20\)/);
});

test('pretrain flags are parsed and typed', () => {
  const o = opts('pretrain', ['--data', 'textures:target-far', '--labels-per-class', '100', '--model', 'small_cnn', '--epochs', '3', '--batch-size', '64',
    '--lr', '0.05', '--momentum', '0', '--weight-decay', '1e-4', '--seed', '7', '--set', 'maxSteps=5', '--set', 'log.every=2', '--out', 'x', '--export', 'w.safetensors', '--json', '--threads', '1']);
  assert.deepEqual({ ...o }, {
    data: 'textures:target-far', labelsPerClass: 100, model: 'small_cnn', epochs: 3, batchSize: 64, lr: 0.05, momentum: 0, weightDecay: 1e-4, seed: 7,
    set: ['maxSteps=5', 'log.every=2'], out: 'x', export: 'w.safetensors', json: true, threads: 1,
  });
});

test('errors name the flag', () => {
  usageError(['pretrain', '--epochs', '0'], /--epochs must be an integer >= 1, got '0'/);
  usageError(['pretrain', '--lr', 'abc'], /--lr must be a number > 0, got 'abc'/);
  usageError(['pretrain', '--momentum', '1'], /--momentum must be a number >= 0 and < 1/);
  usageError(['pretrain', '--model', 'vgg'], /--model must be one of .*cifar_resnet20/);
  usageError(['pretrain', '--data', 'mnist:source'], /^--data: .*unknown kind "mnist"; allowed: fmnist:source.*imagefolder:DIR, csv:FILE/);
  usageError(['finetune', '--labels-per-class', '0'], /^--labels-per-class: .*an integer >= 1 or 'all'/);
  usageError(['pretrain', '--bogus'], /unknown flag --bogus for 'adaptune pretrain'/);
  usageError(['pretrain', '--set', 'noequals'], /--set 'noequals' must look like field.path=value/);
  usageError(['pretrain', 'extra'], /takes no positional arguments, got 'extra'/);
  usageError(['finetune', '--elr', '0.1', '--lr', '0.01'], /--elr and --lr are mutually exclusive/);
  usageError(['finetune', '--strategy', 'partial'], /--strategy partial needs --freeze-up-to/);
  usageError(['finetune', '--freeze-up-to', 'layer1'], /--freeze-up-to needs --strategy partial/);
  usageError(['finetune', '--regularizer', 'l1'], /--regularizer must be one of l2, l2-sp, none, got 'l1'/);
  usageError(['finetune', '--head', 'new'], /--head must be one of reinit, imprint, keep/);
  usageError(['finetune', '--resume', 'runs/x', '--weights', 'w.safetensors'], /--resume DIR .* cannot be combined/);
  usageError(['finetune', '--epochs'], /flag --epochs needs a value/);
  usageError(['quickstart', '--seed', '-1'], /--seed/);
});

test('finetune defaults and flags', () => {
  assert.deepEqual({ ...opts('finetune', []) }, {}, 'nothing given: the run function decides');
  assert.deepEqual([FINETUNE_OPTIONS.data.default, FINETUNE_OPTIONS.labelsPerClass.default, FINETUNE_OPTIONS.epochs.default, FINETUNE_OPTIONS.elr.default],
    [FINETUNE_DEFAULTS.data, FINETUNE_DEFAULTS.labelsPerClass, FINETUNE_DEFAULTS.config.epochs, FINETUNE_DEFAULTS.config.method.elr]);
  assert.deepEqual([FINETUNE_DEFAULTS.data, FINETUNE_DEFAULTS.labelsPerClass], ['fmnist:target-mid', 50]);
  assert.match(FINETUNE_USAGE, /--epochs N +passes over the training set \(default 30\)/);
  assert.match(FINETUNE_USAGE, /--gate G .*\(default lstm\)/);
  const o = opts('finetune', ['--strategy', 'partial', '--freeze-up-to', 'layer2', '--lr', '0.01', '--regularizer', 'l2-sp', '--alpha', '0.1', '--beta', '0',
    '--head', 'imprint', '--bn', 'frozen', '--weights', 'b.safetensors', '--labels-per-class', 'all', '--data', 'FMNIST:target-shift']);
  assert.equal(o.strategy, 'partial');
  assert.equal(o.freezeUpTo, 'layer2');
  assert.equal(o.lr, 0.01);
  assert.equal(o.elr, undefined);
  assert.equal(o.regularizer, 'l2-sp');
  assert.equal(o.alpha, 0.1);
  assert.equal(o.beta, 0);
  assert.equal(o.head, 'imprint');
  assert.equal(o.bn, 'frozen');
  assert.equal(o.weights, 'b.safetensors');
  assert.equal(o.labelsPerClass, 'all');
  assert.equal(o.data, 'fmnist:target-shift');
});

test('finetune --method adafilter: its flags parse, each method refuses the other one\'s flags naming them', () => {
  assert.equal(opts('finetune', []).method, undefined);
  const o = opts('finetune', ['--method', 'adafilter', '--gate', 'gru', '--binarize', 'gumbel', '--temperature', '2', '--stages', 'layer2, layer3',
    '--no-gated-bn', '--usage-penalty', '0.1', '--gate-lr-scale', '5', '--head-lr-scale', '3', '--lr', '0.02', '--head', 'keep', '--gate-warmup-steps', '40']);
  assert.deepEqual([o.method, o.gate, o.binarize, o.temperature, o.stages, o.gatedBn, o.usagePenalty, o.gateLrScale, o.headLrScale, o.lr, o.head, o.gateWarmupSteps],
    ['adafilter', 'gru', 'gumbel', 2, ['layer2', 'layer3'], false, 0.1, 5, 3, 0.02, 'keep', 40]);
  assert.equal(opts('finetune', ['--method', 'adafilter']).gatedBn, undefined);
  assert.equal(opts('finetune', ['--head-lr-scale', '10']).headLrScale, 10);
  usageError(['finetune', '--method', 'adafilter', '--strategy', 'full'], /--strategy is an option of standard fine-tuning; --method adafilter does not take it/);
  usageError(['finetune', '--method', 'adafilter', '--elr', '0.1'], /--elr is an option of standard fine-tuning/);
  usageError(['finetune', '--method', 'adafilter', '--head', 'imprint'], /--head must be reinit or keep with --method adafilter/);
  usageError(['finetune', '--gate', 'lstm'], /--gate needs --method adafilter/);
  usageError(['finetune', '--no-gated-bn'], /--no-gated-bn needs --method adafilter/);
  usageError(['finetune', '--method', 'spottune'], /--method must be one of finetune, adafilter, got 'spottune'/);
  usageError(['finetune', '--method', 'adafilter', '--gate', 'rnn'], /--gate must be one of lstm, gru, mlp/);
  usageError(['finetune', '--method', 'adafilter', '--stages', 'layer1,'], /--stages must be a comma-separated list/);
  usageError(['finetune', '--method', 'adafilter', '--temperature', '0'], /--temperature must be a number > 0/);
  usageError(['finetune', '--resume', 'r', '--method', 'adafilter'], /--resume DIR continues a run with its recorded method/);
});

test('quickstart defaults and flags', () => {
  assert.deepEqual({ ...opts('quickstart', []) }, {});
  assert.deepEqual([QUICKSTART_OPTIONS.data.default, QUICKSTART_OPTIONS.labelsPerClass.default, QUICKSTART_OPTIONS.seed.default], [QUICKSTART_DEFAULTS.data, QUICKSTART_DEFAULTS.labelsPerClass, 0]);
  assert.deepEqual({ ...QUICKSTART_DEFAULTS }, { data: 'fmnist:target-mid', labelsPerClass: 50, seed: 0 });
  const o = opts('quickstart', ['--quick', '--json', '--labels-per-class', '10', '--seed', '3', '--out', 'r', '--data', 'textures:target-far']);
  assert.deepEqual({ ...o }, { data: 'textures:target-far', labelsPerClass: 10, seed: 3, out: 'r', quick: true, json: true });
});

test('help for each command, from the command and from help <cmd>', () => {
  for (const c of ['pretrain', 'finetune', 'quickstart'] as const) {
    assert.deepEqual(parseCli([c, '--help']), { command: 'help', topic: c });
    assert.deepEqual(parseCli(['help', c]), { command: 'help', topic: c });
    assert.match(USAGE, new RegExp(`\\n  ${c} `));
  }
});

test('every flag a parser accepts is in its help text, and the help names no flag the parser rejects', () => {
  const texts = { pretrain: PRETRAIN_USAGE, finetune: FINETUNE_USAGE, quickstart: QUICKSTART_USAGE } as const;
  for (const [cmd, text] of Object.entries(texts)) {
    const table = parserFlags(cmd);
    assert.ok(table.length > 4, `${cmd}: the parser's option table was captured (${table.join(', ')})`);
    for (const name of table) assert.match(text, new RegExp(`--${name}(?![a-z-])`), `${cmd} accepts --${name}, which its help does not mention`);
    const flags = [...new Set(text.match(/--[a-z][a-z-]*/g) ?? [])];
    assert.ok(flags.length > 4, cmd);
    for (const f of flags) {
      if (f === '--help') continue;
      try { parseCli([cmd, f, ...(['--json', '--quick'].includes(f) ? [] : ['1'])]); } catch (e) {
        assert.ok(!/unknown flag/.test((e as Error).message), `${cmd} help names ${f}, which the parser rejects`);
      }
    }
  }
});

test('MODEL_NAMES lists the registry models (checked without loading them: the registry source)', async () => {
  const { readFileSync } = await import('node:fs');
  const src = readFileSync(new URL('../../../src/models/registry.ts', import.meta.url), 'utf8');
  for (const m of MODEL_NAMES) assert.match(src, new RegExp(`\\b${m}\\b`), m);
});

/**
 * Every adaptune command the README, docs/ and the results pages (and their scripts) show still parses against the
 * option tables, and the config it would run with passes the method's validation (CommandSpec.check: the library's
 * config calls), without training. Which lines count as commands: test/cli/doc-commands.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli } from '../../src/cli/args.js';
import { findCommand } from '../../src/cli/commands.js';
import { parseLaunch } from '../../src/cli/launch.js';
import { docCommands, shellWords, type DocCommand } from './doc-commands.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** README.md, docs/*.md, and the .md and .sh files under docs/results. */
function docFiles(): string[] {
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.(md|sh)$/.test(n) ? [p] : [];
  });
  const top = readdirSync(join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).map((n) => join(ROOT, 'docs', n));
  return [join(ROOT, 'README.md'), ...top, ...walk(join(ROOT, 'docs', 'results'))];
}

const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Parses a command as main.ts would (launcher flags first) and runs the command's config check; throws on a problem. */
async function checkCommand(c: DocCommand): Promise<void> {
  if (!c.argv.length) throw new Error(c.text);
  let argv = c.argv;
  if (c.kind === 'npm') {
    const [name, ...more] = argv;
    const script = SCRIPTS[name!];
    if (script === undefined) throw new Error(`npm run ${name}: no such script in package.json`);
    const m = /^node dist\/src\/cli\/main\.js (.*)$/.exec(script);
    if (!m) return; // a script that is not an adaptune command line
    argv = [...shellWords(m[1]!), ...(more[0] === '--' ? more.slice(1) : more)];
  }
  const launched = parseLaunch(argv);
  const parsed = parseCli(launched?.rest ?? argv);
  if (!('options' in parsed) || parsed.options === 'help') return;
  await findCommand(parsed.command)?.check?.(parsed.options);
}

test('every adaptune command in README.md, docs/ and the results pages parses and passes its config validation', async () => {
  const cwd = process.cwd();
  process.chdir(ROOT); // the pages' relative paths (--config docs/results/...) are from the repository root
  try {
    const commands = docFiles().flatMap((f) => docCommands(f));
    assert.ok(commands.length >= 40, `only ${commands.length} commands found`);
    assert.ok(commands.some((c) => c.argv[0] === 'jadce') && commands.some((c) => c.kind === 'npm'));
    const failures: string[] = [];
    for (const c of commands) {
      try { await checkCommand(c); } catch (e) { failures.push(`${c.file.slice(ROOT.length)}:${c.line}: ${c.text.slice(0, 120)}\n    -> ${(e as Error).message}`); }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${commands.length} documented commands fail:\n${failures.join('\n')}`);
  } finally {
    process.chdir(cwd);
  }
});

test('the check fails on an invented flag, a bad config value, an unknown script; open values and templates are dropped by rule', async () => {
  const md = (body: string): DocCommand[] => docCommands('x.md', '```sh\n' + body + '\n```\n');
  const [flag] = md('adaptune finetune --invented-flag 3');
  await assert.rejects(checkCommand(flag!), /unknown flag --invented-flag/);
  const [value] = md('C=--momentum\nadaptune finetune $C 1.5   # a comment');
  await assert.rejects(checkCommand(value!), /momentum/);
  const [script] = md('npm run no-such-script');
  await assert.rejects(checkCommand(script!), /no such script/);
  assert.deepEqual(md('adaptune jadce sweep --seeds $NOWHERE --seed S "$@" --out x')[0]!.argv, ['jadce', 'sweep', '--out', 'x']);
  assert.deepEqual(md('Robustness: clean 94%; adaptune adversarial fine-tunes for it.'), []);
  const [jadce] = md('for m in amp fista; do adaptune jadce eval --methods $m --test-snr ${SNR:-5}; done');
  assert.deepEqual(jadce!.argv, ['jadce', 'eval', '--methods', 'amp', '--test-snr', '5']);
  await checkCommand(jadce!);
  await assert.rejects(checkCommand(md('adaptune jadce eval --config /nonexistent.json')[0]!), /nonexistent/);
  assert.deepEqual(md('adaptune convert FILE.pth\nadaptune export ... --web DIR\npython3 x.py --y\nsh run.sh'), []);
  assert.deepEqual(docCommands('x.md', 'Run `adaptune finetune --epochs 2` or `adaptune a\\|b` or `adaptune export --run` or `adaptune anomaly --root DIR --category C`.\n').map((c) => c.argv), [['finetune', '--epochs', '2']]);
});

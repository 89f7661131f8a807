#!/usr/bin/env node
/**
 * A one-off smoke run (NOT part of the test suite: minutes, not seconds) of every adaptune command line the
 * documentation shows. test/cli/docs-commands.test.ts only parses and validates them; this script RUNS each one
 * through the CLI (node dist/src/cli/main.js) at a tiny budget, each in a fresh temp folder, and writes a table.
 *
 *   npx tsc -p tsconfig.json && ADAPTUNE_NUM_THREADS=1 nice -n 15 node scripts/smoke-doc-commands.mjs --md docs/testing/doc-commands-smoke.md
 *
 * Flags: --only TEXT (only commands whose file:line or text contains TEXT), --timeout S (per command, default 600),
 * --md FILE (write the results page), --json FILE (write the rows), --keep (keep the temp folder).
 *
 * Rules (by command kind, never by line):
 * - Which lines are commands: test/cli/doc-commands.ts (the same extraction as the test). `npm run NAME` is run as the
 *   package.json script's `node dist/src/cli/main.js ...` line (the pre-script, a build, is not run).
 * - Each command runs with cwd = its own temp folder; an argument that names an existing repository path is passed
 *   as an absolute path. Every output flag (--out, --export, --web, --study with --collect) points into the temp
 *   folder, and a command that writes a run directory by default gets --out there too: nothing is written into docs/.
 * - Inputs produced by an earlier documented step (--run, --resume, --weights, --from, report/predict operands): when
 *   an earlier command of the SAME file wrote that path (and ran ok), its temp output is used; otherwise the command
 *   is "needs earlier output" (a path under runs/, a path some documented command writes, or a command substitution).
 * - A user's own data: a missing imagefolder:DIR becomes a generated class tree (test/image-tree.ts), a missing
 *   .png/.jpg a generated image, an IDX file@indices Debian's Fashion-MNIST file; user weights (.pth) cannot be
 *   generated without Python and are "needs user data".
 * - Several machines (--nnodes > 1) are "needs a second machine".
 * - Budget: the command's own flags (see BUDGET below), --threads 1 where the command has it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { docCommands, shellWords } = await import(join(ROOT, 'dist/test/cli/doc-commands.js'));
const { writeClassTree, writeImage } = await import(join(ROOT, 'dist/test/image-tree.js'));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const FMNIST = '/usr/share/datasets/fashion-mnist';

const args = process.argv.slice(2);
const flag = (n) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const ONLY = flag('--only');
const TIMEOUT = Number(flag('--timeout') ?? 600);
const MD = flag('--md');
const JSON_OUT = flag('--json');

/** README.md, docs/*.md, and the .md and .sh files under docs/results (as the test). */
function docFiles() {
  const walk = (dir) => readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.(md|sh)$/.test(n) ? [p] : [];
  });
  const top = readdirSync(join(ROOT, 'docs')).sort().filter((n) => n.endsWith('.md')).map((n) => join(ROOT, 'docs', n));
  return [join(ROOT, 'README.md'), ...top, ...walk(join(ROOT, 'docs', 'results'))];
}

const SCRIPTS = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;

/** argv editing helpers on a flag list. */
class Argv {
  constructor(a) { this.a = [...a]; this.notes = []; }
  has(f) { return this.a.includes(f); }
  get(f) { const i = this.a.indexOf(f); return i >= 0 ? this.a[i + 1] : undefined; }
  /** Sets --f v (replacing a value), noting the change. */
  set(f, v, why) {
    const i = this.a.indexOf(f);
    if (i >= 0 && this.a[i + 1] === String(v)) return;
    if (i >= 0) { this.notes.push(`${f} ${this.a[i + 1]}→${why ?? v}`); this.a[i + 1] = String(v); }
    else { this.notes.push(`+${f} ${why ?? v}`); this.a.push(f, String(v)); }
  }
  /** Lowers a numeric --f to v when present (or adds it when `add`). */
  cap(f, v, add = false) { const x = this.get(f); if (x === undefined ? add : Number(x) > v) this.set(f, v); }
  flagOn(f) { if (!this.has(f)) { this.a.push(f); this.notes.push(`+${f}`); } }
  /** A comma list cut to its first value. */
  first(f) { const x = this.get(f); if (x?.includes(',')) this.set(f, x.split(',')[0]); }
}

/** Output paths the documentation writes anywhere (a missing input among them is an earlier step's output). */
const OUTPUT_FLAGS = ['--out', '--export', '--web', '--study'];

/** Commands that write a run directory by default (under ./runs): they get --out in the temp folder. */
const WRITES_RUN = new Set(['pretrain', 'finetune', 'adversarial', 'semisup', 'anomaly', 'quickstart', 'hparams', 'jadce train', 'jadce sweep']);
const HAS_THREADS = new Set(['pretrain', 'finetune', 'adversarial', 'semisup', 'anomaly', 'quickstart', 'hparams', 'similarity', 'robustness', 'export', 'predict', 'bench', 'jadce train', 'jadce sweep', 'jadce eval', 'jadce se']);

/** The budget of each command kind, with that command's own flags. */
const BUDGET = {
  finetune: (a, resumed) => a.set('--max-steps', resumed ? 2 : 1),
  pretrain: (a) => a.set('--max-steps', 1),
  quickstart: (a) => a.flagOn('--quick'),
  bench: (a) => { a.flagOn('--quick'); a.set('--rounds', 1); a.set('--models', 'small'); },
  adversarial: (a, resumed) => {
    a.set('--max-steps', resumed ? 2 : 1); a.cap('--steps', 1, true); a.cap('--eval-steps', 1, true); a.cap('--val-images', 20, true);
    a.cap('--test-limit', 20, true); a.cap('--test-steps', 1, true); a.cap('--test-restarts', 1); a.cap('--gap-images', 10); a.cap('--train-per-class', 10);
  },
  robustness: (a) => { a.cap('--limit', 20, true); const s = a.get('--steps'); if (s) a.set('--steps', s.split(',').map((_, i) => i + 1).join(',')); a.cap('--restarts', 1); },
  semisup: (a, resumed) => { a.set('--steps', resumed ? 3 : 2); a.set('--eval-every', 2); },
  anomaly: (a) => {
    if (a.has('--finetune')) a.set('--epochs', 1);
    if (a.has('--segment')) a.cap('--overlays', 1, true);
    const d = a.get('--data');
    if (d === 'fmnist') a.set('--category', (a.get('--category') ?? 'all') === 'all' ? 5 : a.get('--category').split(',')[0]); // one normal class, not 5
    if (!d || d === 'synthetic') { a.cap('--train-size', 20, true); a.cap('--test-good', 10, true); a.cap('--test-defect', 10, true); }
  },
  hparams: (a) => {
    if (a.has('--collect') || a.has('--recommend')) return;
    a.set('--max-steps', 1); a.set('--test-limit', 20); a.first('--elr'); a.first('--momentum');
  },
  similarity: (a) => a.cap('--per-class-max', 20, true),
  export: (a) => { a.cap('--verify-images', 8, true); a.cap('--timing-runs', 2); },
  jadce: (a, _r, sub) => {
    a.cap('--slots', 20, true); a.set('--batch', Math.min(Number(a.get('--slots')), Number(a.get('--batch') ?? 250)));
    if (sub === 'train' || sub === 'sweep') { a.cap('--inner-steps', 1, true); a.cap('--outer-steps', 1, true); a.cap('--final-steps', 1, true); a.cap('--batch-train', 8, true); }
    if (sub === 'sweep' || sub === 'se') { a.first('--pilot-lengths'); a.first('--snrs'); a.cap('--se-samples', 1000, true); }
    if (sub === 'sweep') { a.first('--seeds'); a.set('--fixed-pilot-length', a.get('--pilot-lengths') ?? 40); a.set('--fixed-snr', a.get('--snrs') ?? 10); }
    if (sub === 'se') a.cap('--iterations', 5, true);
  },
};

function lastLine(s) { return s.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? ''; }
function errorLine(s) { const ls = s.split('\n').map((l) => l.trim()).filter(Boolean); return ls.filter((l) => /error|Error|refus|fail|cannot|not /.test(l)).pop() ?? ls.pop() ?? ''; }

const commands = docFiles().flatMap((f) => docCommands(f));
const docOutputs = new Set(commands.flatMap((c) => OUTPUT_FLAGS.flatMap((f) => { const i = c.argv.indexOf(f); return i >= 0 ? [c.argv[i + 1]] : []; })));
const tmp = mkdtempSync(join(tmpdir(), 'adaptune-smoke-'));
const userData = join(tmp, 'user-data');
mkdirSync(userData);
const produced = new Map(); // `${file}\0${doc path}` -> temp path, from commands that ran ok
const failedOut = new Set(); // `${file}\0${doc path}` of commands that did not run ok
const START = Date.now();
/** Files under docs/ and runs/ (and README.md) written since the run started: none should be. */
const written = () => ['README.md', 'docs', 'runs'].map((p) => join(ROOT, p)).filter(existsSync).flatMap(function walk(p) {
  return statSync(p).isDirectory() ? readdirSync(p).flatMap((n) => walk(join(p, n))) : statSync(p).mtimeMs >= START ? [p.slice(ROOT.length)] : [];
});
const rows = [];

/** Where a documented input path comes from: {path} or {needs: 'earlier' | 'user', why}. */
function input(file, p, isData) {
  for (const [k, v] of produced) {
    const [f, d] = k.split('\0');
    if (f === file && (p === d || p.startsWith(d + '/'))) return { path: v + p.slice(d.length) };
  }
  if (p === 'substituted') return { needs: 'earlier', why: 'a command substitution ($(...)) of earlier outputs' };
  if (existsSync(join(ROOT, p))) return { path: join(ROOT, p) };
  for (const k of failedOut) { const [f, d] = k.split('\0'); if (f === file && (p === d || p.startsWith(d + '/'))) return { needs: 'earlier', why: `${d}: its producing command failed or did not run` }; }
  if (p.startsWith('runs/') || [...docOutputs].some((o) => o === p || p.startsWith(o + '/'))) return { needs: 'earlier', why: `${p} is written by an earlier step not in this file` };
  return isData ? { user: true } : { needs: 'user', why: `${p}: the user's own file` };
}

async function plan(c, dir) {
  let argv = c.argv;
  const notes = [];
  if (c.kind === 'npm') {
    const [name, ...more] = argv;
    const m = /^node dist\/src\/cli\/main\.js (.*)$/.exec(SCRIPTS[name] ?? '');
    if (!m) return { skip: `npm script ${name} is not an adaptune command line` };
    argv = [...shellWords(m[1]), ...(more[0] === '--' ? more.slice(1) : more)];
    notes.push(`npm run ${name} → main.js ${shellWords(m[1]).join(' ')}`);
  }
  const kind = argv[0] === 'jadce' ? `jadce ${argv[1]}` : argv[0];
  const a = new Argv(argv);
  a.notes.push(...notes);
  const nnodes = Number(a.get('--nnodes') ?? 1);
  if (nnodes > 1) return { a, needs: 'machine', why: `--nnodes ${nnodes}: the other node(s) run elsewhere` };
  // inputs made by earlier steps or brought by the user
  const inputFlags = ['--run', '--resume', '--weights', '--from', '--collect', '--compare-to', '--model-file'];
  const ops = kind === 'report' ? a.a.slice(1).filter((w, i, all) => !w.startsWith('--') && !(i > 0 && all[i - 1] === '--out')).map((w) => a.a.indexOf(w))
    : kind === 'predict' || kind === 'convert' ? a.a.slice(1).map((w, i) => i + 1).filter((i) => !a.a[i].startsWith('--') && !a.a[i - 1].startsWith('--')) : [];
  const slots = [...inputFlags.map((f) => a.a.indexOf(f)).filter((i) => i >= 0).map((i) => i + 1), ...ops];
  for (const i of slots) {
    const p = a.a[i];
    if (/@[\d,\-]+$/.test(p) && kind === 'predict') { // an IDX file@indices
      const [f, idx] = [p.slice(0, p.lastIndexOf('@')), p.slice(p.lastIndexOf('@'))];
      if (!existsSync(join(ROOT, f)) && existsSync(join(FMNIST, f))) { a.a[i] = join(FMNIST, f) + idx; a.notes.push(`${f}→Debian's ${FMNIST}/${f}`); }
      continue;
    }
    if (/\.(png|jpe?g)$/i.test(p) && kind === 'predict' && !existsSync(join(ROOT, p))) {
      const path = await writeImage(join(userData, p.replace(/\.\w+$/, '')), /png$/i.test(p) ? 'gray-png' : 'rgb-jpg', 28, 28, [180, 160, 140], 20);
      a.a[i] = path; a.notes.push(`${p}→generated image`);
      continue;
    }
    const r = input(c.file, p, false);
    if (r.needs) return { a, needs: r.needs, why: r.why };
    if (r.path !== join(ROOT, p)) a.notes.push(`${p}→earlier output`);
    a.a[i] = r.path;
  }
  const data = a.get('--data');
  if (data?.startsWith('imagefolder:')) {
    const d = data.slice('imagefolder:'.length);
    if (!existsSync(join(ROOT, d))) {
      const tree = join(userData, d);
      const lpc = Number(a.get('--labels-per-class')) || 0;
      const per = Math.max(8, Math.ceil(lpc / 0.8) + 4); // enough for the labels asked for after the test split
      if (!existsSync(tree)) await writeClassTree(tree, per, { noise: 30 });
      a.set('--data', `imagefolder:${tree}`, `generated imagefolder (3 classes x ${readdirSync(join(tree, 'cat')).length})`);
    }
  }
  // outputs: into the temp folder
  const out = join(dir, 'out');
  const outputs = [];
  for (const f of ['--out', '--export', '--web', ...(a.has('--collect') ? ['--study'] : [])]) {
    const p = a.get(f);
    if (p === undefined) continue;
    const t = f === '--out' ? (/\.\w+$/.test(p) ? join(dir, basename(p)) : out) : join(dir, f.slice(2) + '-' + basename(p));
    const i = a.a.indexOf(f); a.a[i + 1] = t; a.notes.push(`${f} ${p}→tmp`);
    outputs.push([p, t]);
  }
  const grid = !(kind === 'hparams' && (a.has('--collect') || a.has('--recommend')));
  if (!a.has('--out') && !a.has('--resume') && WRITES_RUN.has(kind) && grid) { a.a.push('--out', out); a.notes.push('+--out tmp'); }
  if (kind === 'export' && !a.has('--out') && a.has('--run')) outputs.push([argv[argv.indexOf('--run') + 1] + '/model.onnx', join(a.get('--run'), 'model.onnx')]);
  if (kind === 'convert' && !a.has('--out')) return { a, needs: 'user', why: 'convert writes next to the user file' };
  // budget
  if (HAS_THREADS.has(kind)) a.set('--threads', 1);
  BUDGET[argv[0]]?.(a, a.has('--resume'), argv[1]);
  // absolute repository paths for the rest (configs, study files)
  a.a = a.a.map((w, i) => (i > 0 && !w.startsWith('-') && !w.startsWith('/') && /[/.]/.test(w) && existsSync(join(ROOT, w)) ? join(ROOT, w) : w));
  return { a, outputs };
}

let n = 0;
for (const c of commands) {
  const where = `${c.file.slice(ROOT.length)}:${c.line}`;
  if (ONLY && !where.includes(ONLY) && !c.text.includes(ONLY)) continue;
  const dir = join(tmp, String(++n).padStart(2, '0'));
  mkdirSync(dir, { recursive: true });
  let p;
  try { p = await plan(c, dir); } catch (e) { p = { skip: `the smoke script could not prepare it: ${e.message.split('\n')[0]}` }; }
  const row = { where, text: c.text, argv: p.a?.a ?? c.argv, overrides: p.a?.notes ?? [], status: '', exit: null, seconds: null, error: '' };
  if (p.skip) { row.status = 'skipped'; row.error = p.skip; }
  else if (p.needs) { row.status = { earlier: 'needs earlier output', user: 'needs user data', machine: 'needs a second machine' }[p.needs]; row.error = p.why; }
  else {
    process.stderr.write(`[${n}] ${where}: adaptune ${row.argv.join(' ')}\n`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [MAIN, ...row.argv], { cwd: dir, encoding: 'utf8', timeout: TIMEOUT * 1000, killSignal: 'SIGKILL', env: { ...process.env, ADAPTUNE_NUM_THREADS: '1' }, maxBuffer: 64 << 20 });
    row.seconds = (Date.now() - t0) / 1000;
    row.exit = r.status ?? (r.signal ? `killed (${r.signal}${r.error?.code === 'ETIMEDOUT' ? `, over ${TIMEOUT} s` : ''})` : null);
    row.status = r.status === 0 ? 'ok' : 'failed';
    row.error = r.status === 0 ? '' : errorLine(r.stderr || r.stdout || '');
    writeFileSync(join(dir, 'stdout.txt'), r.stdout ?? ''); writeFileSync(join(dir, 'stderr.txt'), r.stderr ?? '');
    for (const [d, t] of p.outputs) { if (r.status === 0) produced.set(`${c.file}\0${d}`, t); else failedOut.add(`${c.file}\0${d}`); }
  }
  if (p.outputs === undefined && p.a) for (const f of OUTPUT_FLAGS) { const v = c.argv[c.argv.indexOf(f) + 1]; if (c.argv.includes(f)) failedOut.add(`${c.file}\0${v}`); }
  process.stderr.write(`    -> ${row.status}${row.exit !== null ? ` exit ${row.exit}` : ''}${row.seconds !== null ? ` ${row.seconds.toFixed(1)} s` : ''}${row.error ? `: ${row.error}` : ''}\n`);
  rows.push(row);
}

const touched = written();
const count = (s) => rows.filter((r) => r.status === s).length;
const counts = { ok: count('ok'), failed: count('failed'), earlier: count('needs earlier output'), user: count('needs user data'), machine: count('needs a second machine'), skipped: count('skipped') };
const summary = `${rows.length} commands: ${counts.ok} ran ok, ${counts.failed} failed, ${counts.earlier} need earlier output, ${counts.user} need user data, ${counts.machine} need a second machine${counts.skipped ? `, ${counts.skipped} skipped` : ''}`;
process.stderr.write(`\n${summary}\nwritten under docs/, runs/, README.md during the run: ${touched.join(', ') || 'nothing'}\ntemp folder: ${tmp}\n`);
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ summary, counts, touched, rows }, null, 1));
if (MD) writeFileSync(resolve(MD), page(rows, counts, touched));
if (!args.includes('--keep')) rmSync(tmp, { recursive: true, force: true });
process.exitCode = counts.failed ? 1 : 0;

function page(rs, k, touched) {
  const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const head = [
    '# Every documented command, run at a tiny budget',
    '',
    `Generated by \`scripts/smoke-doc-commands.mjs\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (commit ${spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim()}).`,
    'The command lines are the ones test/cli/docs-commands.test.ts checks without running (test/cli/doc-commands.ts);',
    'here each one RAN through `node dist/src/cli/main.js` in a fresh temp folder, with its budget cut by its own flags',
    '(the rules are in the script\'s header comment). Exit 0 at a tiny budget says the command still runs end to end;',
    'it says nothing about the numbers on the results pages.',
    '',
    'Reproduce (a one-off, not part of `npm test`; the native addon built as for `npm test`; about the wall time below on a busy 2-core machine):',
    '',
    '```sh',
    'npx tsc -p tsconfig.json && ADAPTUNE_NUM_THREADS=1 nice -n 15 node scripts/smoke-doc-commands.mjs --md docs/testing/doc-commands-smoke.md',
    '```',
    '',
    `**${k.ok} ran ok, ${k.failed} failed, ${k.earlier} need earlier output, ${k.user} need user data, ${k.machine} need a second machine** (of ${rs.length}${k.skipped ? `; ${k.skipped} skipped` : ''}); ` +
      `total ${rs.reduce((s, r) => s + (r.seconds ?? 0), 0).toFixed(0)} s of runs. Files written under docs/, runs/ and README.md while it ran: ${touched.length ? touched.join(', ') + ' (each is either a hand edit made meanwhile or a bug in the script)' : 'none'}.`,
    '',
    '| where | command (as documented) | overrides | result | exit | s | last error line / why not run |',
    '|---|---|---|---|---|---|---|',
  ];
  const body = rs.map((r) => `| ${r.where} | \`${esc(r.text.replace(/^\S+=\S+\s+/, ''))}\` | ${esc(r.overrides.join('; '))} | ${r.status} | ${r.exit ?? ''} | ${r.seconds !== null ? r.seconds.toFixed(1) : ''} | ${esc(r.error.slice(0, 200))} |`);
  return [...head, ...body, ''].join('\n');
}

#!/usr/bin/env node
/**
 * Mutation testing for node's test runner (StrykerJS has no node:test runner): parses a TS source file with the
 * TypeScript compiler API, makes one small change at a time (arithmetic, comparison, logical and boolean
 * operators, numeric constants, Math.min/max, negations, if-conditions, statement deletion), transpiles just
 * that file into its place in a scratch copy of dist/ (a temp directory whose other entries link to the
 * checkout, so the checkout's dist/ is never touched and a tsc run meanwhile does not disturb it), runs the area's
 * compiled test files there, and records each mutant as killed (tests fail), timeout (counted as killed) or survived.
 *
 * Usage (after `npx tsc -p tsconfig.json`):
 *   node scripts/mutate.mjs <area> [--max N] [--seed S] [--file src/x.ts] [--lines 10-40] [--out DIR] [--tests prefix ...]
 *   node scripts/mutate.mjs --list                       areas, files and test files
 *   node scripts/mutate.mjs --apply src/x.ts FROM TO [FROM TO ...] [--tests prefix ...]   one hand-made mutant
 *     (each FROM replaced once; exit 0 when killed, 1 when it survives)
 * --max N samples N mutants per area (seeded, reproducible) when it has more; the report says so.
 * --rerun re-tests only the survivors of the area's last report (same --max/--seed), keeping its other results.
 * Reports: DIR/<area>.json and DIR/<area>.md (default DIR: mutation/, git-ignored).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** Areas: source files and the compiled test files that guard them (never the whole suite). */
export const AREAS = {
  'train-atomic': { src: ['src/train/atomic.ts', 'src/train/checkpoint.ts'], tests: ['test/train/atomicity', 'test/train/checkpoint'] },
  'train-resume': { src: ['src/train/checkpoints.ts', 'src/train/state.ts', 'src/train/lifecycle.ts', 'src/train/rundir.ts'], tests: ['test/train/resume', 'test/train/checkpoint', 'test/train/atomicity', 'test/train/lifecycle', 'test/unit/mutants-train'] },
  'core-io': { src: ['src/core/io/safetensors.ts'], tests: ['test/native/safetensors', 'test/unit/mutants-safetensors', 'test/train/atomicity'] },
  // the rest of src/core/io: the weights-only PyTorch reader (pickle VM, zip, legacy format), the strict JSON header, the file hash
  'core-io-pth': { src: ['src/core/io/pickle.ts', 'src/core/io/pth.ts', 'src/core/io/zip.ts', 'src/core/io/json-header.ts', 'src/core/io/hash.ts'], tests: ['test/native/pth', 'test/native/safetensors', 'test/reliability/sha256', 'test/unit/mutants-safetensors', 'test/unit/mutants-pth', 'test/unit/mutants-pickle'] },
  'core-optim': { src: ['src/core/optim/sgd.ts', 'src/core/optim/adam.ts', 'src/core/optim/lr_scheduler.ts', 'src/core/optim/one_cycle.ts', 'src/core/optim/sequential.ts', 'src/core/optim/optimizer.ts'], tests: ['test/native/optim-', 'test/unit/mutants-optim'] },
  // the method areas use their fast test files (the end-to-end training tests take minutes each; --tests adds them)
  'adversarial': { src: ['src/methods/adversarial/schedules.ts', 'src/methods/adversarial/attacks.ts'], tests: ['test/methods/adversarial.test', 'test/unit/mutants-adversarial'] },
  'anomaly': { src: ['src/methods/anomaly/gaussian.ts', 'src/methods/anomaly/segment.ts', 'src/methods/anomaly/stats.ts'], tests: ['test/methods/anomaly/stats', 'test/methods/anomaly/detector', 'test/unit/mutants-anomaly'] },
  'semisup': { src: ['src/methods/semisup/losses.ts', 'src/methods/semisup/ema.ts', 'src/methods/semisup/table.ts'], tests: ['test/methods/semisup/losses', 'test/unit/mutants-semisup'] },
  'finetune': { src: ['src/methods/finetune/losses.ts', 'src/methods/finetune/emd.ts', 'src/methods/finetune/similarity.ts'], tests: ['test/methods/finetune.test', 'test/methods/finetune-emd', 'test/methods/finetune-config', 'test/unit/mutants-finetune'] },
  'adafilter': { src: ['src/methods/adafilter/gate.ts', 'src/methods/adafilter/gated.ts', 'src/methods/adafilter/stats.ts'], tests: ['test/methods/adafilter/adafilter.test', 'test/unit/mutants-adafilter'] },
  'jadce': { src: ['src/methods/jadce/ista.ts', 'src/methods/jadce/amp.ts', 'src/methods/jadce/metrics.ts', 'src/methods/jadce/complex.ts'], tests: ['test/methods/jadce/jadce.test', 'test/methods/jadce/jadce-se', 'test/unit/mutants-jadce'] },
  // the methods' option layer (config.ts: defaults, validation, TrainConfig layering; options.ts: the one-definition option
  // tables behind flags and help) with fast tests only; index.ts and run.ts are guarded by the end-to-end training tests
  'methods-rest': { src: ['adafilter', 'adversarial', 'anomaly', 'finetune', 'jadce', 'semisup'].flatMap((m) => [`src/methods/${m}/config.ts`, `src/methods/${m}/options.ts`]), tests: ['test/unit/options.test', 'test/unit/cli-train-args', 'test/methods/finetune-config', 'test/methods/anomaly/cli', 'test/unit/mutants-methods-config'] },
  // the methods' index.ts (tasks: losses, gates, parameter groups) with their fastest tests; the end-to-end training test
  // semisup/task (about 4 min under load) is left out; adversarial-task (a few seconds on an idle machine) is in
  'methods-index': { src: ['adafilter', 'adversarial', 'finetune', 'semisup'].map((m) => `src/methods/${m}/index.ts`), tests: ['test/methods/adafilter/adafilter.test', 'test/methods/finetune.test', 'test/methods/semisup/losses', 'test/methods/adversarial-task', 'test/unit/mutants-adafilter', 'test/unit/mutants-adversarial', 'test/unit/mutants-finetune', 'test/unit/mutants-semisup'] },
  // the rest of each method folder (run.ts, run-*.ts, training loops, data assembly, reports, plots, study code): one
  // area per method; `byFile` runs only the named test files for a mutant of that file (the area's tests are their
  // union). The tests are the fastest files that exercise each source, end-to-end runs with tiny budgets included.
  'finetune-run': { src: ['grid', 'pretrain', 'recipes', 'run-similarity', 'run', 'study-options', 'study-plot', 'study'].map((f) => `src/methods/finetune/${f}.ts`),
    byFile: { grid: ['test/unit/cli-hparams.test'], 'run-similarity': ['test/unit/cli-hparams.test'], study: ['test/unit/cli-hparams-study'], 'study-plot': ['test/unit/cli-hparams-study'],
      'study-options': ['test/unit/cli-hparams'], run: ['test/methods/finetune-run', 'test/reliability/config', 'test/reliability/cli-flags', 'test/unit/mutants-finetune-run'], pretrain: ['test/cli/commands', 'test/reliability/cli-flags'], recipes: ['test/unit/mutants-finetune-run'] } },
  'adafilter-run': { src: ['run', 'wrap'].map((f) => `src/methods/adafilter/${f}.ts`),
    byFile: { run: ['test/methods/own-data', 'test/unit/cli-train-args', 'test/unit/mutants-adafilter'], wrap: ['test/methods/adafilter/', 'test/unit/mutants-adafilter'] } }, // + unit/mutants-adafilter-run (prefix of mutants-adafilter)
  'adversarial-run': { src: ['cost', 'defaults', 'robustness', 'run-robustness', 'run'].map((f) => `src/methods/adversarial/${f}.ts`),
    byFile: { cost: ['test/methods/adversarial/cli', 'test/unit/mutants-adversarial-run'], defaults: ['test/methods/adversarial/cli', 'test/unit/mutants-methods-config'], robustness: ['test/methods/adversarial.test', 'test/methods/adversarial/cli', 'test/unit/mutants-adversarial-run'],
      'run-robustness': ['test/methods/adversarial/cli'], run: ['test/methods/adversarial/cli'] } },
  'semisup-run': { src: ['algorithms', 'evaluate', 'run', 'source', 'views'].map((f) => `src/methods/semisup/${f}.ts`),
    byFile: { algorithms: ['test/methods/semisup/losses', 'test/unit/mutants-semisup'], run: ['test/methods/semisup/cli'],
      // the tiny FixMatch + AKC + ARC run of semisup/cli, the SemisupSource test of semisup/task (its other tests train for
      // minutes) and the SemisupSource unit tests (every test name in these files that the pattern selects)
      ...Object.fromEntries(['evaluate', 'source', 'views'].map((f) => [f, ['test/methods/semisup/cli', 'test/methods/semisup/task', 'test/unit/mutants-semisup-run', '--test-name-pattern=SemisupSource|tiny run|parseSemisup']])) } },
  'anomaly-run': { src: ['augment', 'defaults', 'detector', 'evaluate', 'finetune', 'metrics', 'overlay', 'run'].map((f) => `src/methods/anomaly/${f}.ts`),
    byFile: { augment: ['test/methods/anomaly/data', 'test/unit/mutants-anomaly-run'], defaults: ['test/methods/anomaly/cli'], detector: ['test/methods/anomaly/detector', 'test/unit/mutants-anomaly'], evaluate: ['test/methods/anomaly/cli'],
      finetune: ['test/methods/anomaly/finetune'], metrics: ['test/methods/anomaly/metrics', 'test/methods/anomaly/segment'], overlay: ['test/methods/anomaly/segment', 'test/unit/mutants-anomaly-run'], run: ['test/methods/anomaly/cli'] } },
  'jadce-run': { src: ['experiment', 'lista', 'methods', 'network', 'plot', 'reduce', 'run', 'se', 'secheck', 'simulate', 'sweep', 'train'].map((f) => `src/methods/jadce/${f}.ts`),
    byFile: { se: ['test/methods/jadce/jadce-se', 'test/unit/mutants-jadce'], secheck: ['test/methods/jadce/jadce-se'],
      ...Object.fromEntries(['experiment', 'lista', 'network'].map((f) => [f, ['test/methods/jadce/jadce-train']])), ...Object.fromEntries(['methods', 'train'].map((f) => [f, ['test/methods/jadce/jadce-train', 'test/unit/mutants-jadce-run']])),
      reduce: ['test/methods/jadce/jadce.test', 'test/unit/mutants-jadce'], simulate: ['test/methods/jadce/jadce.test', 'test/methods/jadce/jadce-train'],
      ...Object.fromEntries(['run', 'sweep', 'plot'].map((f) => [f, ['test/methods/jadce/jadce-run', 'test/unit/mutants-jadce-run']])) } },
};

const distOf = (src) => join('dist', src.replace(/\.ts$/, '.js'));
function walk(dir, out = []) {
  for (const e of (existsSync(dir) ? ts.sys.readDirectory(dir, ['.js']) : [])) if (e.endsWith('.test.js')) out.push(relative('.', e));
  return out;
}
// an entry starting with '--' (e.g. --test-name-pattern=...) is passed to node's runner before the files
const testFiles = (prefixes) => [...prefixes.filter((p) => p.startsWith('--')), ...walk('dist/test').filter((f) => prefixes.some((p) => !p.startsWith('--') && f.startsWith(join('dist', p)))).sort()];
/** The test prefixes guarding one source of an area: its `byFile` entry (keyed by the file's base name), else the area's tests, else the union of byFile. */
const baseName = (src) => src.replace(/^.*\//, '').replace(/\.ts$/, '');
const testsFor = (spec, src) => spec.byFile?.[baseName(src)] ?? spec.tests ?? Object.values(spec.byFile ?? {}).flat();
const areaTests = (spec) => spec.tests ?? [...new Set(Object.values(spec.byFile ?? {}).flat())];

/** Operator swaps (binary). */
const BIN = {
  [ts.SyntaxKind.PlusToken]: ['-'], [ts.SyntaxKind.MinusToken]: ['+'], [ts.SyntaxKind.AsteriskToken]: ['/'], [ts.SyntaxKind.SlashToken]: ['*'],
  [ts.SyntaxKind.LessThanToken]: ['<=', '>='], [ts.SyntaxKind.LessThanEqualsToken]: ['<', '>'], [ts.SyntaxKind.GreaterThanToken]: ['>=', '<='],
  [ts.SyntaxKind.GreaterThanEqualsToken]: ['>', '<'], [ts.SyntaxKind.EqualsEqualsEqualsToken]: ['!=='], [ts.SyntaxKind.ExclamationEqualsEqualsToken]: ['==='],
  [ts.SyntaxKind.AmpersandAmpersandToken]: ['||'], [ts.SyntaxKind.BarBarToken]: ['&&'], [ts.SyntaxKind.PercentToken]: ['*'],
  [ts.SyntaxKind.PlusEqualsToken]: ['-='], [ts.SyntaxKind.MinusEqualsToken]: ['+='], [ts.SyntaxKind.AsteriskAsteriskToken]: ['*'],
};

/** True inside code whose mutation only changes an error message or a type. */
function inert(node) {
  for (let p = node; p; p = p.parent) {
    if (ts.isThrowStatement(p) || ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isTypeNode(p) || ts.isInterfaceDeclaration(p) || ts.isTypeAliasDeclaration(p)) return true;
    if (ts.isTemplateExpression(p) || ts.isTemplateSpan(p)) return true;
    if (ts.isCallExpression(p) && ts.isIdentifier(p.expression) && ['fail', 'bad', 'warn'].includes(p.expression.text) && p !== node) return true;
    if (ts.isNewExpression(p) && p.expression.getText().endsWith('Error')) return true;
    if (ts.isCallExpression(p) && p.expression.getText().startsWith('console.')) return true;
  }
  return false;
}

/** All mutants of a source text: { start, end, text, op, line, orig }. */
export function mutantsOf(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out = [];
  const add = (node, start, end, repl, op) => {
    const { line } = sf.getLineAndCharacterOfPosition(start);
    out.push({ start, end, text: repl, op, line: line + 1, orig: text.slice(start, end) });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isTypeNode(node)) return;
    if (!inert(node)) {
      if (ts.isBinaryExpression(node) && BIN[node.operatorToken.kind]) {
        for (const r of BIN[node.operatorToken.kind]) add(node, node.operatorToken.getStart(sf), node.operatorToken.end, r, `binary ${node.operatorToken.getText(sf)} -> ${r}`);
      } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) {
        add(node, node.getStart(sf), node.end, `(${node.left.getText(sf)})`, 'drop ?? default');
      } else if (ts.isNumericLiteral(node)) {
        const v = Number(node.text);
        const r = v === 0 ? '1' : v === 1 ? '0' : String(v + 1);
        add(node, node.getStart(sf), node.end, r, `constant ${node.text} -> ${r}`);
      } else if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword) {
        const r = node.kind === ts.SyntaxKind.TrueKeyword ? 'false' : 'true';
        add(node, node.getStart(sf), node.end, r, `boolean -> ${r}`);
      } else if (ts.isPrefixUnaryExpression(node) && (node.operator === ts.SyntaxKind.ExclamationToken || node.operator === ts.SyntaxKind.MinusToken)) {
        add(node, node.getStart(sf), node.operand.getStart(sf), '', `drop unary ${node.operator === ts.SyntaxKind.MinusToken ? '-' : '!'}`);
      } else if (ts.isPropertyAccessExpression(node) && node.expression.getText(sf) === 'Math' && ['min', 'max'].includes(node.name.text)) {
        const r = node.name.text === 'min' ? 'max' : 'min';
        add(node, node.name.getStart(sf), node.name.end, r, `Math.${node.name.text} -> Math.${r}`);
      } else if (ts.isIfStatement(node)) {
        add(node, node.expression.getStart(sf), node.expression.end, 'false', 'if condition -> false');
      } else if (ts.isExpressionStatement(node) && !ts.isStringLiteral(node.expression)) {
        add(node, node.getStart(sf), node.end, ';', 'delete statement');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const apply = (text, m) => text.slice(0, m.start) + m.text + text.slice(m.end);
const transpile = (src, text) => ts.transpileModule(text, { fileName: src, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false } }).outputText;

/** A scratch root: dist/ copied, every other top-level entry of the checkout linked. Removed on exit. */
let scratch = null;
function scratchRoot() {
  if (scratch) return scratch;
  scratch = mkdtempSync(join(tmpdir(), 'adaptune-mutate-'));
  process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  for (const e of readdirSync('.')) {
    if (e === 'dist' || e === '.git' || e === 'mutation') continue;
    symlinkSync(resolve(e), join(scratch, e));
  }
  cpSync('dist', join(scratch, 'dist'), { recursive: true });
  return scratch;
}

function runTests(files, timeoutS) {
  const t0 = Date.now();
  // detached: the runner leads its own process group, so that on a timeout its per-file test processes (a mutant
  // can make one loop forever) are killed with it instead of running on as orphans
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=dot', ...files], { cwd: scratchRoot(), encoding: 'utf8', timeout: timeoutS * 1000, killSignal: 'SIGKILL', detached: true, env: { ...process.env, ADAPTUNE_NUM_THREADS: process.env.ADAPTUNE_NUM_THREADS ?? '1' } });
  const seconds = (Date.now() - t0) / 1000;
  try { if (r.pid) process.kill(-r.pid, 'SIGKILL'); } catch { /* the group has already exited */ }
  if (r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGKILL') return { status: 'timeout', seconds };
  return { status: r.status === 0 ? 'survived' : 'killed', seconds, tail: `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => /not ok|Error|assert/.test(l)).slice(0, 3).join(' | ') };
}

/** Seeded shuffle (mulberry32). */
function sample(arr, n, seed) {
  let s = seed >>> 0;
  const rnd = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const a = arr.map((x, i) => [rnd(), i, x]).sort((p, q) => p[0] - q[0]).slice(0, n).sort((p, q) => p[1] - q[1]);
  return a.map((e) => e[2]);
}

/** Writes the transpiled text of src into the scratch copy of dist. */
function install(src, text) { writeFileSync(join(scratchRoot(), distOf(src)), transpile(src, text)); }

function main() {
  const args = process.argv.slice(2);
  const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
  if (args[0] === '--list') {
    for (const [a, v] of Object.entries(AREAS)) {
      const n = v.src.reduce((k, f) => k + mutantsOf(f, readFileSync(f, 'utf8')).length, 0);
      console.log(`${a}: ${n} mutants\n  src: ${v.src.join(' ')}\n  tests: ${testFiles(areaTests(v)).join(' ')}`);
      if (v.byFile) for (const f of v.src) console.log(`    ${f}: ${testFiles(testsFor(v, f)).join(' ') || '(no compiled test file)'}`);
    }
    return 0;
  }
  if (args[0] === '--apply') {
    const src = args[1];
    const ti = args.indexOf('--tests');
    const pairs = args.slice(2, ti < 0 ? undefined : ti);
    const tests = ti < 0 ? [] : args.slice(ti + 1);
    if (!src || pairs.length < 2 || pairs.length % 2) { console.error('mutate: --apply src/x.ts FROM TO [FROM TO ...] [--tests prefix ...]'); return 2; }
    let text = readFileSync(src, 'utf8');
    for (let i = 0; i < pairs.length; i += 2) {
      if (!text.includes(pairs[i])) { console.error(`mutate: '${pairs[i]}' not found in ${src}`); return 2; }
      text = text.replace(pairs[i], pairs[i + 1]);
    }
    const area = Object.values(AREAS).find((a) => a.src.includes(src));
    const files = testFiles(tests.length ? tests : area ? testsFor(area, src) : []);
    if (!files.filter((f) => !f.startsWith('--')).length) { console.error(`mutate: no compiled test files for ${src} (give --tests, or run npx tsc -p tsconfig.json)`); return 2; }
    {
      install(src, text);
      const r = runTests(files, 600);
      console.log(`${src}: ${pairs.filter((_, i) => i % 2 === 0).map((f, i) => `'${f}' -> '${pairs[2 * i + 1]}'`).join(', ')}: ${r.status.toUpperCase()} (${r.seconds.toFixed(1)} s; tests: ${files.join(' ')})${r.tail ? `\n  ${r.tail}` : ''}`);
      return r.status === 'survived' ? 1 : 0;
    }
  }
  const area = args[0];
  const spec = AREAS[area];
  if (!spec) { console.error(`mutate: unknown area '${area}' (known: ${Object.keys(AREAS).join(', ')})`); return 2; }
  const max = Number(opt('--max', '0'));
  const seed = Number(opt('--seed', '1'));
  const only = opt('--file', null);
  const lines = opt('--lines', null)?.split('-').map(Number);
  const outDir = opt('--out', 'mutation');
  const ti = args.indexOf('--tests');
  // the tests of each source (byFile), and their union for the baseline; --tests overrides both
  const filesOf = (src) => testFiles(ti >= 0 ? args.slice(ti + 1) : testsFor(spec, src));
  for (const src of spec.src) if (!filesOf(src).filter((f) => !f.startsWith('--')).length) { console.error(`mutate: no compiled test files for ${src} (run npx tsc -p tsconfig.json)`); return 2; }
  let all = [];
  for (const src of spec.src.filter((s) => !only || s === only)) {
    const text = readFileSync(src, 'utf8');
    all.push(...mutantsOf(src, text).filter((m) => !lines || (m.line >= lines[0] && m.line <= lines[1])).map((m) => ({ ...m, src })));
  }
  const total = all.length;
  if (max > 0 && all.length > max) all = sample(all, max, seed);
  // --rerun: re-test only the survivors of the area's last report (after adding tests), keeping its other results;
  // the same --max/--seed on unchanged sources gives the same sample in the same order, so results pair by index
  const prev = args.includes('--rerun') && existsSync(join(outDir, `${area}.json`)) ? JSON.parse(readFileSync(join(outDir, `${area}.json`), 'utf8')) : null;
  const kept = [];
  if (prev) {
    const same = prev.results.length === all.length && prev.results.every((r, i) => r.src === all[i].src && r.line === all[i].line && r.op === all[i].op);
    if (!same) { console.error(`mutate: --rerun needs the sample of ${join(outDir, `${area}.json`)} (same --max, --seed and sources)`); return 2; }
    kept.push(...prev.results);
    all = all.filter((_, i) => prev.results[i].status === 'survived');
  }
  const files = [...new Set(all.flatMap((m) => filesOf(m.src)))].sort();
  const results = [];
  {
    // baseline: the transpiled (unmutated) sources must pass
    for (const src of new Set(all.map((m) => m.src))) install(src, readFileSync(src, 'utf8'));
    // (each distinct set of test files once; the timeout is 3 times the slowest set)
    const sets = [...new Map(all.map((m) => [filesOf(m.src).join(' '), filesOf(m.src)])).values()];
    let slowest = 0;
    for (const set of sets) {
      const base = runTests(set, 900);
      if (base.status !== 'survived') { console.error(`mutate: the unmutated tests fail (${base.status}): ${set.join(' ')}: ${base.tail}`); return 2; }
      slowest = Math.max(slowest, base.seconds);
    }
    const limit = Math.ceil(Math.max(30, slowest * 3));
    console.log(`${area}: ${all.length} of ${total} mutants; tests ${files.join(' ')}; baseline ${slowest.toFixed(1)} s (slowest set), timeout ${limit} s`);
    for (const m of all) {
      const text = readFileSync(m.src, 'utf8');
      install(m.src, apply(text, m));
      const r = runTests(filesOf(m.src), limit);
      install(m.src, text);
      results.push({ src: m.src, line: m.line, op: m.op, orig: m.orig, repl: m.text, status: r.status, seconds: r.seconds });
      console.log(`  ${r.status.padEnd(8)} ${m.src}:${m.line} ${m.op}  [${m.orig.slice(0, 60).replace(/\s+/g, ' ')}]`);
    }
  }
  if (prev) { // back into the sample's order
    const again = [...results];
    results.splice(0, results.length, ...kept.map((r) => (r.status === 'survived' ? again.shift() : r)));
  }
  const killed = results.filter((r) => r.status !== 'survived').length;
  // after --rerun the report lists the earlier run's tests too (its survivors had survived them)
  const summary = { area, tests: prev ? [...new Set([...prev.tests, ...files])] : files, generated: total, run: results.length, sampled: results.length < total, seed, rerun: !!prev, killed, survived: results.length - killed, score: results.length ? killed / results.length : null, results };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${area}.json`), JSON.stringify(summary, null, 1) + '\n');
  const md = [`# ${area}: ${killed}/${results.length} killed (${(100 * (summary.score ?? 0)).toFixed(0)}%)${summary.sampled ? `, ${results.length} sampled of ${total} (seed ${seed})` : ''}${prev ? '; survivors re-tested after new tests (--rerun)' : ''}`, '',
    `tests: ${files.join(', ')}`, ...(spec.byFile && ti < 0 ? ['', 'tests per source (byFile):', '', ...[...new Set(results.map((r) => r.src))].map((f) => `- ${f}: ${filesOf(f).join(', ')}`)] : []), '', '| status | where | operator | original |', '|---|---|---|---|',
    ...results.map((r) => `| ${r.status} | ${r.src}:${r.line} | ${r.op} | \`${r.orig.slice(0, 50).replace(/\s+/g, ' ').replace(/\|/g, '\\|')}\` |`)].join('\n');
  writeFileSync(join(outDir, `${area}.md`), md + '\n');
  console.log(`${area}: killed ${killed}/${results.length}${summary.sampled ? ` (sampled from ${total})` : ''}; report ${join(outDir, `${area}.md`)}`);
  return 0;
}
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main();

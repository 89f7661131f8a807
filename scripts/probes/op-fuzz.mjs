#!/usr/bin/env node
// Op-table fuzz (reliability probe F4): generates bad and odd calls for every row
// of the op table (native/gen/ops/*.mjs) -- wrong ranks, empty or short lists,
// zero-size and integer/bool/complex tensors, negative and huge integers, NaN,
// unknown strings, disposed tensors -- and runs them in child processes, so a
// crash (segfault, abort) is counted, not fatal. A call is "clean" when it
// returns or throws a JS error; "failed" when the process dies or hangs.
// Usage: node scripts/probes/op-fuzz.mjs [callsPerOp=40] [seed=1] [onlyOp]
// Prints: op-fuzz ops=N tried=N clean=N failed=N (crashes=N hangs=N), and each failure.
// Needs the compiled dist/ (npx tsc -p tsconfig.json) and the addon.
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, openSync, writeSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function loadOps(only) {
  const dir = join(root, 'native', 'gen', 'ops');
  const ops = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.mjs')).sort()) {
    const rows = (await import(pathToFileURL(join(dir, f)).href)).default;
    for (const [name, args, , , flags = ''] of rows) {
      if (only && name !== only) continue;
      const parsed = args.trim() ? args.split(/,(?![^[]*\])/).map((raw) => {
        const m = raw.trim().match(/^(\S+)\s+(\w+)(?:\s*=\s*(.+))?$/);
        return { type: m[1], name: m[2], hasDefault: m[3] !== undefined };
      }) : [];
      ops.push({ name, args: parsed, fn: !flags.includes('M') });
    }
  }
  return ops;
}

// Deterministic generator of call i of op k (mulberry32).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SHAPES = [[], [0], [1], [3], [2, 3], [3, 3], [2, 0, 3], [2, 3, 4], [1, 2, 3, 4], [2, 3, 4, 5], [1, 1, 2, 2, 2], [4, 4]];
const DTYPES = ['float32', 'float32', 'float32', 'float64', 'int64', 'int32', 'uint8', 'bool', 'complex64', 'float16'];
const INTS = [0, 1, 2, 3, -1, -2, 4, 7, -7, 2 ** 40, -(2 ** 40), 2 ** 62, 1.5];
const LISTS = [[], [1], [2], [-1], [0], [2, 2], [1, 1, 1, 1], [3, 3, 3], [1, 2, 3, 4, 5, 6], [-1, -1], [2 ** 40, 2], 3, [1, 0]];
const NUMS = [0, 1, -1, 2.5, NaN, Infinity, -Infinity, 1e30, true, -0.5];
const STRS = ['mean', 'sum', 'none', 'bogus', '', 'cpu', 'cuda:9', 'reflect', 'nearest', 'ij', 'L'];

export function makeCall(torch, op, seed) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  // Half the calls are "coherent": every tensor has one shape and float32, so that
  // shape checks pass and the call reaches deeper (where out-of-bounds reads hide).
  const coherent = r() < 0.5 ? pick(SHAPES.filter((s) => s.length)) : null;
  const tensor = () => {
    const shape = coherent ?? pick(SHAPES);
    const dtype = coherent ? 'float32' : pick(DTYPES);
    let t = torch.randn(shape).mul(3);
    if (dtype !== 'float32') t = torch.toOpts(t, dtype);
    if (r() < 0.03) t.dispose();
    return t;
  };
  const wrong = () => pick(['x', {}, null, [1, 'a'], -1, undefined]);
  const value = (a) => {
    if (r() < 0.05) return wrong();
    if (a.hasDefault && r() < 0.3) return undefined;
    switch (a.type) {
      case 'T': return tensor();
      case 'T?': return r() < 0.3 ? null : tensor();
      case 'T[]': return Array.from({ length: pick([0, 1, 1, 2, 2, 3]) }, tensor);
      case 'TS': return r() < 0.3 ? pick(NUMS) : tensor();
      case 'S': case 'S?': return pick(NUMS);
      case 'i': case 'i?': return pick(INTS);
      case 'i[]': case 'i[]?': return pick(LISTS);
      case 'f': case 'f?': return pick(NUMS.filter((x) => typeof x === 'number'));
      case 'b': case 'b?': return r() < 0.5;
      case 'str': case 'str?': case 'red': return pick(STRS);
      case 'dtype': case 'dtype?': return pick([...DTYPES, 'bogus']);
      case 'device?': return pick([null, 'cpu', 'bogus', 'cuda:7']);
      case 'gen?': return null;
      default: return undefined;
    }
  };
  const args = op.args.map(value);
  // trailing undefineds stand for defaults
  while (args.length && args[args.length - 1] === undefined && op.args[args.length - 1].hasDefault) args.pop();
  return args;
}

export function describe(args) {
  return args.map((v) => {
    if (v && typeof v === 'object' && 'isDisposed' in v) return v.isDisposed ? 'disposed' : `${v.dtype}[${v.shape}]`;
    if (Array.isArray(v)) return `[${describe(v).join(',')}]`;
    return typeof v === 'string' ? `'${v}'` : String(v);
  });
}

export function invoke(torch, op, args) {
  if (op.fn) return torch[op.name](...args);
  const [self, ...rest] = args;
  return self[op.name](...rest);
}

// Child: runs calls [start, end) of the plan, writing each index before the call.
async function child(planFile, start, end, progressFile) {
  process.env.ADAPTUNE_NUM_THREADS ??= '1';
  const { torch } = await import(pathToFileURL(join(root, 'dist', 'src', 'index.js')).href);
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));
  const ops = await loadOps();
  const byName = new Map(ops.map((o) => [o.name, o]));
  const fd = openSync(progressFile, 'a');
  for (let i = start; i < end; i++) {
    const [name, seed] = plan[i];
    writeSync(fd, `${i}\n`);
    const op = byName.get(name);
    try {
      torch.tidy(() => {
        const args = makeCall(torch, op, seed);
        const out = invoke(torch, op, args);
        if (out && typeof out.then === 'function') out.catch(() => {});
        return undefined;
      });
    } catch { /* a thrown error is a clean outcome */ }
  }
  writeSync(fd, 'done\n');
}

// Runs the plan in children of at most `chunk` calls each (a timeout counts the
// call in flight as a hang); after a crash the next child starts past the crashing call.
export function runPlan(plan, { chunk = 400, timeoutMs = 120_000, log = () => {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'op-fuzz-'));
  const planFile = join(dir, 'plan.json');
  const progress = join(dir, 'progress');
  writeFileSync(planFile, JSON.stringify(plan));
  const failures = [];
  let start = 0;
  try {
    while (start < plan.length) {
      writeFileSync(progress, '');
      const end = Math.min(plan.length, start + chunk);
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', planFile, String(start), String(end), progress],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs, env: { ...process.env, ADAPTUNE_NUM_THREADS: '1' } });
      const lines = readFileSync(progress, 'utf8').trim().split('\n').filter(Boolean);
      if (lines[lines.length - 1] === 'done' && r.status === 0) { start = end; continue; }
      const last = lines.length && lines[lines.length - 1] !== 'done' ? Number(lines[lines.length - 1]) : start;
      const how = r.error?.code === 'ETIMEDOUT' ? 'hang' : (r.signal ? `signal ${r.signal}` : `exit ${r.status}`);
      const [name, seed] = plan[last];
      const f = { index: last, op: name, seed, how, stderr: String(r.stderr ?? '').trim().split('\n').filter((l) => !/^W\d{8}|^WARNING: Logging/.test(l)).slice(-4).join(' | ').slice(0, 400) };
      failures.push(f);
      log(f);
      start = last + 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { tried: plan.length, failed: failures.length, clean: plan.length - failures.length, failures };
}

export async function buildPlan(callsPerOp, seed, only) {
  const ops = await loadOps(only);
  const plan = [];
  for (let k = 0; k < ops.length; k++) {
    for (let c = 0; c < callsPerOp; c++) plan.push([ops[k].name, (seed * 1_000_003 + k * 7919 + c * 104_729) >>> 0]);
  }
  return { ops, plan };
}

if (process.argv[2] === '--replay') {
  // node scripts/probes/op-fuzz.mjs --replay OP SEED: prints the call, then runs it here.
  const { torch } = await import(pathToFileURL(join(root, 'dist', 'src', 'index.js')).href);
  const op = (await loadOps(process.argv[3]))[0];
  const args = makeCall(torch, op, Number(process.argv[4]));
  console.log(`${op.name}(${describe(args).join(', ')})`);
  const t0 = Date.now();
  try { invoke(torch, op, args); console.log(`returned in ${Date.now() - t0} ms`); } catch (e) { console.log(`threw in ${Date.now() - t0} ms: ${e.message.slice(0, 300)}`); }
} else if (process.argv[2] === '--child') {
  await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]), process.argv[6]);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const calls = Number(process.argv[2] ?? 40);
  const seed = Number(process.argv[3] ?? 1);
  const { ops, plan } = await buildPlan(calls, seed, process.argv[4]);
  const t0 = Date.now();
  const res = runPlan(plan, { log: (f) => console.log(`FAIL ${f.how} op=${f.op} seed=${f.seed} ${f.stderr}`) });
  const crashes = res.failures.filter((f) => f.how !== 'hang').length;
  console.log(`op-fuzz ops=${ops.length} calls_per_op=${calls} seed=${seed} tried=${res.tried} clean=${res.clean} failed=${res.failed} ` +
    `(crashes=${crashes} hangs=${res.failed - crashes}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exitCode = res.failed ? 1 : 0;
}

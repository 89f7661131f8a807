#!/usr/bin/env node
// Malformed-safetensors corpus and mutation fuzz (reliability probe, F1-F3): a corpus of hand-made bad files
// (each must be refused with a SafetensorsError naming the file), then N random mutations of valid files (byte
// flips, truncations, insertions, header-length edits), each loaded in a child process so a crash or a hang is
// counted. A mutation is clean when it loads or throws a SafetensorsError naming the file; failed when it throws
// anything else, crashes or hangs.
// Usage: node scripts/probes/safetensors-fuzz.mjs [mutations=5000] [seed=1]
// Prints: safetensors-corpus tried/clean/failed, safetensors-mutation tried/clean/failed (loaded, refused).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const index = pathToFileURL(join(root, 'dist', 'src', 'index.js')).href;

function classify(io, file) {
  try {
    const { tensors } = io.loadSafetensors(file);
    for (const t of tensors.values()) t.dispose();
    return 'loaded';
  } catch (e) {
    if (e?.name === 'SafetensorsError' && e.message.startsWith(file + ':') && e.message.split(file).length === 2) return 'refused';
    return `untyped ${e?.name}: ${String(e?.message).slice(0, 120)}`;
  }
}

if (process.argv[2] === '--child') {
  // child: classify files start..end of the list, printing one line per file
  const { io } = await import(index);
  const files = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  for (const f of files) process.stdout.write(`${classify(io, f)}\n`);
} else {
  const mutations = Number(process.argv[2] ?? 5000);
  let seed = Number(process.argv[3] ?? 1) >>> 0;
  const rand = (n) => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed % n; };
  const t = mkdtempSync(join(tmpdir(), 'st-fuzz-'));
  const { io, torch } = await import(index);
  const enc = (h, data = Buffer.alloc(0)) => { const hb = Buffer.from(typeof h === 'string' ? h : JSON.stringify(h)); const l = Buffer.alloc(8); l.writeBigUInt64LE(BigInt(hb.length)); return Buffer.concat([l, hb, data]); };
  const e = (dtype, shape, a, b) => ({ dtype, shape, data_offsets: [a, b] });
  const CORPUS = {
    'empty file': Buffer.alloc(0), '7 bytes': Buffer.alloc(7), 'length past the end': (() => { const l = Buffer.alloc(8); l.writeBigUInt64LE(100n); return l; })(),
    'length 2^63': (() => { const l = Buffer.alloc(16); l.writeBigUInt64LE(2n ** 63n); return l; })(), 'length over 100 MB': (() => { const l = Buffer.alloc(16); l.writeBigUInt64LE(100_000_001n); return l; })(),
    'BOM': enc('\ufeff{}'), 'not JSON': enc('{"a":'), 'array': enc('[1]'), 'string': enc('"x"'), 'invalid UTF-8': Buffer.concat([enc('{"\u00e9":1}').subarray(0, 11), Buffer.from([0xff, 0xfe]), Buffer.from('":1}')]),
    'duplicate name': enc('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)),
    'duplicate key in entry': enc('{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)),
    'unknown dtype': enc({ a: e('F8', [1], 0, 1) }, Buffer.alloc(1)), 'dtype toString': enc({ a: e('toString', [1], 0, 1) }, Buffer.alloc(1)),
    'negative dim': enc({ a: e('F32', [-1], 0, 4) }, Buffer.alloc(4)), 'fractional dim': enc({ a: e('F32', [1.5], 0, 4) }, Buffer.alloc(4)),
    'shape overflow': enc({ a: e('F32', [2 ** 30, 2 ** 30, 2 ** 30], 0, 4) }, Buffer.alloc(4)), 'size mismatch': enc({ a: e('F32', [2], 0, 4) }, Buffer.alloc(4)),
    'offsets reversed': enc({ a: e('F32', [0], 4, 0) }, Buffer.alloc(4)), 'offsets past end': enc({ a: e('F32', [1], 4, 8) }, Buffer.alloc(4)),
    'overlap': enc({ a: e('F32', [1], 0, 4), b: e('F32', [1], 0, 4) }, Buffer.alloc(4)), 'gap': enc({ a: e('F32', [1], 4, 8) }, Buffer.alloc(8)),
    'trailing bytes (polyglot)': enc({ a: e('F32', [1], 0, 4) }, Buffer.alloc(12)), 'metadata not strings': enc({ __metadata__: { a: 1 } }),
    'metadata twice': enc('{"__metadata__":{},"__metadata__":{}}'), 'entry is array': enc({ a: [1, 2] }), 'deep nesting': enc(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`),
    'lone surrogate escape': enc('{"\\ud800":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":1}'), 'control char': enc('{"a\u0001":1}'),
    'number 1e999': enc('{"a":{"dtype":"F32","shape":[1e999],"data_offsets":[0,4]}}', Buffer.alloc(4)),
    '250,000 tensors (over the cap)': enc(`{${Array.from({ length: 250_000 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`).join(',')}}`),
  };
  let cTried = 0, cClean = 0;
  const cFail = [];
  for (const [name, bytes] of Object.entries(CORPUS)) {
    const f = join(t, `corpus-${cTried}.safetensors`);
    writeFileSync(f, bytes);
    cTried++;
    const r = classify(io, f);
    if (r === 'refused') cClean++; else cFail.push(`${name}: ${r}`);
  }
  mkdirSync(join(t, 'a-directory.safetensors'));
  cTried++;
  { const r = classify(io, join(t, 'a-directory.safetensors')); if (r === 'refused') cClean++; else cFail.push(`directory: ${r}`); }
  for (const f of cFail) console.log(`FAIL corpus ${f}`);
  console.log(`safetensors-corpus tried=${cTried} clean=${cClean} failed=${cTried - cClean}`);

  // valid seeds for mutation: the PyTorch-written fixture and one of ours with metadata
  const seeds = [readFileSync(join(root, 'test', 'fixtures', 'io_dtypes.safetensors'))];
  const ours = join(t, 'ours.safetensors');
  io.saveSafetensors(ours, { w: torch.randn([3, 4]), b: torch.zeros([4], 'int64'), m: torch.ones([2, 2], 'bool') }, { format: 'pt' });
  seeds.push(readFileSync(ours));
  const files = [];
  for (let i = 0; i < mutations; i++) {
    const s = seeds[rand(seeds.length)];
    let b = Buffer.from(s);
    const hlen = Number(b.readBigUInt64LE(0));
    const kinds = rand(6);
    for (let k = 0; k <= rand(3); k++) {
      if (kinds === 0) b[rand(b.length)] = rand(256);                                   // random byte anywhere
      else if (kinds === 1) b[8 + rand(hlen)] = ' "{}[],:0123456789-eE.'.charCodeAt(rand(23)); // JSON-ish byte in the header
      else if (kinds === 2) b = b.subarray(0, rand(b.length));                          // truncation
      else if (kinds === 3) { const p = 8 + rand(hlen); b = Buffer.concat([b.subarray(0, p), Buffer.from([rand(256)]), b.subarray(p)]); } // insertion
      else if (kinds === 4) { if (b.length >= 8) b.writeBigUInt64LE(BigInt(Math.max(0, hlen + rand(17) - 8)), 0); } // header length edit
      else { const p = 8 + rand(hlen); const digits = String(rand(2 ** 31)); b = Buffer.concat([b.subarray(0, p), Buffer.from(digits), b.subarray(p)]); } // digits into the header
    }
    const f = join(t, `m-${i}.safetensors`);
    writeFileSync(f, b);
    files.push(f);
  }
  let tried = 0, loaded = 0, refused = 0;
  const fails = [];
  for (let start = 0; start < files.length;) {
    const chunk = files.slice(start, start + 500);
    const list = join(t, 'list.json');
    writeFileSync(list, JSON.stringify(chunk));
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', list], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ADAPTUNE_NUM_THREADS: '1' } });
    const lines = r.stdout.split('\n').filter(Boolean);
    for (let k = 0; k < lines.length; k++) {
      tried++;
      if (lines[k] === 'loaded') loaded++; else if (lines[k] === 'refused') refused++; else fails.push(`${chunk[k]}: ${lines[k]}`);
    }
    if (lines.length < chunk.length) { tried++; fails.push(`${chunk[lines.length]}: child ${r.signal ?? `exit ${r.status}`}${r.error ? ' (timeout)' : ''}`); start += lines.length + 1; }
    else start += chunk.length;
  }
  for (const f of fails.slice(0, 20)) console.log(`FAIL mutation ${f}`);
  console.log(`safetensors-mutation tried=${tried} clean=${loaded + refused} failed=${fails.length} (loaded=${loaded} refused=${refused})`);
  process.exitCode = fails.length || cTried !== cClean ? 1 : 0;
}

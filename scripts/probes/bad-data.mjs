#!/usr/bin/env node
// Bad-data corpus (reliability probe, F11/F13): damaged image trees and files, loaded through the library
// (loadImageFolder, loadMvtec) and through the CLI (adaptune anomaly --data mvtec). A library case is clean
// when it throws a DataError/ConfigError naming the offending path (or, with onCorrupt 'skip', loads the rest
// and lists the file); a CLI case when it exits 1 or 2 with one 'adaptune:' line, no JS stack.
// Usage: node scripts/probes/bad-data.mjs
// Prints: bad-data tried=N clean=N failed=N, and each failure.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const { data } = await import(pathToFileURL(join(root, 'dist', 'src', 'index.js')).href);
const sharp = (await import('sharp')).default;
const t = mkdtempSync(join(tmpdir(), 'bad-data-'));
const spec = { size: [8, 8], channels: 1 };
const pngBytes = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toBuffer();
const jpgBytes = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer();

let n = 0;
/** A class tree root/<a,b>/ with 2 good PNGs each; `damage(root)` returns the offending path. */
function tree(damage) {
  const r = join(t, `tree-${n++}`);
  for (const c of ['a', 'b']) { mkdirSync(join(r, c), { recursive: true }); for (let i = 0; i < 2; i++) writeFileSync(join(r, c, `${i}.png`), pngBytes); }
  return { root: r, bad: damage(r) };
}
const put = (p, bytes) => { mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, bytes); return p; };
const DAMAGES = {
  'empty class folder': (r) => { mkdirSync(join(r, 'c')); return join(r, 'c'); },
  'dangling symlink': (r) => { symlinkSync(join(r, 'gone.png'), join(r, 'b', 'link.png')); return join(r, 'b', 'link.png'); },
  'truncated PNG': (r) => put(join(r, 'b', 'cut.png'), pngBytes.subarray(0, 40)),
  'PNG without IEND': (r) => put(join(r, 'b', 'noend.png'), pngBytes.subarray(0, pngBytes.length - 12)),
  'zero-byte PNG': (r) => put(join(r, 'b', 'zero.png'), Buffer.alloc(0)),
  'text named .png': (r) => put(join(r, 'b', 'text.png'), Buffer.from('not an image')),
  'truncated JPEG': (r) => put(join(r, 'b', 'cut.jpg'), jpgBytes.subarray(0, Math.floor(jpgBytes.length / 2))),
  'JPEG named .png': (r) => { put(join(r, 'b', 'jpeg.png'), jpgBytes); return null; }, // decoded by content, as PIL does: fine
  // known gap: libpng (through sharp, failOn 'truncated') ignores a wrong zlib checksum at the end of IDAT
  'PNG with flipped data byte': (r) => { const b = Buffer.from(pngBytes); b[b.length - 20] ^= 0xff; return put(join(r, 'b', 'flip.png'), b); },
  'directory named x.png': (r) => { mkdirSync(join(r, 'b', 'dir.png', 'inner'), { recursive: true }); writeFileSync(join(r, 'b', 'dir.png', 'inner', 'z.txt'), 'x'); return null; },
  'unreadable class folder': (r) => { chmodSync(join(r, 'b'), 0o000); return process.getuid?.() === 0 ? null : join(r, 'b'); },
  'decompression bomb header': (r) => { const b = Buffer.from(pngBytes); b.writeUInt32BE(100000, 16); b.writeUInt32BE(100000, 20); return put(join(r, 'b', 'bomb.png'), b); },
};

let tried = 0, clean = 0;
const failures = [];
const check = (name, ok, detail) => { tried++; if (ok) clean++; else failures.push(`${name}: ${detail}`); };

for (const [name, damage] of Object.entries(DAMAGES)) {
  const { root: r, bad } = tree(damage);
  for (const policy of ['fail', 'skip']) {
    try {
      const ds = await data.loadImageFolder({ root: r, ...spec, onCorrupt: policy });
      const skipped = ds.report?.skippedFiles.map((s) => s.file) ?? [];
      ds.dispose();
      // accepted: fine when nothing was wrong with an image (bad === null), or with 'skip' when the bad file was listed
      check(`${name} [${policy}]`, bad === null || (policy === 'skip' && skipped.includes(bad)), `loaded without complaint (skipped: ${skipped.join(', ') || 'none'})`);
    } catch (e) {
      const typed = e?.name === 'DataError' || e?.name === 'ConfigError';
      const named = bad === null || e.message.includes(bad);
      check(`${name} [${policy}]`, typed && named && !/unknown error/i.test(e.message), `${e?.name}: ${e?.message?.slice(0, 160)}`);
    }
  }
}

// MVTec trees through the library and the CLI
function mvtec(damage) {
  const r = join(t, `mvtec-${n++}`);
  for (const d of ['train/good', 'test/good', 'test/crack', 'ground_truth/crack']) mkdirSync(join(r, 'bottle', d), { recursive: true });
  for (let i = 0; i < 3; i++) { writeFileSync(join(r, 'bottle', 'train', 'good', `${i}.png`), pngBytes); writeFileSync(join(r, 'bottle', 'test', 'good', `${i}.png`), pngBytes); }
  writeFileSync(join(r, 'bottle', 'test', 'crack', '0.png'), pngBytes);
  writeFileSync(join(r, 'bottle', 'ground_truth', 'crack', '0_mask.png'), pngBytes);
  return { root: r, bad: damage(join(r, 'bottle')) };
}
const MV = {
  'missing mask': (c) => { writeFileSync(join(c, 'test', 'crack', '1.png'), pngBytes); return join(c, 'test', 'crack', '1.png'); },
  'truncated train image': (c) => put(join(c, 'train', 'good', 'cut.png'), pngBytes.subarray(0, 50)),
  'truncated mask': (c) => put(join(c, 'ground_truth', 'crack', '0_mask.png'), pngBytes.subarray(0, 50)),
  'no train folder': (c) => { spawnSync('rm', ['-rf', join(c, 'train')]); return join(c, 'train'); },
};
for (const [name, damage] of Object.entries(MV)) {
  const { root: r, bad } = mvtec(damage);
  for (const split of ['train', 'test']) {
    try {
      const m = await data.loadMvtec({ root: r, category: 'bottle', split, ...spec });
      m.dataset.dispose(); m.masks?.dispose?.();
      const touches = bad.includes(`/${split}/`) || (split === 'test' && bad.includes('ground_truth'));
      check(`mvtec ${name} [${split}]`, !touches, 'loaded without complaint');
    } catch (e) {
      check(`mvtec ${name} [${split}]`, (e?.name === 'DataError' || e?.name === 'ConfigError') && e.message.includes(bad.replace(/\/(train|test)\/.*$/, '')), `${e?.name}: ${e?.message?.slice(0, 160)}`);
    }
  }
  const out = join(t, `anomaly-out-${n++}`);
  const p = spawnSync(process.execPath, [cli, 'anomaly', '--data', 'mvtec', '--root', r, '--category', 'bottle', '--epochs', '1', '--out', out],
    { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ADAPTUNE_NUM_THREADS: '1', ADAPTUNE_DEBUG: '' } });
  const lines = (p.stderr ?? '').split('\n').filter((l) => l.startsWith('adaptune:') || /^\s+at /.test(l));
  const ok = p.status === 0 ? !bad.includes('train') : [1, 2].includes(p.status) && lines.length === 1 && !lines.some((l) => /^\s+at /.test(l));
  check(`cli anomaly ${name}`, ok, `exit ${p.status} ${p.signal ?? ''}: ${lines.slice(0, 2).join(' | ').slice(0, 200)}`);
}

for (const f of failures) console.log(`FAIL ${f}`);
console.log(`bad-data tried=${tried} clean=${clean} failed=${tried - clean}`);
process.exitCode = tried === clean ? 0 : 1;

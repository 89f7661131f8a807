#!/usr/bin/env node
// Compacts the semisup runs under EXP (default /work/exp/semisup) into runs.jsonl (one record per finished run:
// the summary fields that matter, the validation evaluations from metrics.jsonl, gate ratios per 100 steps and
// the median wall seconds per step) and prints the tables of ../semisup.md: per row n, mean +- sample std of
// final test and validation accuracy, per-seed values, and differences paired by seed.
// Usage: node docs/results/semisup/aggregate.mjs [EXP] [--write]   (--write: (re)writes runs.jsonl beside this file:
// its records, plus or replaced by those of the finished runs under EXP)
import { readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const EXP = args.find((a) => !a.startsWith('--')) ?? '/work/exp/semisup';
const here = dirname(fileURLToPath(import.meta.url));
const r2 = (x) => (x === null || x === undefined ? null : Math.round(x * 1e4) / 1e4);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : null; };
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** The row a run belongs to: its name without the seed suffix. */
const rowOf = (name) => name.replace(/-s\d+$/, '');

function record(name) {
  const dir = join(EXP, name);
  const rep = JSON.parse(readFileSync(join(EXP, `${name}.json`), 'utf8'));
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const m = cfg.method;
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const train = rows.filter((r) => r.split === 'train');
  const dts = train.slice(1).map((r, i) => r.time - train[i].time);
  const window = (key, f = 1) => {
    if (!train.some((r) => typeof r[key] === 'number')) return null;
    const out = [];
    for (let a = 0; a < train.length; a += 100) { const xs = train.slice(a, a + 100).map((r) => r[key] * f).filter((v) => Number.isFinite(v)); out.push(xs.length ? r2(mean(xs)) : null); }
    return out;
  };
  return {
    name, row: rowOf(name), seed: cfg.seed, algorithm: m.algorithm, akc: m.akc, arc: m.arc,
    lambdaAkc: m.akc ? m.lambdaAkc : null, akcScale: m.akc ? m.akcScale : null, c: m.akc ? Number((m.lambdaAkc / m.akcScale).toPrecision(6)) : null,
    lambdaArc: m.arc ? m.lambdaArc : null, emaDecay: m.emaDecay, steps: rep.steps, status: rep.status,
    labelsPerClass: rep.labelsPerClass, valImages: rep.valImages, testImages: rep.testImages,
    testAccuracy: rep.testAccuracy, testMacroF1: r2(rep.test.macroF1), valAccuracy: rep.valAccuracy, meanLastValAccuracy: r2(rep.meanLastValAccuracy),
    evals: rows.filter((r) => r.split === 'eval').map((r) => ({ step: r.step, valAccuracy: r.accuracy, valLoss: r2(r.loss) })),
    gatesPer100: { akc: window('gate_akc'), arc: window('gate_arc'), ssl: window('ssl_mask') },
    // the gated mean of sum_c (ft_c - fs_c)^2 (the logged akc times the scale), mean per 100 steps
    akcDistPer100: m.akc ? window('akc', m.akcScale) : null,
    medianStepSec: r2(median(dts)), elapsedSec: r2(rep.elapsedSec), started: run.started,
    git: run.versions?.git ?? null, // commit of the checkout that ran it (records written before 15:00 UTC on 2026-12-07 lack it)
    command: rep.command,
  };
}

// The checked-in records are the base (the run directories of earlier sessions are gone); a run found under EXP
// adds its record or replaces the one of the same name. --write writes the merged set, sorted by name.
const byName = new Map();
const jsonl = join(here, 'runs.jsonl');
if (existsSync(jsonl)) for (const l of readFileSync(jsonl, 'utf8').split('\n').filter(Boolean)) { const r = JSON.parse(l); byName.set(r.name, r); }
const names = existsSync(EXP) ? readdirSync(EXP).filter((n) => n.endsWith('.json') && existsSync(join(EXP, n.slice(0, -5), 'summary.json'))).map((n) => n.slice(0, -5)) : [];
for (const n of names) { try { byName.set(n, record(n)); } catch (e) { console.error(`skip ${n}: ${e.message}`); } }
const recs = [...byName.keys()].sort().map((n) => byName.get(n));
if (args.includes('--write')) writeFileSync(jsonl, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');

const pct = (x) => (x * 100).toFixed(2);
const byRow = new Map();
for (const r of recs.filter((r) => r.steps >= 1000)) { if (!byRow.has(r.row)) byRow.set(r.row, []); byRow.get(r.row).push(r); }
console.log('| row | c = lambda/scale | n | test mean +- std | val mean +- std | test per seed (0 / 1 / 2) | val per seed | s/step (median) |');
console.log('|---|---:|---:|---:|---:|---|---|---:|');
for (const [row, rs] of byRow) {
  rs.sort((a, b) => a.seed - b.seed);
  const t = rs.map((r) => r.testAccuracy), v = rs.map((r) => r.valAccuracy);
  console.log(`| ${row} | ${rs[0].c ?? '-'} | ${rs.length} | ${pct(mean(t))} +- ${pct(std(t))} | ${pct(mean(v))} +- ${pct(std(v))} | ${rs.map((r) => `${r.seed}: ${pct(r.testAccuracy)}`).join(' / ')} | ${rs.map((r) => pct(r.valAccuracy)).join(' / ')} | ${median(rs.map((r) => r.medianStepSec)).toFixed(2)} |`);
}
/** Differences paired by seed: row minus base, test and validation. */
const paired = (row, base) => {
  const a = byRow.get(row), b = byRow.get(base);
  if (!a || !b) return;
  const ps = a.map((r) => [r, b.find((x) => x.seed === r.seed)]).filter((p) => p[1]).sort((p, q) => p[0].seed - q[0].seed);
  if (!ps.length) return;
  const dt = ps.map(([x, y]) => x.testAccuracy - y.testAccuracy), dv = ps.map(([x, y]) => x.valAccuracy - y.valAccuracy);
  console.log(`| ${row} - ${base} | ${ps.length} | ${dt.map(pct).join(' / ')} | ${pct(mean(dt))} +- ${pct(std(dt))} | ${dv.map(pct).join(' / ')} | ${pct(mean(dv))} |`);
};
console.log('\n| paired by seed | n | test diff per seed | mean +- std | val diff per seed | val mean |');
console.log('|---|---:|---|---:|---|---:|');
for (const row of byRow.keys()) {
  // label-budget rows (NAME-lN: --labels-per-class N) pair only with the supervised row of the same budget
  const budget = row.match(/-l(\d+)$/);
  if (budget) {
    if (row.startsWith('arc')) paired(row, `sup-l${budget[1]}`);
    if (row.startsWith('akc-arc')) { paired(row, `arc-l${budget[1]}`); paired(row, `sup-l${budget[1]}`); }
    continue;
  }
  if (row.startsWith('akc') || row.startsWith('arc')) paired(row, 'sup');
  if (row === 'akc-arc-c1e-4') paired(row, 'arc');
  if (row === 'fm-akc-arc-c1e-4') { paired(row, 'fm-akc-arc-c1e-2'); paired(row, 'fm-arc'); }
  if (row.startsWith('akc-c') && row !== 'akc-c0') paired(row, 'akc-c0');
  if (row.startsWith('fm-')) paired(row, 'fm');
  if (row === 'fm') paired('fm', 'sup');
  if (row.startsWith('mm-')) paired(row, 'mm');
  if (row === 'mm' || row === 'ict') { paired(row, 'sup'); paired(row, 'fm'); }
  if (row === 'ict') paired(row, 'mm');
  if (row === 'akc-arc-c1e-3' || row === 'akc-arc-c1e-2') paired(row, 'arc');
}

// Validation accuracy of the EMA model at each evaluation, mean over the row's seeds.
console.log('\n| row | n | ' + Array.from({ length: 10 }, (_, i) => `val @${(i + 1) * 100}`).join(' | ') + ' |');
console.log('|---|---:|' + '---:|'.repeat(10));
for (const [row, rs] of byRow) {
  const at = (s) => { const xs = rs.map((r) => r.evals.find((e) => e.step === s)?.valAccuracy).filter((x) => typeof x === 'number'); return xs.length ? pct(mean(xs)) : '-'; };
  console.log(`| ${row} | ${rs.length} | ${Array.from({ length: 10 }, (_, i) => at((i + 1) * 100)).join(' | ')} |`);
}
// AKC's feature distance (gated mean of sum_c (ft - fs)^2) per 100 steps, mean over seeds.
console.log('\n| row | n | ' + Array.from({ length: 10 }, (_, i) => `D ${i * 100 + 1}-${(i + 1) * 100}`).join(' | ') + ' |');
console.log('|---|---:|' + '---:|'.repeat(10));
for (const [row, rs] of byRow) {
  if (!rs[0].akcDistPer100) continue;
  console.log(`| ${row} | ${rs.length} | ${Array.from({ length: 10 }, (_, i) => mean(rs.map((r) => r.akcDistPer100[i])).toFixed(1)).join(' | ')} |`);
}
// Time: median wall seconds per step (pauses by other engineers' measurements are in the wall minutes, mostly not in the median).
console.log('\n| row | n | median s/step per seed | wall min per run |');
console.log('|---|---:|---|---|');
for (const [row, rs] of byRow) console.log(`| ${row} | ${rs.length} | ${rs.map((r) => r.medianStepSec.toFixed(3)).join(' / ')} | ${rs.map((r) => (r.elapsedSec / 60).toFixed(1)).join(' / ')} |`);

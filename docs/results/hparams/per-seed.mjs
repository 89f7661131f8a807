// The per-seed figures of docs/results/hparams.md that study.md does not tabulate, computed from study.json (no
// training): for each target at m = 0.9 and plain L2 1e-4, the best elr on the seed-mean validation accuracy (as
// --collect's table), each seed's own best elr on its validation split ("a/b" = a tie), Spearman's rank correlation
// between similarity and the best elr (the same function as --collect: Pearson's on average ranks), and, for every
// L2-SP cell, its difference to plain L2 1e-4 at the same elr, momentum and seed, on validation and on test.
// Run from the repository root after npx tsc: node docs/results/hparams/per-seed.mjs [docs/results/hparams/study.json]
import { readFileSync } from 'node:fs';
import { bestElrOnValidation, spearman, meanStd } from '../../../dist/src/methods/finetune/study-tables.js';
import { atDefault } from '../../../dist/src/methods/finetune/study.js';

const study = JSON.parse(readFileSync(process.argv[2] ?? 'docs/results/hparams/study.json', 'utf8'));
const targets = [...study.targets].sort((a, b) => b.similarity - a.similarity);
const pct = (x) => (100 * x).toFixed(2);
const ms = (xs) => { const s = meanStd(xs.map((x) => 100 * x)); return `${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(2)} ± ${s.std.toFixed(2)}`; };
const best = [];
const spDelta = []; // { sim, target, elr, alpha, dv, dt }: seed-mean differences of L2-SP to plain L2 1e-4
const seedBest = {}; // seed -> [{ sim, lo, hi }]: that seed's best elr, ties resolved to the smaller (lo) or larger (hi)
for (const t of targets) {
  const line = t.cells.filter((c) => c.regularizer === 'l2' && atDefault(c) && c.momentum === 0.9);
  const b = bestElrOnValidation(t, 0.9);
  if (!b) continue;
  const means = [...new Set(line.map((c) => c.elr))].sort((x, y) => x - y).map((e) => ({ e, v: meanStd(line.filter((c) => c.elr === e).map((c) => c.valAccuracy)).mean }));
  const vmax = Math.max(...means.map((m) => m.v));
  const tiedMean = means.filter((m) => Math.abs(m.v - vmax) < 1e-12).map((m) => m.e);
  best.push({ t, b, hi: tiedMean[tiedMean.length - 1] });
  const seeds = [...new Set(line.map((c) => c.seed))].sort();
  const perSeed = seeds.map((s) => {
    const at = line.filter((c) => c.seed === s);
    const top = Math.max(...at.map((c) => c.valAccuracy));
    const tied = at.filter((c) => c.valAccuracy === top).map((c) => c.elr).sort((x, y) => x - y);
    (seedBest[s] ??= []).push({ sim: t.similarity, lo: tied[0], hi: tied[tied.length - 1] });
    return tied.join('/');
  });
  console.log(`${t.target} (similarity ${t.similarity.toFixed(3)}): best elr ${b.elr} (validation ${pct(b.val)}${tiedMean.length > 1 ? `, tied with ${tiedMean.filter((e) => e !== b.elr).join(', ')}` : ''}), per seed ${seeds.join(', ')}: ${perSeed.join(', ')}`);
  const sp = [...new Set(t.cells.filter((c) => c.regularizer === 'l2-sp').map((c) => `${c.elr}|${c.momentum}|${c.strength}`))];
  for (const k of sp) {
    const [elr, m, a] = k.split('|').map(Number);
    const pairs = t.cells.filter((c) => c.regularizer === 'l2-sp' && c.elr === elr && c.momentum === m && c.strength === a).flatMap((c) => {
      const base = line.concat(t.cells.filter((x) => x.momentum !== 0.9)).find((x) => x.regularizer === 'l2' && atDefault(x) && x.elr === elr && x.momentum === m && x.seed === c.seed);
      return base ? [{ seed: c.seed, dv: c.valAccuracy - base.valAccuracy, dt: c.testAccuracy - base.testAccuracy, v: c.valAccuracy, te: c.testAccuracy }] : [];
    }).sort((x, y) => x.seed - y.seed);
    if (!pairs.length) continue;
    if (m === 0.9) spDelta.push({ sim: t.similarity, target: t.target, elr, alpha: a, best: elr === b.elr, dv: meanStd(pairs.map((p) => p.dv)).mean, dt: meanStd(pairs.map((p) => p.dt)).mean, pairs, base: line.filter((x) => x.elr === elr) });
    console.log(`  l2-sp alpha ${a} at elr ${elr}, m ${m}: Δ validation ${ms(pairs.map((p) => p.dv))}, Δ test ${ms(pairs.map((p) => p.dt))} (n ${pairs.length}); per seed ${pairs.map((p) => `s${p.seed} ${pct(p.v)}/${pct(p.te)} (Δ ${(100 * p.dv).toFixed(0)}/${(100 * p.dt).toFixed(2)})`).join(', ')}`);
  }
}
const rho = spearman(best.map((x) => x.t.similarity), best.map((x) => x.b.elr));
const rhoHi = spearman(best.map((x) => x.t.similarity), best.map((x) => x.hi));
console.log(`Spearman rank correlation between similarity and best elr (validation seed means) over ${best.length} targets: ${rho.toFixed(3)} (as --collect: the first elr of the highest seed mean in floating point); ${rhoHi.toFixed(3)} with tied seed means (to 1e-12) resolved to the larger elr`);
for (const [s, xs] of Object.entries(seedBest)) {
  const r = (k) => spearman(xs.map((x) => x.sim), xs.map((x) => x[k])).toFixed(3);
  console.log(`  seed ${s} alone (its own validation split, ${xs.length} targets): ${r('lo')} with ties at the smaller elr, ${r('hi')} at the larger`);
}
// L2-SP's seed-mean difference to L2 against similarity, at each target's best elr and at the common elr 0.1
for (const [label, pick] of [['its best elr', (d) => d.best], ['elr 0.1', (d) => d.elr === 0.1]]) {
  for (const a of [...new Set(spDelta.map((d) => d.alpha))].sort((x, y) => x - y)) {
    const ds = spDelta.filter((d) => d.alpha === a && pick(d));
    if (ds.length < 3) continue;
    console.log(`L2-SP alpha ${a} at ${label}, ${ds.length} targets (similarity: Δ validation / Δ test): ${ds.map((d) => `${d.sim.toFixed(3)}: ${(100 * d.dv).toFixed(2)} / ${(100 * d.dt).toFixed(2)}`).join('; ')}; Spearman(similarity, Δ test) ${spearman(ds.map((d) => d.sim), ds.map((d) => d.dt)).toFixed(3)}, (similarity, Δ validation) ${spearman(ds.map((d) => d.sim), ds.map((d) => d.dv)).toFixed(3)}`);
  }
}
// the same as markdown rows: target | similarity | elr | L2 1e-4 val / test | per alpha: Δ val / Δ test (mean ± std) | alpha 1 per seed Δ test
const fmt = (xs) => { const q = meanStd(xs.map((x) => 100 * x)); return `${q.mean >= 0 ? '+' : ''}${q.mean.toFixed(2)} ± ${q.std.toFixed(2)}`; };
const abs = (xs) => { const q = meanStd(xs.map((x) => 100 * x)); return `${q.mean.toFixed(2)} ± ${q.std.toFixed(2)}`; };
for (const [label, pick] of [['its best elr', (d) => d.best], ['elr 0.1', (d) => d.elr === 0.1]]) {
  console.log(`\n| target | similarity | elr (${label}) | L2 1e-4 val / test | L2-SP α = 0.1: Δ val / Δ test | L2-SP α = 1: Δ val / Δ test | α = 1, Δ test per seed |\n|---|---:|---:|---:|---:|---:|---|`);
  for (const t of targets) {
    const ds = spDelta.filter((d) => d.target === t.target && pick(d));
    if (!ds.length) continue;
    const at = (a) => ds.find((d) => d.alpha === a);
    const cellOf = (d) => (d ? `${fmt(d.pairs.map((p) => p.dv))} / ${fmt(d.pairs.map((p) => p.dt))}${d.pairs.length < 3 ? ` (${d.pairs.length} seed${d.pairs.length > 1 ? 's' : ''})` : ''}` : 'not run');
    const base = ds[0].base;
    console.log(`| ${t.target} | ${t.similarity.toFixed(3)} | ${ds[0].elr} | ${abs(base.map((c) => c.valAccuracy))} / ${abs(base.map((c) => c.testAccuracy))} | ${cellOf(at(0.1))} | ${cellOf(at(1))} | ${at(1) ? at(1).pairs.map((p) => (100 * p.dt).toFixed(2)).join(', ') : '-'} |`);
  }
}

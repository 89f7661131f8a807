// Per-iteration NMSE at N=500, 10 dB, L = 30 and 40: AMP on unit columns (pooled over the pilot draws of run.sh), the
// finite-N SE and the large-system SE, from se/unitcol/seed*/se.json. node docs/results/jadce/se/trace-unitcol.mjs
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { linePlot } from '../../../../dist/src/methods/jadce/plot.js';
const dir = 'docs/results/jadce/se';
const seeds = readdirSync(`${dir}/unitcol`).filter((d) => d.startsWith('seed'));
const T = 60;
const xs = Array.from({ length: T }, (_, i) => i + 1);
const series = [];
for (const L of [30, 40]) {
  const rows = seeds.map((s) => JSON.parse(readFileSync(`${dir}/unitcol/${s}/se.json`, 'utf8')).rows.find((r) => r.pilotLength === L && r.snrDb === 10));
  const pooled = xs.map((_, t) => 10 * Math.log10(rows.reduce((a, r) => a + 10 ** (r.ampDb[t] / 10), 0) / rows.length));
  series.push({ name: `AMP L=${L}`, y: pooled }, { name: `finite-N SE L=${L}`, y: rows[0].seFiniteDb.slice(0, T) }, { name: `SE L=${L}`, y: rows[0].seDb.slice(0, T) });
}
writeFileSync(`${dir}/trace-unitcol-snr10.svg`, linePlot(`NMSE per iteration, N=500 M=16, 10 dB, unit columns (${seeds.length} pilot draws)`, 'iteration', 'NMSE (dB)', xs,
  series.map((s) => ({ ...s, spread: s.y.map(() => 0) }))));

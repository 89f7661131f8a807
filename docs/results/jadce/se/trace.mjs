// Per-iteration NMSE at N=500, L=40, 10 dB: SE, AMP scalar (damping 0.6 and undamped) and AMP matrix (damping 0.6), from the se.json files.
// node docs/results/jadce/se/trace.mjs (after run.sh and diag.sh)
import { readFileSync, writeFileSync } from 'node:fs';
import { linePlot } from '../../../../dist/src/methods/jadce/plot.js';
const dir = 'docs/results/jadce/se';
const row = (f) => JSON.parse(readFileSync(`${dir}/${f}/se.json`, 'utf8')).rows.find((r) => r.pilotLength === 40 && r.snrDb === 10);
const T = 40;
const xs = Array.from({ length: T }, (_, i) => i + 1);
const cut = (ys) => ys.slice(0, T);
const s = row('scalar/seed0'), u = row('undamped'), m = row('matrix');
const series = [
  { name: 'SE', y: cut(s.seDb) }, { name: 'AMP scalar, damp 0.6', y: cut(s.ampDb) }, { name: 'AMP scalar, undamped', y: cut(u.ampDb) }, { name: 'AMP matrix, damp 0.6', y: cut(m.ampDb) },
].map((x) => ({ ...x, spread: x.y.map(() => 0) }));
writeFileSync(`${dir}/trace-L40-snr10.svg`, linePlot('NMSE per iteration, N=500 M=16 L=40, 10 dB', 'iteration', 'NMSE (dB)', xs, series));

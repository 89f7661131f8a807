/** @module The resumable sweep: NMSE and detection error against the pilot length (at a fixed SNR) and against the SNR (at a fixed pilot length), several seeds; points.jsonl, summary.json, results.md and SVG plots. */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JadceConfig } from './config.js';
import { disposeModels, evaluateMethods, trainModels, type EvalRow } from './experiment.js';
import type { MethodName } from './methods.js';
import { linePlot } from './plot.js';
import { ROC_PFA } from './metrics.js';
import { finiteStateEvolution, stateEvolution } from './se.js';

export interface SweepOptions {
  pilotLengths: number[];
  snrs: number[];
  /** SNR of the pilot-length sweep and pilot length of the SNR sweep. */
  fixedSnr: number;
  fixedPilotLength: number;
  seeds: number[];
  methods: MethodName[];
  /** Test slots per point and seed, and the evaluation batch. */
  slots: number;
  batch: number;
  out: string;
  /** Also run AMP's state evolution at every point (Monte-Carlo draws per iteration; 0 = none): PointRecord.seDb, the 'SE' line in the NMSE plots. */
  seSamples?: number;
}

/** One (pilot length, SNR, seed) result. */
export interface PointRecord { pilotLength: number; snrDb: number; seed: number; rows: EvalRow[]; trainSec: Record<string, number>; seDb?: number; seFiniteDb?: number }

/** A metric's mean and (population) std over seeds. */
export interface Stat { mean: number; std: number; n: number }
/** Aggregated row of one method at one point. */
export interface SummaryRow { pilotLength: number; snrDb: number; method: MethodName; nmseDb: Stat; nmseReDb: Stat; pe: Stat; pMd: Stat; pFa: Stat; msPerSlot: Stat; macsPerSlot: number; meanRank: Stat }

const stat = (xs: number[]): Stat => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, std: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length), n: xs.length };
};

/** The distinct (L, SNR) points of both sweeps (their shared point once). */
export function sweepPoints(o: Pick<SweepOptions, 'pilotLengths' | 'snrs' | 'fixedSnr' | 'fixedPilotLength'>): { pilotLength: number; snrDb: number }[] {
  const pts = [...o.pilotLengths.map((l) => ({ pilotLength: l, snrDb: o.fixedSnr })), ...o.snrs.map((s) => ({ pilotLength: o.fixedPilotLength, snrDb: s }))];
  return pts.filter((p, i) => pts.findIndex((q) => q.pilotLength === p.pilotLength && q.snrDb === p.snrDb) === i);
}

/** Reads the finished points of a sweep directory. */
export function readPoints(dir: string): PointRecord[] {
  const f = join(dir, 'points.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((s) => s.trim()).map((s) => JSON.parse(s) as PointRecord);
}

/** Runs (or resumes) the sweep; each finished (point, seed) is appended to points.jsonl at once. */
export function runSweep(cfg: JadceConfig, o: SweepOptions, log: (s: string) => void = () => {}): SummaryRow[] {
  mkdirSync(o.out, { recursive: true });
  const done = readPoints(o.out);
  const has = (l: number, s: number, seed: number): boolean => done.some((p) => p.pilotLength === l && p.snrDb === s && p.seed === seed);
  for (const pt of sweepPoints(o)) {
    for (const seed of o.seeds) {
      if (has(pt.pilotLength, pt.snrDb, seed)) { log(`skip L=${pt.pilotLength} SNR=${pt.snrDb} seed ${seed} (done)`); continue; }
      const c: JadceConfig = { ...cfg, scenario: { ...cfg.scenario, pilotLength: pt.pilotLength, snrDb: pt.snrDb } };
      const tr = trainModels(c, o.methods, seed, log);
      try {
        const rows = evaluateMethods(c, o.methods, tr.models, seed, o.slots, o.batch);
        const rec: PointRecord = { ...pt, seed, rows, trainSec: tr.trainSec as Record<string, number> };
        if (o.seSamples) {
          const se = stateEvolution(c.scenario, { iterations: c.baselines.ampIterations, samples: o.seSamples, seed });
          const k = Math.max(1, Math.floor(se.nmseDb.length / 10));
          rec.seDb = se.nmseDb.slice(-k).reduce((a, b) => a + b, 0) / k;
          const fin = finiteStateEvolution(c.scenario, { iterations: c.baselines.ampIterations, samples: Math.min(o.seSamples, 50000), seed, columnNorm: c.baselines.ampColumnNorm });
          rec.seFiniteDb = fin.nmseDb.slice(-k).reduce((a, b) => a + b, 0) / k;
        }
        appendFileSync(join(o.out, 'points.jsonl'), JSON.stringify(rec) + '\n');
        done.push(rec);
        for (const r of rows) log(`  L=${pt.pilotLength} SNR=${pt.snrDb} seed ${seed} ${r.method.padEnd(9)} NMSE ${r.nmseDb.toFixed(2)} dB (LMMSE ${r.nmseReDb.toFixed(2)}) Pe ${r.pe.toFixed(4)} ${r.msPerSlot.toFixed(2)} ms/slot`);
      } finally {
        disposeModels(tr.models);
      }
    }
  }
  const summary = summarize(done.filter((p) => o.seeds.includes(p.seed)), o.methods);
  writeFileSync(join(o.out, 'summary.json'), JSON.stringify({ config: cfg, options: o, rows: summary }, null, 1) + '\n');
  writeFileSync(join(o.out, 'results.md'), resultsMarkdown(summary, o));
  writePlots(summary, o, done.filter((p) => o.seeds.includes(p.seed)));
  return summary;
}

/** Mean and std over seeds per (point, method). */
export function summarize(points: PointRecord[], methods: readonly MethodName[]): SummaryRow[] {
  const keys = [...new Set(points.map((p) => `${p.pilotLength}/${p.snrDb}`))];
  const out: SummaryRow[] = [];
  for (const k of keys) {
    const ps = points.filter((p) => `${p.pilotLength}/${p.snrDb}` === k);
    for (const m of methods) {
      const rs = ps.map((p) => p.rows.find((r) => r.method === m)).filter((r): r is EvalRow => !!r);
      if (!rs.length) continue;
      const f = (g: (r: EvalRow) => number): Stat => stat(rs.map(g));
      out.push({
        pilotLength: ps[0]!.pilotLength, snrDb: ps[0]!.snrDb, method: m, nmseDb: f((r) => r.nmseDb), nmseReDb: f((r) => r.nmseReDb), pe: f((r) => r.pe),
        pMd: f((r) => r.pMd), pFa: f((r) => r.pFa), msPerSlot: f((r) => r.msPerSlot), macsPerSlot: rs[0]!.macsPerSlot, meanRank: f((r) => r.meanRank),
      });
    }
  }
  return out;
}

const pm = (s: Stat, d: number): string => `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`;

/** The results tables (one per sweep) as markdown. */
export function resultsMarkdown(rows: SummaryRow[], o: SweepOptions): string {
  const table = (sel: SummaryRow[], key: 'pilotLength' | 'snrDb'): string[] => [
    `| ${key === 'pilotLength' ? 'L' : 'SNR dB'} | method | NMSE dB | NMSE dB (LMMSE on support) | P_e | P_MD | P_FA | ms/slot | MMAC/slot | rank |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...sel.map((r) => `| ${r[key]} | ${r.method} | ${pm(r.nmseDb, 2)} | ${pm(r.nmseReDb, 2)} | ${pm(r.pe, 4)} | ${pm(r.pMd, 3)} | ${pm(r.pFa, 4)} | ${pm(r.msPerSlot, 2)} | ${(r.macsPerSlot / 1e6).toFixed(2)} | ${r.meanRank.mean.toFixed(1)} |`),
  ];
  return [
    `Seeds ${o.seeds.join(', ')}; ${o.slots} test slots per point and seed; mean ± std over seeds.`, '',
    `### Against the pilot length L (SNR ${o.fixedSnr} dB)`, '',
    ...table(rows.filter((r) => r.snrDb === o.fixedSnr && o.pilotLengths.includes(r.pilotLength)).sort((a, b) => a.pilotLength - b.pilotLength), 'pilotLength'), '',
    `### Against the SNR (L = ${o.fixedPilotLength})`, '',
    ...table(rows.filter((r) => r.pilotLength === o.fixedPilotLength && o.snrs.includes(r.snrDb)).sort((a, b) => a.snrDb - b.snrDb), 'snrDb'), '',
  ].join('\n');
}

/** nmse-vs-L.svg, pe-vs-L.svg, nmse-vs-snr.svg, pe-vs-snr.svg (with the SE line when recorded) and roc-L{L}-snr{S}.svg per point in the sweep directory. */
function writePlots(rows: SummaryRow[], o: SweepOptions, points: PointRecord[]): void {
  const plot = (file: string, key: 'pilotLength' | 'snrDb', xs: number[], fixed: (r: SummaryRow) => boolean, metric: 'nmseDb' | 'pe', title: string): void => {
    const series = o.methods.map((m) => {
      const at = xs.map((x) => rows.find((r) => r.method === m && r[key] === x && fixed(r)));
      return { name: m, y: at.map((r) => r?.[metric].mean ?? NaN), spread: at.map((r) => r?.[metric].std ?? 0) };
    });
    for (const [field, name] of [['seDb', 'SE (AMP)'], ['seFiniteDb', 'finite-N SE']] as const) {
      if (metric !== 'nmseDb' || !points.some((p) => p[field] !== undefined)) continue;
      const se = xs.map((x) => {
        const ps = points.filter((p) => p[key] === x && (key === 'pilotLength' ? p.snrDb === o.fixedSnr : p.pilotLength === o.fixedPilotLength) && p[field] !== undefined);
        return ps.length ? stat(ps.map((p) => p[field]!)) : null;
      });
      series.push({ name: name as MethodName, y: se.map((v) => v?.mean ?? NaN), spread: se.map((v) => v?.std ?? 0) });
    }
    writeFileSync(join(o.out, file), linePlot(title, key === 'pilotLength' ? 'pilot length L' : 'SNR (dB)', metric === 'pe' ? 'detection error rate' : 'NMSE (dB)', xs, series, metric === 'pe'));
  };
  plot('nmse-vs-L.svg', 'pilotLength', o.pilotLengths, (r) => r.snrDb === o.fixedSnr, 'nmseDb', `NMSE vs L (SNR ${o.fixedSnr} dB)`);
  plot('pe-vs-L.svg', 'pilotLength', o.pilotLengths, (r) => r.snrDb === o.fixedSnr, 'pe', `P_e vs L (SNR ${o.fixedSnr} dB)`);
  plot('nmse-vs-snr.svg', 'snrDb', o.snrs, (r) => r.pilotLength === o.fixedPilotLength, 'nmseDb', `NMSE vs SNR (L = ${o.fixedPilotLength})`);
  plot('pe-vs-snr.svg', 'snrDb', o.snrs, (r) => r.pilotLength === o.fixedPilotLength, 'pe', `P_e vs SNR (L = ${o.fixedPilotLength})`);
  for (const pt of sweepPoints(o)) {
    const ps = points.filter((p) => p.pilotLength === pt.pilotLength && p.snrDb === pt.snrDb);
    if (!ps.length) continue;
    writeFileSync(join(o.out, `roc-L${pt.pilotLength}-snr${pt.snrDb}.svg`), rocPlot(o.methods.map((m) => ({ method: m, rows: ps.map((p) => p.rows.find((r) => r.method === m)).filter((r): r is EvalRow => !!r) })), `P_MD vs P_FA (L = ${pt.pilotLength}, SNR ${pt.snrDb} dB; mean over ${ps.length} seeds)`));
  }
}

/** P_MD against P_FA (threshold sweep of each method's soft score), mean over the given rows (one per seed), both axes log10. */
export function rocPlot(byMethod: { method: string; rows: EvalRow[] }[], title: string): string {
  const xs = ROC_PFA.map((p) => Math.log10(p));
  const series = byMethod.filter((m) => m.rows.length).map(({ method, rows }) => {
    const y = ROC_PFA.map((_, i) => { const v = rows.map((r) => r.roc.pMd[i]).filter((x): x is number => x !== undefined); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN; });
    return { name: method, y, spread: y.map(() => 0) };
  });
  return linePlot(title, 'log10 P_FA', 'P_MD', xs.map((x) => Math.round(x * 100) / 100), series, true);
}

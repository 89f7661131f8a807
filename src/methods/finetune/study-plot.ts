/**
 * @module A study's figure as one self-contained SVG (no script, no fonts fetched): per target, test accuracy
 * against the effective learning rate (log axis), one line per momentum (plain L2 at its default coefficient; seed means, bars = min..max
 * over seeds) and L2-SP (default alpha) as squares; a last panel with each target's best elr against its domain similarity.
 */
import type { Study, StudyCell } from './study.js';
import { adviseTarget, atDefault } from './study.js';

const W = 300;
const H = 230;
const M = { l: 46, r: 12, t: 28, b: 40 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const f = (x: number): string => x.toFixed(1);

/** Linear map of [a, b] onto [c, d]. */
const scale = (a: number, b: number, c: number, d: number) => (x: number): number => (b === a ? (c + d) / 2 : c + ((x - a) / (b - a)) * (d - c));

/** Axes, ticks and labels of one panel at (ox, oy); returns the data -> pixel maps. */
function axes(out: string[], ox: number, oy: number, o: { title: string; xl: string; yl: string; x: [number, number]; y: [number, number]; logX: boolean; xt: number[]; yt: number[] }) {
  const tx = (v: number): number => (o.logX ? Math.log10(v) : v);
  const sx = scale(tx(o.x[0]), tx(o.x[1]), ox + M.l, ox + W - M.r);
  const sy = scale(o.y[0], o.y[1], oy + H - M.b, oy + M.t);
  const X = (v: number): number => sx(tx(v));
  out.push(`<text x="${f(ox + W / 2)}" y="${f(oy + 16)}" text-anchor="middle" font-weight="bold">${esc(o.title)}</text>`);
  out.push(`<rect x="${f(ox + M.l)}" y="${f(oy + M.t)}" width="${f(W - M.l - M.r)}" height="${f(H - M.t - M.b)}" fill="none" stroke="#888"/>`);
  for (const v of o.xt) out.push(`<text x="${f(X(v))}" y="${f(oy + H - M.b + 14)}" text-anchor="middle">${v}</text>`);
  for (const v of o.yt) out.push(`<line x1="${f(ox + M.l)}" x2="${f(ox + W - M.r)}" y1="${f(sy(v))}" y2="${f(sy(v))}" stroke="#eee"/><text x="${f(ox + M.l - 4)}" y="${f(sy(v) + 4)}" text-anchor="end">${v}</text>`);
  out.push(`<text x="${f(ox + W / 2)}" y="${f(oy + H - 6)}" text-anchor="middle">${esc(o.xl)}</text>`);
  out.push(`<text transform="translate(${f(ox + 12)},${f(oy + H / 2)}) rotate(-90)" text-anchor="middle">${esc(o.yl)}</text>`);
  return { X, Y: sy };
}

/** Seed mean and min/max of the cells matching a predicate, per elr (ascending). */
function series(cells: StudyCell[], keep: (c: StudyCell) => boolean): { elr: number; mean: number; lo: number; hi: number }[] {
  const sel = cells.filter(keep);
  return [...new Set(sel.map((c) => c.elr))].sort((a, b) => a - b).map((elr) => {
    const a = sel.filter((c) => c.elr === elr).map((c) => 100 * c.testAccuracy);
    return { elr, mean: a.reduce((s, v) => s + v, 0) / a.length, lo: Math.min(...a), hi: Math.max(...a) };
  });
}

/** The study's figure (SVG text); target panels from the most to the least similar. */
export function studySvg(study: Study): string {
  const out: string[] = [];
  const targets = [...study.targets].sort((a, b) => b.similarity - a.similarity);
  const all = targets.flatMap((t) => t.cells);
  const elrs = [...new Set(all.map((c) => c.elr))].sort((a, b) => a - b);
  const xr: [number, number] = [elrs[0]! / 1.5, elrs[elrs.length - 1]! * 1.5];
  const acc = all.map((c) => 100 * c.testAccuracy);
  const y: [number, number] = [Math.max(0, Math.floor(Math.min(...acc) / 10) * 10), 100];
  const yt = Array.from({ length: Math.floor((y[1] - y[0]) / 10) + 1 }, (_, i) => y[0] + 10 * i);
  const momenta = [...new Set(all.filter((c) => c.regularizer === 'l2').map((c) => c.momentum))].sort((a, b) => a - b);
  const panels = targets.length + 1;
  targets.forEach((t, k) => {
    const { X, Y } = axes(out, k * W, 0, { title: `${t.target} (sim ${t.similarity.toFixed(3)})`, xl: 'effective lr', yl: 'test accuracy (%)', x: xr, y, logX: true, xt: elrs, yt });
    momenta.forEach((m, i) => {
      const s = series(t.cells, (c) => c.regularizer === 'l2' && atDefault(c) && c.momentum === m);
      if (!s.length) return;
      const col = COLORS[i % COLORS.length]!;
      out.push(`<polyline fill="none" stroke="${col}" stroke-width="1.5" points="${s.map((p) => `${f(X(p.elr))},${f(Y(p.mean))}`).join(' ')}"/>`);
      for (const p of s) out.push(`<circle cx="${f(X(p.elr))}" cy="${f(Y(p.mean))}" r="3" fill="${col}"/>`, p.hi > p.lo ? `<line x1="${f(X(p.elr))}" x2="${f(X(p.elr))}" y1="${f(Y(p.lo))}" y2="${f(Y(p.hi))}" stroke="${col}"/>` : '');
    });
    for (const p of series(t.cells, (c) => c.regularizer === 'l2-sp' && atDefault(c))) out.push(`<rect x="${f(X(p.elr) - 4)}" y="${f(Y(p.mean) - 4)}" width="8" height="8" fill="none" stroke="#000"/>`);
  });
  const adv = targets.map((t) => adviseTarget(t, 0));
  const sims = adv.map((a) => a.similarity);
  const sr: [number, number] = [Math.min(...sims) - 0.02, Math.max(...sims) + 0.02];
  const { X, Y } = axes(out, targets.length * W, 0, { title: 'best elr vs similarity', xl: `similarity (gamma ${study.similarity.gamma.toPrecision(3)}, tap ${study.similarity.tap})`, yl: 'best effective lr (log)', x: sr, y: [Math.log10(xr[0]), Math.log10(xr[1])], logX: false, xt: [sr[0] + 0.02, sr[1] - 0.02].map((v) => Number(v.toFixed(3))), yt: [] });
  for (const e of elrs) out.push(`<text x="${f(targets.length * W + M.l - 4)}" y="${f(Y(Math.log10(e)) + 4)}" text-anchor="end">${e}</text>`);
  // labels alternate above and below their point, so that neighbours with the same best elr stay readable
  adv.forEach((a, i) => out.push(`<circle cx="${f(X(a.similarity))}" cy="${f(Y(Math.log10(a.bestElr)))}" r="4" fill="#000"/><text x="${f(X(a.similarity))}" y="${f(Y(Math.log10(a.bestElr)) + (i % 2 ? 16 : -8))}" text-anchor="middle">${esc(a.target.split(':')[1]!)}</text>`));
  const legend = momenta.map((m, i) => `<tspan fill="${COLORS[i % COLORS.length]}">● m=${m}</tspan>`).join('  ');
  out.push(`<text x="8" y="${H + 14}">${legend}  <tspan>□ L2-SP</tspan>  bars: min..max over seeds; ${study.epochs} epochs, ${study.labelsPerClass} labels/class</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${panels * W}" height="${H + 22}" font-family="sans-serif" font-size="10"><rect width="100%" height="100%" fill="#fff"/>${out.join('')}</svg>\n`;
}

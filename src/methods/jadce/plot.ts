/** @module A minimal SVG line plot (one line per series, error bars for the spread) for the sweep pages. */

/** One series: y (mean) and spread (std) at each x; NaN skips a point. */
export interface Series { name: string; y: number[]; spread: number[] }

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** An SVG document: x values, series, axis labels; logY plots log10 of positive values (zeros at the floor). */
export function linePlot(title: string, xLabel: string, yLabel: string, xs: number[], series: Series[], logY = false): string {
  const W = 560, H = 360, l = 60, r = 150, t = 30, b = 45;
  const tf = (v: number): number => (logY ? Math.log10(Math.max(v, 1e-5)) : v);
  const ys = series.flatMap((s) => s.y.flatMap((v, i) => [tf(v - s.spread[i]!), tf(v + s.spread[i]!)])).filter(Number.isFinite);
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!(y1 > y0)) [y0, y1] = [y0 - 1, y0 + 1];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)];
  const px = (x: number): number => l + ((x - x0) / (x1 - x0)) * (W - l - r);
  const py = (y: number): number => t + (1 - (tf(y) - y0) / (y1 - y0)) * (H - t - b);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${W / 2 - r / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${l}" y1="${H - b}" x2="${W - r}" y2="${H - b}" stroke="black"/><line x1="${l}" y1="${t}" x2="${l}" y2="${H - b}" stroke="black"/>`,
    `<text x="${(l + W - r) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${(t + H - b) / 2}" transform="rotate(-90 14 ${(t + H - b) / 2})" text-anchor="middle">${esc(yLabel)}</text>`];
  for (const x of xs) out.push(`<text x="${px(x)}" y="${H - b + 15}" text-anchor="middle">${x}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((y1 - y0) * k) / 4;
    const yy = t + (1 - k / 4) * (H - t - b);
    out.push(`<text x="${l - 5}" y="${yy + 4}" text-anchor="end">${logY ? `1e${v.toFixed(1)}` : v.toFixed(1)}</text>`);
    out.push(`<line x1="${l}" y1="${yy}" x2="${W - r}" y2="${yy}" stroke="#ddd"/>`);
  }
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const pts = xs.map((x, j) => [x, s.y[j]!] as const).filter(([, y]) => Number.isFinite(y));
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    xs.forEach((x, j) => {
      const y = s.y[j]!;
      if (!Number.isFinite(y)) return;
      const sp = s.spread[j] ?? 0;
      out.push(`<line x1="${px(x)}" y1="${py(y - sp)}" x2="${px(x)}" y2="${py(y + sp)}" stroke="${c}"/><circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${c}"/>`);
    });
    out.push(`<text x="${W - r + 10}" y="${t + 14 * i + 8}" fill="${c}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * @module The report's classification section: for every run whose summary.json holds split metrics (`val` and
 * `test`, as runFinetune and the other classifiers write them: accuracy, macroF1, perClassAccuracy, confusion,
 * classes), the validation and the test split side by side: accuracy, macro-F1, per-class accuracy and
 * precision, and the confusion matrix (rows: true class, columns: predicted; cells shaded by their share of the row).
 */
import type { RunData } from './load.js';

/** Split metrics as summaries record them. */
export interface SplitSummary { accuracy: number; macroF1: number; perClassAccuracy: number[]; confusion: number[][]; classes?: string[]; n?: number; images?: number }

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** Whether a summary value is split metrics. */
export function isSplitSummary(v: unknown): v is SplitSummary {
  const s = v as SplitSummary | null;
  return !!s && typeof s === 'object' && typeof s.accuracy === 'number' && Array.isArray(s.confusion) && Array.isArray(s.perClassAccuracy);
}

/** One split's table: per class accuracy (recall), precision and support, then the confusion matrix. */
export function splitTable(name: string, s: SplitSummary): string {
  const k = s.confusion.length;
  const classes = s.classes && s.classes.length === k ? s.classes : Array.from({ length: k }, (_, i) => String(i));
  const support = s.confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const predicted = classes.map((_, c) => s.confusion.reduce((a, r) => a + (r[c] ?? 0), 0));
  const head = `<tr><th scope="col">true \\ predicted</th>${classes.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}<th scope="col">accuracy</th><th scope="col">precision</th><th scope="col">images</th></tr>`;
  const rows = s.confusion.map((r, i) => {
    const cells = r.map((v, j) => {
      const share = support[i] ? v / support[i]! : 0;
      const bg = `rgba(${i === j ? '46,125,50' : '198,40,40'},${(0.08 + 0.6 * share).toFixed(3)})`;
      return `<td class="num" style="background:${v ? bg : 'transparent'}">${v}</td>`;
    }).join('');
    const prec = predicted[i] ? (r[i] ?? 0) / predicted[i]! : 0;
    return `<tr><th scope="row">${esc(classes[i]!)}</th>${cells}<td class="num">${pct(s.perClassAccuracy[i] ?? 0)}</td><td class="num">${pct(prec)}</td><td class="num">${support[i]}</td></tr>`;
  }).join('\n');
  const n = support.reduce((a, b) => a + b, 0);
  return `<figure class="plot"><h3>${esc(name)}: accuracy ${pct(s.accuracy)}, macro-F1 ${pct(s.macroF1)} (${n} images)</h3>\n<table class="compare confusion">\n<thead>${head}</thead>\n<tbody>\n${rows}\n</tbody>\n</table></figure>`;
}

/** The section for every run with split metrics ('' when none has any). */
export function classMetricsSection(runs: RunData[]): string {
  const parts: string[] = [];
  for (const r of runs) {
    const s = r.summary ?? {};
    const splits = (['val', 'test'] as const).filter((k) => isSplitSummary(s[k]));
    if (!splits.length) continue;
    const tables = splits.map((k) => splitTable(`${k === 'val' ? 'validation' : 'test'}`, s[k] as SplitSummary)).join('\n');
    parts.push(`<h3>${esc(r.name)}</h3>\n<p class="notes">Validation: the split every selection used; test: evaluated once, at the end.</p>\n<div class="plots">\n${tables}\n</div>`);
  }
  return parts.length ? `<h2>Classification</h2>\n${parts.join('\n')}` : '';
}

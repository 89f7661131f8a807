/**
 * @module The report's HTML: escaping, the summary comparison table, and the
 * self-contained page (vega and vega-lite inlined from node_modules, specs as
 * JSON data, plots drawn as SVG by vega's 'svg' renderer; no network).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { flatten, varyingKeys, type Leaf, type RunData } from './load.js';
import type { Plot } from './specs.js';
import { classMetricsSection } from './classes.js';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe to place inside a <script> element (no '<', '>', '&', U+2028/2029 left raw). */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JavaScript source safe to inline in a <script> element ('</script' becomes '<\/script', valid in strings and regexes). */
const inlineJs = (src: string): string => src.replace(/<\/(script)/gi, '<\\/$1');

let bundles: { vega: string; vegaLite: string } | null = null;
/** The browser bundles of vega and vega-lite (build/*.min.js next to each package's entry point). */
export function vegaBundles(): { vega: string; vegaLite: string } {
  if (bundles) return bundles;
  const req = createRequire(import.meta.url);
  const read = (pkg: string, file: string): string => {
    let entry: string;
    try { entry = req.resolve(pkg); } catch { throw new Error(`report: the '${pkg}' package is not installed (npm install ${pkg})`); }
    return readFileSync(join(dirname(entry), file), 'utf8');
  };
  bundles = { vega: read('vega', 'vega.min.js'), vegaLite: read('vega-lite', 'vega-lite.min.js') };
  return bundles;
}

/** A table cell's text for a value. */
export function formatValue(v: Leaf | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(6)));
  return String(v);
}

/** The comparison table: one column per run; rows = directory, the config keys that vary, then every summary.json field. */
export function comparisonTable(runs: RunData[]): string {
  const rows: { key: string; cells: (Leaf | undefined)[] }[] = [{ key: 'directory', cells: runs.map((r) => r.dir) }];
  const configs = runs.map((r) => flatten(r.config));
  for (const k of varyingKeys(runs)) rows.push({ key: `config.${k}`, cells: configs.map((c) => c[k]) });
  const sums = runs.map((r) => flatten(r.summary));
  const keys: string[] = [];
  for (const s of sums) for (const k of Object.keys(s)) if (!keys.includes(k)) keys.push(k);
  for (const k of keys) rows.push({ key: k, cells: sums.map((s) => s[k]) });
  const head = `<tr><th scope="col">field</th>${runs.map((r) => `<th scope="col">${escapeHtml(r.name)}</th>`).join('')}</tr>`;
  const body = rows.map(({ key, cells }) => {
    const differs = runs.length > 1 && new Set(cells.map((c) => JSON.stringify(c ?? null))).size > 1;
    const tds = cells.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(formatValue(c))}</td>`).join('');
    return `<tr${differs ? ' class="differs"' : ''}><th scope="row">${escapeHtml(key)}</th>${tds}</tr>`;
  }).join('\n');
  return `<table class="compare">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.plots { display: flex; flex-wrap: wrap; gap: 1.5rem; }
.plot { border: 1px solid #ddd; border-radius: 6px; padding: .75rem; }
.plot h3 { font-size: 1rem; margin: 0 0 .5rem; }
.plot .error { color: #b00020; white-space: pre-wrap; }
table.compare { border-collapse: collapse; font-size: .9rem; }
table.compare th, table.compare td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
table.compare td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.compare tr.differs { background: #fff8e1; }
.notes { color: #555; } code { font-size: .9em; }`;

/** The in-page renderer: compiles each Vega-Lite spec, draws it as SVG, marks each container data-rendered="true" or "error". */
const RENDER = `
(function () {
  var specs = JSON.parse(document.getElementById('adaptune-specs').textContent);
  var jobs = Object.keys(specs).map(function (id) {
    var el = document.getElementById(id);
    var fail = function (e) {
      el.setAttribute('data-rendered', 'error');
      var p = document.createElement('p'); p.className = 'error'; p.textContent = 'could not draw this plot: ' + (e && e.message || e);
      el.appendChild(p);
      console.error('adaptune report: ' + id + ': ' + (e && e.stack || e));
    };
    try {
      var vg = vegaLite.compile(specs[id]).spec;
      var view = new vega.View(vega.parse(vg), { renderer: 'svg', container: el, hover: true, logLevel: vega.Warn });
      return view.runAsync().then(function () { el.setAttribute('data-rendered', 'true'); }, fail);
    } catch (e) { fail(e); return Promise.resolve(); }
  });
  Promise.all(jobs).then(function () { document.body.setAttribute('data-rendered', 'true'); });
})();`;

/** Page options. */
export interface PageOptions { title?: string; generated?: Date }

/** The whole self-contained page. */
export function renderPage(runs: RunData[], plots: Plot[], notes: string[], o: PageOptions = {}): string {
  const { vega, vegaLite } = vegaBundles();
  const title = o.title ?? (runs.length === 1 ? `adaptune run ${runs[0]!.name}` : `adaptune: ${runs.length} runs compared`);
  const section = (kind: Plot['kind'], heading: string): string => {
    const ps = plots.filter((p) => p.kind === kind);
    if (!ps.length) return '';
    const items = ps.map((p) => `<figure class="plot"><h3>${escapeHtml(p.title)}</h3><div class="vega" id="${escapeHtml(p.id)}" data-kind="${kind}"></div></figure>`).join('\n');
    return `<h2>${escapeHtml(heading)}</h2>\n<div class="plots">\n${items}\n</div>`;
  };
  const specs = Object.fromEntries(plots.map((p) => [p.id, p.spec]));
  const noteList = notes.length ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  const runList = `<ul>${runs.map((r) => `<li><strong>${escapeHtml(r.name)}</strong>: <code>${escapeHtml(r.dir)}</code> (${r.metrics.length} records)</li>`).join('')}</ul>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="adaptune">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Generated ${escapeHtml((o.generated ?? new Date()).toISOString())}.</p>
${runList}
${noteList}
${section('train', 'Training')}
${section('eval', 'Evaluation')}
${section('heatmap', 'Config grid')}
${classMetricsSection(runs)}
<h2>Summary</h2>
${comparisonTable(runs)}
<script>${inlineJs(vega)}</script>
<script>${inlineJs(vegaLite)}</script>
<script type="application/json" id="adaptune-specs">${jsonForScript(specs)}</script>
<script>${RENDER}</script>
</body>
</html>
`;
}

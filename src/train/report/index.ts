/**
 * @module The HTML report of one or several run directories: loss and metric
 * curves (runs overlaid), a heat-map of a final metric over two config keys,
 * and a summary comparison table, in one self-contained file (vega and
 * vega-lite inlined; plots drawn as SVG; no network). The CLI's
 * `adaptune report RUN_DIR... --out FILE` calls writeReport().
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { atomicWrite } from '../atomic.js';
import { renderPage } from './html.js';
import { loadRuns } from './load.js';
import { buildPlots, type HeatmapChoice, type PlotOptions } from './specs.js';

export { loadRun, loadRuns, readMetrics, flatten, varyingKeys, metricNames, finalMetric, type RunData, type MetricRecord, type Leaf } from './load.js';
export { buildPlots, chooseHeatmap, heatmapSpec, defaultMetric, thin, type Plot, type PlotOptions, type HeatmapChoice, type VlSpec } from './specs.js';
export { classMetricsSection, splitTable, isSplitSummary, type SplitSummary } from './classes.js';
export { renderPage, comparisonTable, escapeHtml, jsonForScript, formatValue, vegaBundles, type PageOptions } from './html.js';

/** Options of writeReport(). */
export interface ReportOptions extends PlotOptions {
  /** The page title (default from the run names). */
  title?: string;
}

/** What writeReport() wrote. */
export interface ReportResult {
  file: string;
  runs: string[];
  plots: { id: string; title: string; kind: string }[];
  heatmap: Required<HeatmapChoice> | null;
  notes: string[];
  bytes: number;
}

/** The report's HTML for `runDirs` (no file written). */
export function buildReport(runDirs: string[], opts: ReportOptions = {}): { html: string; result: Omit<ReportResult, 'file' | 'bytes'> } {
  if (!runDirs.length) throw new Error('report: give at least one run directory');
  const runs = loadRuns(runDirs);
  const { plots, notes, heatmap } = buildPlots(runs, opts);
  const html = renderPage(runs, plots, notes, { title: opts.title });
  return {
    html,
    result: {
      runs: runs.map((r) => r.name),
      plots: plots.map(({ id, title, kind }) => ({ id, title, kind })),
      heatmap,
      notes,
    },
  };
}

/** Writes the self-contained HTML report of `runDirs` to `outFile` (atomically; parent directories created). */
export function writeReport(runDirs: string[], outFile: string, opts: ReportOptions = {}): ReportResult {
  const { html, result } = buildReport(runDirs, opts);
  const file = resolve(outFile);
  mkdirSync(dirname(file), { recursive: true });
  atomicWrite(file, html);
  return { ...result, file, bytes: Buffer.byteLength(html) };
}

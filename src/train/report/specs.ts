/**
 * @module The report's Vega-Lite specifications: one line chart per train
 * metric (per step) and per eval metric (per evaluation), every run overlaid,
 * and a heat-map of a final metric over two config keys. Data are inlined
 * (values), long series are thinned to at most `maxPoints` per run.
 */
import { finalMetric, flatten, metricNames, varyingKeys, type Leaf, type RunData } from './load.js';

/** A Vega-Lite specification (kept loose: the page hands it to vega-lite's compile()). */
export type VlSpec = Record<string, unknown>;

/** One plot of the report. */
export interface Plot {
  id: string;
  title: string;
  kind: 'train' | 'eval' | 'heatmap';
  spec: VlSpec;
}

/** Which heat-map to draw: two config keys (dotted, e.g. 'optim.lr') and the metric of the cells. */
export interface HeatmapChoice { x: string; y: string; metric?: string }

/** Options of the plots. */
export interface PlotOptions {
  /** Train metrics to plot per step (default ['loss'], those present). */
  trainMetrics?: string[];
  /** Eval metrics to plot (default: every numeric eval field). */
  evalMetrics?: string[];
  /** The heat-map: keys and metric, false for none; default inferred when exactly two config keys vary. */
  heatmap?: HeatmapChoice | false;
  /** At most this many points per run and series (default 2000). */
  maxPoints?: number;
  /** Chart size in pixels (default 640 x 260). */
  width?: number;
  height?: number;
}

/** At most `max` evenly spaced items, always keeping the last. */
export function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max || max < 2) return xs;
  const out: T[] = [];
  const stride = (xs.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(xs[Math.round(i * stride)]!);
  return out;
}

/** A line chart of `metric` over steps for the records of `split`, one colored line per run. */
function curve(runs: RunData[], split: string, metric: string, o: Required<Pick<PlotOptions, 'maxPoints' | 'width' | 'height'>>): VlSpec | null {
  const values: { run: string; step: number; value: number; epoch: number | null }[] = [];
  for (const r of runs) {
    const pts = r.metrics.filter((m) => m.split === split && typeof m[metric] === 'number' && Number.isFinite(m[metric]));
    for (const m of thin(pts, o.maxPoints)) values.push({ run: r.name, step: m.step, value: m[metric] as number, epoch: typeof m.epoch === 'number' ? m.epoch : null });
  }
  if (!values.length) return null;
  const evalPoints = split !== 'train' || values.length / runs.length < 60;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: o.width, height: o.height,
    data: { values },
    mark: { type: 'line', point: evalPoints, tooltip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: `${split} ${metric}`, scale: { zero: false } },
      // one domain for every plot: a run keeps its colour even in plots where other runs have no points
      color: { field: 'run', type: 'nominal', title: 'run', sort: runs.map((r) => r.name), scale: { domain: runs.map((r) => r.name) } },
      tooltip: [{ field: 'run' }, { field: 'step' }, { field: 'epoch' }, { field: 'value', title: metric, format: '.5g' }],
    },
  };
}

/** The metric a heat-map shows by default: the first run's summary.best.metric, its config's earlyStop.metric or checkpoint.monitor, else the first eval metric. */
export function defaultMetric(runs: RunData[]): string | null {
  for (const r of runs) {
    const best = r.summary?.['best'];
    if (best && typeof best === 'object' && typeof (best as Record<string, unknown>)['metric'] === 'string') return (best as { metric: string }).metric;
    const c = flatten(r.config);
    for (const k of ['checkpoint.monitor', 'earlyStop.metric']) if (typeof c[k] === 'string' && c[k]) return c[k] as string;
  }
  return metricNames(runs, 'eval')[0] ?? null;
}

/** Resolves the heat-map choice: explicit keys, or the two varying config keys; null when none applies (with the reason). */
export function chooseHeatmap(runs: RunData[], choice: HeatmapChoice | false | undefined): { x: string; y: string; metric: string } | { reason: string } {
  if (choice === false) return { reason: 'disabled' };
  if (runs.length < 2) return { reason: 'a heat-map needs at least two runs' };
  let x: string, y: string;
  if (choice) ({ x, y } = choice);
  else {
    const vary = varyingKeys(runs);
    if (vary.length < 2) return { reason: 'disabled' }; // nothing to lay out on two axes
    if (vary.length > 2) return { reason: `no heat-map: the runs differ in ${vary.length} config values (${vary.join(', ')}); name two keys to draw one` };
    [x, y] = vary as [string, string];
  }
  const metric = choice && choice.metric ? choice.metric : defaultMetric(runs);
  if (!metric) return { reason: 'no heat-map: no eval metric found' };
  return { x, y, metric };
}

/** Display text of a config value. */
const show = (v: Leaf | undefined): string => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));

/** A heat-map: cells are (x value, y value), colored by the mean final metric of the runs in that cell. */
export function heatmapSpec(runs: RunData[], x: string, y: string, metric: string, o: { width: number; height: number }): VlSpec | null {
  const cells = new Map<string, { x: string; y: string; xn: number | null; yn: number | null; sum: number; n: number; runs: string[] }>();
  for (const r of runs) {
    const v = finalMetric(r, metric);
    if (v === null) continue;
    const c = flatten(r.config);
    const key = JSON.stringify([c[x], c[y]]);
    const cell = cells.get(key) ?? { x: show(c[x]), y: show(c[y]), xn: typeof c[x] === 'number' ? c[x] : null, yn: typeof c[y] === 'number' ? c[y] : null, sum: 0, n: 0, runs: [] };
    cell.sum += v; cell.n++; cell.runs.push(r.name);
    cells.set(key, cell);
  }
  if (!cells.size) return null;
  const values = [...cells.values()].map((c) => ({ x: c.x, y: c.y, value: c.sum / c.n, n: c.n, runs: c.runs.join(', ') }));
  const order = (k: 'x' | 'y', kn: 'xn' | 'yn'): string[] => {
    const all = [...cells.values()];
    const numeric = all.every((c) => c[kn] !== null);
    return [...new Set(all.sort((a, b) => (numeric ? a[kn]! - b[kn]! : a[k].localeCompare(b[k]))).map((c) => c[k]))];
  };
  const xs = order('x', 'xn'), ys = order('y', 'yn');
  const vs = values.map((v) => v.value);
  const mid = (Math.min(...vs) + Math.max(...vs)) / 2; // viridis is light at the top: dark text there
  const w = Math.min(o.width, Math.max(160, xs.length * 90)), h = Math.min(o.height + 100, Math.max(120, ys.length * 50));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: w, height: h,
    data: { values },
    encoding: {
      x: { field: 'x', type: 'ordinal', title: x, sort: xs, axis: { labelAngle: 0 } },
      y: { field: 'y', type: 'ordinal', title: y, sort: ys.slice().reverse() },
    },
    layer: [
      { mark: { type: 'rect', tooltip: true }, encoding: {
        color: { field: 'value', type: 'quantitative', title: `final ${metric}`, scale: { scheme: 'viridis' } },
        tooltip: [{ field: 'x', title: x }, { field: 'y', title: y }, { field: 'value', title: `final ${metric}`, format: '.5g' }, { field: 'n', title: 'runs' }, { field: 'runs', title: 'names' }],
      } },
      { mark: { type: 'text', baseline: 'middle' }, encoding: {
        text: { field: 'value', type: 'quantitative', format: '.4g' },
        color: { condition: { test: `datum.value > ${mid}`, value: 'black' }, value: 'white' },
      } },
    ],
  };
}

/** Every plot of the report, in page order, plus notes (e.g. why there is no heat-map). */
export function buildPlots(runs: RunData[], opts: PlotOptions = {}): { plots: Plot[]; notes: string[]; heatmap: Required<HeatmapChoice> | null } {
  const o = { maxPoints: opts.maxPoints ?? 2000, width: opts.width ?? 640, height: opts.height ?? 260 };
  const plots: Plot[] = [];
  const notes: string[] = [];
  let heatmap: Required<HeatmapChoice> | null = null;
  const add = (kind: Plot['kind'], title: string, spec: VlSpec | null): void => { if (spec) plots.push({ id: `plot-${plots.length}`, kind, title, spec }); };
  const trainNames = metricNames(runs, 'train');
  for (const m of opts.trainMetrics ?? ['loss']) {
    if (trainNames.includes(m)) add('train', `train ${m} per step`, curve(runs, 'train', m, o));
    else if (opts.trainMetrics) notes.push(`no train records carry '${m}'`);
  }
  const evalNames = metricNames(runs, 'eval');
  for (const m of opts.evalMetrics ?? evalNames) {
    if (evalNames.includes(m)) add('eval', `eval ${m}`, curve(runs, 'eval', m, o));
    else notes.push(`no eval records carry '${m}'`);
  }
  const hm = chooseHeatmap(runs, opts.heatmap);
  if ('reason' in hm) { if (hm.reason !== 'disabled' && runs.length > 1) notes.push(hm.reason); }
  else {
    const spec = heatmapSpec(runs, hm.x, hm.y, hm.metric, o);
    if (spec) { add('heatmap', `final ${hm.metric} by ${hm.x} × ${hm.y}`, spec); heatmap = hm; } else notes.push(`no heat-map: no run has a final '${hm.metric}'`);
  }
  return { plots, notes, heatmap };
}

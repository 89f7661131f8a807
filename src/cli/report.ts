/** @module `adaptune report RUN_DIR...`: a self-contained HTML page of one run or a comparison (and, on request, TensorBoard event files). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, strictParse } from './flags.js';

/** Options of `adaptune report`. */
export interface ReportArgs {
  runDirs: string[];
  out: string;
  heatmap: { x: string; y: string; metric?: string } | null;
  title: string | undefined;
  tensorboard: boolean;
  json: boolean;
}

export const REPORT_USAGE = `Usage: adaptune report RUN_DIR... [flags]

Writes a self-contained HTML page (vega-lite plots as SVG, no network access)
for one run directory or a comparison of several: train-loss and eval-metric
curves overlaid, a heat-map of the final metric over two config values, and a
table of the runs' summaries.

Flags:
  --out FILE          the page (default: RUN_DIR/report.html for one run, ./report.html for several)
  --heatmap X,Y[,M]   config keys for the heat-map axes (dotted, e.g. optim.lr,optim.momentum)
                      and the metric (default: inferred when exactly two config values vary)
  --title TEXT        the page title
  --tensorboard       also write each run's metrics as TensorBoard event files (RUN_DIR/tensorboard/), for runs
                      whose training did not write them already (a run's own events file is kept, not duplicated)
  --json              print ONE JSON object on stdout
`;

const OPTIONS = {
  out: { type: 'string' }, heatmap: { type: 'string' }, title: { type: 'string' },
  tensorboard: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

/** Parses `adaptune report` flags. */
export function parseReport(args: string[]): ReportArgs | 'help' {
  const { values: v, positionals } = strictParse('report', args, OPTIONS);
  if (v.help) return 'help';
  if (!positionals.length) throw new CliError("'adaptune report' needs at least one run directory");
  for (const d of positionals) {
    if (!existsSync(join(d, 'metrics.jsonl'))) throw new CliError(`${d}: not a run directory (no metrics.jsonl)`);
  }
  let heatmap: ReportArgs['heatmap'] = null;
  if (v.heatmap !== undefined) {
    const parts = v.heatmap.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length < 2 || parts.length > 3) throw new CliError(`--heatmap must be X,Y or X,Y,METRIC, got '${v.heatmap}'`);
    heatmap = { x: parts[0]!, y: parts[1]!, ...(parts[2] ? { metric: parts[2] } : {}) };
  }
  const out = v.out ?? (positionals.length === 1 ? join(positionals[0]!, 'report.html') : 'report.html');
  return { runDirs: positionals, out, heatmap, title: v.title, tensorboard: v.tensorboard ?? false, json: v.json ?? false };
}

/** Runs `adaptune report`; returns the exit status. */
export async function reportCommand(a: ReportArgs): Promise<number> {
  const { writeReport, ensureTensorBoard } = await import('../train/index.js');
  const r = writeReport(a.runDirs, a.out, { ...(a.heatmap ? { heatmap: a.heatmap } : {}), ...(a.title ? { title: a.title } : {}) });
  const tb = a.tensorboard ? a.runDirs.map((d) => ensureTensorBoard(d)) : []; // keeps the file written during training
  for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
  if (a.json) {
    process.stdout.write(JSON.stringify({ file: r.file, runs: r.runs, plots: r.plots, heatmap: r.heatmap, notes: r.notes, bytes: r.bytes, tensorboard: tb }) + '\n');
  } else {
    process.stdout.write(`wrote ${r.file} (${r.plots.length} plots, ${r.runs.length} run(s), ${Math.round(r.bytes / 1024)} KiB)\n`);
    for (const t of tb) process.stdout.write(t.existing ? `kept ${t.file} (written during training)\n` : `wrote ${t.file} (${t.scalars} scalars)\n`);
  }
  return 0;
}

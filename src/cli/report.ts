/** @module `adaptune report RUN_DIR...`: a self-contained HTML page of one run or a comparison (and, on request, TensorBoard event files). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, convertFlags, formatHelp, readFlags } from '../core/options.js';
import { REPORT_OPTIONS } from '../train/report/options.js';

/** Options of `adaptune report`. */
export interface ReportArgs {
  runDirs: string[];
  out: string;
  heatmap: { x: string; y: string; metric?: string } | null;
  title: string | undefined;
  tensorboard: boolean;
  json: boolean;
}

export const REPORT_USAGE = formatHelp(`Usage: adaptune report RUN_DIR... [flags]

Writes a self-contained HTML page (vega-lite plots as SVG, no network access)
for one run directory or a comparison of several: train-loss and eval-metric
curves overlaid, a heat-map of the final metric over two config values, and a
table of the runs' summaries.
`, [REPORT_OPTIONS]);

/** Parses `adaptune report` flags. */
export function parseReport(args: string[]): ReportArgs | 'help' {
  const raw = readFlags('report', [REPORT_OPTIONS], args);
  if (raw === 'help') return 'help';
  const positionals = raw.positionals;
  if (!positionals.length) throw new CliError("'adaptune report' needs at least one run directory");
  const v = convertFlags(REPORT_OPTIONS, raw.values);
  const out = v.out ?? (positionals.length === 1 ? join(positionals[0]!, 'report.html') : 'report.html');
  return { runDirs: positionals, out, heatmap: v.heatmap ?? null, title: v.title, tensorboard: v.tensorboard ?? false, json: v.json ?? false };
}

/** Runs `adaptune report`; returns the exit status. */
export async function reportCommand(a: ReportArgs): Promise<number> {
  for (const d of a.runDirs) {
    if (!existsSync(join(d, 'metrics.jsonl'))) throw new CliError(`${d}: not a run directory (no metrics.jsonl)`);
  }
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

/** @module `adaptune anomaly`: runAnomaly (src/methods/anomaly); prints a table per category. */
import { join } from 'node:path';
import { runAnomaly as libRunAnomaly, type AnomalyReport } from '../methods/anomaly/index.js';
import type { AnomalyArgs } from './anomaly-args.js';
import { commandLine } from './common.js';

/** Runs the command with the parsed flags; `argv` is recorded. */
export async function runAnomaly(a: AnomalyArgs, o: { argv?: string[]; quiet?: boolean } = {}): Promise<AnomalyReport> {
  return libRunAnomaly({ ...a, ...o, command: commandLine(o.argv) });
}

/** `adaptune anomaly`: a table per category (or one JSON object); returns the exit status. */
export async function anomalyCommand(a: AnomalyArgs): Promise<number> {
  const r = await runAnomaly(a, { quiet: a.json });
  if (a.json) { process.stdout.write(JSON.stringify(r) + '\n'); return 0; }
  const f = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(4));
  const lines = [`${'category'.padEnd(14)} ${'GaussAD'.padStart(8)} ${'FT-sel'.padStart(8)} ${'(ep)'.padStart(5)} ${'FT-last'.padStart(8)} ${'pixAUROC'.padStart(9)} ${'PRO'.padStart(7)} ${'pixFT'.padStart(7)} ${'PRO-FT'.padStart(7)}`];
  for (const x of r.rows) {
    const s = x.segmentation;
    lines.push(`${x.category.padEnd(14)} ${f(x.gaussianAD.auroc).padStart(8)} ${f(x.finetune?.selected.auroc).padStart(8)} ${String(x.finetune?.selectedEpoch ?? '-').padStart(5)} ${f(x.finetune?.last.auroc).padStart(8)} ${f(s?.pretrained.pixelAuroc).padStart(9)} ${f(s?.pretrained.pro).padStart(7)} ${f(s?.finetuned?.pixelAuroc).padStart(7)} ${f(s?.finetuned?.pro).padStart(7)}`);
  }
  for (const x of r.rows) {
    if (x.baselines) lines.push(`${x.category}: ${Object.entries(x.baselines).map(([k, v]) => `${k} ${f(v.auroc)}`).join(', ')}`);
  }
  lines.push('', `results: ${join(r.outDir, 'results.json')} (${r.elapsedSec.toFixed(1)} s)`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

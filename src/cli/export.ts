/** @module `adaptune export`: runExport (src/export/run.ts); prints the summary. */
import { runExport } from '../export/run.js';
import type { ExportArgs } from './export-args.js';

export { runExport, ExportVerificationError, type ExportReport } from '../export/run.js';

/** `adaptune export`: prints the summary (or one JSON object with --json); returns the exit status. */
export async function exportCommand(a: ExportArgs): Promise<number> {
  const r = await runExport(a);
  if (a.json) { process.stdout.write(JSON.stringify(r) + '\n'); return 0; }
  const v = r.verification;
  const lines = [
    `exported ${r.model} (${r.task}) to ${r.out}: ${(r.fileBytes / 1024).toFixed(1)} KiB, opset ${r.opset}, ${r.nodes} nodes, ${r.parameters} weights${r.foldBn ? ', BN folded' : ''}`,
    `ops: ${Object.entries(r.ops).map(([k, c]) => `${k} ${c}`).join(', ')}`,
    `ONNX Runtime vs adaptune: max abs diff ${v.maxAbsDiff.toExponential(3)} (tolerance ${v.tolerance})`,
    ...v.batches.map((b) => `  ${b.name}: max abs diff ${b.maxAbsDiff.toExponential(3)}, top-1 agreement ${(100 * b.top1Agreement).toFixed(1)}%`),
  ];
  if (v.timing) {
    const t = v.timing;
    lines.push(`time per forward pass of ${t.batch} images (median of ${t.runs}, ${t.threads} thread${t.threads === 1 ? '' : 's'}): ONNX Runtime ${t.onnxruntimeMs.toFixed(2)} ms, adaptune ${t.adaptuneMs.toFixed(2)} ms`);
  }
  if (r.web) lines.push(`web page: ${r.web.dir} (${r.web.files.length} files, ${(r.web.totalBytes / 2 ** 20).toFixed(1)} MiB); serve it, e.g. npx http-server ${r.web.dir} -a 127.0.0.1`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** @module `adaptune predict`: runPredict (src/export/predict.ts); one line per image. */
import { runPredict } from '../export/predict.js';
import type { PredictArgs } from './predict-args.js';

export { runPredict, type PredictReport } from '../export/predict.js';

/** `adaptune predict`: one line per image (or one JSON object with --json); returns the exit status. */
export async function predictCommand(a: PredictArgs): Promise<number> {
  const r = await runPredict(a);
  if (a.json) { process.stdout.write(JSON.stringify(r) + '\n'); return 0; }
  const width = Math.max(...r.predictions.map((p) => p.image.length));
  for (const p of r.predictions) {
    process.stdout.write(`${p.image.padEnd(width)}  ${p.top.map((t) => `${t.name} ${(100 * t.probability).toFixed(1)}%`).join('  ')}\n`);
  }
  return 0;
}

// P_MD vs P_FA (mean over seeds) from DIR/seed*/eval.json: node docs/results/jadce/roc.mjs DIR OUT.svg "title" (after the build)
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { rocPlot } from '../../../dist/src/methods/jadce/sweep.js';
const [dir, out, title] = process.argv.slice(2);
const reps = readdirSync(dir).filter((d) => d.startsWith('seed') && existsSync(join(dir, d, 'eval.json'))).map((d) => JSON.parse(readFileSync(join(dir, d, 'eval.json'), 'utf8')));
const methods = reps[0].rows.map((r) => r.method);
writeFileSync(out, rocPlot(methods.map((m) => ({ method: m, rows: reps.map((r) => r.rows.find((x) => x.method === m)).filter(Boolean) })), title ?? `P_MD vs P_FA (${reps.length} seeds)`));

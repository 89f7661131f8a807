/**
 * The synthetic routing study of docs/results/adafilter.md: can AdaFilter's gate learn a known per-example routing?
 * (the task: src/methods/adafilter/routing.ts). Runs every condition x seeds 0-2 and writes one JSON record per run.
 * usage: node dist/bench/adafilter-routing.js OUT.jsonl RUNS_DIR [steps=400] [warm=100]
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../src/core/torch.js';
import { runRouting, type RoutingRoute } from '../src/methods/adafilter/routing.js';

const [out, runs, stepsArg, warmArg] = process.argv.slice(2);
if (!out || !runs) throw new Error('usage: node dist/bench/adafilter-routing.js OUT.jsonl RUNS_DIR [steps] [warm]');
const steps = Number(stepsArg ?? 400);
const warm = Number(warmArg ?? 100);
torch.setNumThreads(1);
const conditions: [string, RoutingRoute, number, number][] = [
  ['oracle routing', 'oracle', 10, 0], ['all fine-tuned (one bank)', 'all-ft', 10, 0],
  ['gate lr x10', 'gate', 10, 0], [`gate lr x10, warm-up ${warm}`, 'gate', 10, warm],
  ['gate lr x100', 'gate', 100, 0], [`gate lr x100, warm-up ${warm}`, 'gate', 100, warm],
  ['gate lr x1', 'gate', 1, 0], [`gate lr x1, warm-up ${warm}`, 'gate', 1, warm],
  ['untrained gate', 'gate', 0, 0], [`untrained gate, warm-up ${warm}`, 'gate', 0, warm],
];
writeFileSync(out, '');
for (const [name, route, gateLrScale, gateWarmupSteps] of conditions) {
  for (const seed of [0, 1, 2]) {
    const dir = join(runs, `${name.replace(/[^a-z0-9]+/gi, '-')}-s${seed}`);
    rmSync(dir, { recursive: true, force: true });
    const t0 = Date.now();
    const r = await runRouting({ seed, runDir: dir, steps, route, method: { gateLrScale, gateWarmupSteps } });
    const m = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>).filter((l) => 'gate_grad_norm' in l);
    const traj = m.map((l) => [l['step'], +l['gate_grad_norm']!.toExponential(3), +l['ft_dist']!.toFixed(4), +l['gate_mean']!.toFixed(3)]);
    const rec = { condition: name, route, gateLrScale, gateWarmupSteps, steps, seed, ...r, seconds: (Date.now() - t0) / 1000, trajectory: traj };
    appendFileSync(out, JSON.stringify(rec) + '\n');
    console.log(`${name} s${seed}: acc ${r.accuracy.toFixed(3)} (A ${r.accuracyA.toFixed(3)}, B ${r.accuracyB.toFixed(3)}) agreement ${r.agreement.toFixed(3)} ftA ${r.ftA.toFixed(2)} ftB ${r.ftB.toFixed(2)} dist ${r.ftDist.toFixed(3)}`);
  }
}

/** @module `adaptune robustness`: clean, FGSM and PGD-k (restarts) accuracy of a model's weights, an eps sweep, and the gradient-masking sanity check. */
import type { RobustnessRunReport } from '../methods/adversarial/index.js';
import type { RobustnessArgs } from './robustness-args.js';
import { commandLine } from './common.js';

/** What the command reports. */
export type RobustnessCommandReport = RobustnessRunReport;

/** Runs the evaluation with the parsed flags (data not given: the weights' own task). */
export async function runRobustness(a: RobustnessArgs, o: { argv?: string[] } = {}): Promise<RobustnessRunReport> {
  const { runRobustness: run } = await import('../methods/adversarial/index.js');
  return run({ ...a, command: commandLine(o.argv) });
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The human-readable table of a report. */
export function formatRobustness(r: RobustnessCommandReport): string {
  const rows = [
    ['clean', pct(r.clean)], [`FGSM eps ${r.eps}`, pct(r.fgsm)],
    ...r.pgd.map((p) => [`PGD-${p.steps}${r.restarts > 1 ? ` x${r.restarts} restarts` : ''} eps ${r.eps}`, pct(p.accuracy)]),
    ...r.epsSweep.filter((e) => e.eps !== r.eps).map((e) => [`PGD-${r.pgd[r.pgd.length - 1]!.steps} eps ${e.eps}`, pct(e.accuracy)]),
  ];
  const w = Math.max(...rows.map((x) => x[0]!.length));
  return [
    `robustness of ${r.weights} on ${r.data} (${r.split}, ${r.examples} images, ${r.norm}, inputs in [0, 1]):`,
    ...rows.map(([a, b]) => `  ${a!.padEnd(w)}  ${b}`),
    r.maskingFlags.length ? `gradient-masking check: ${r.maskingFlags.length} flag(s)\n${r.maskingFlags.map((f) => `  - ${f}`).join('\n')}` : 'gradient-masking check: passed (accuracy falls as steps and eps grow; PGD at least as strong as FGSM)',
    `${r.cost.forwardExamples} forward + ${r.cost.backwardExamples} backward example passes in ${r.seconds.toFixed(1)} s`,
  ].join('\n') + '\n';
}

/** `adaptune robustness`: prints the table (or one JSON object with --json); exit 0 (flags are reported, not failures). */
export async function robustnessCommand(a: RobustnessArgs): Promise<number> {
  const r = await runRobustness(a);
  process.stdout.write(a.json ? JSON.stringify(r) + '\n' : formatRobustness(r));
  return 0;
}

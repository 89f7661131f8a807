/** @module `adaptune adversarial`: runAdversarial (src/methods/adversarial); prints the report. */
import { runAdversarial as libRunAdversarial, type AdversarialReport, type RobustRow } from '../methods/adversarial/index.js';
import type { AdversarialArgs } from './adversarial-args.js';
import { commandLine } from './common.js';

export { adversarialConfig } from '../methods/adversarial/index.js';

/** Runs (or resumes) with the parsed flags; `argv` is recorded as the exact command. */
export async function runAdversarial(a: AdversarialArgs, o: { argv?: string[]; quiet?: boolean; handleSignals?: boolean } = {}): Promise<AdversarialReport> {
  return libRunAdversarial({ ...a, ...o, command: commandLine(o.argv) });
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The human-readable summary of a report. */
export function formatAdversarial(r: AdversarialReport): string {
  const row = (name: string, x: RobustRow): string => `${name}: clean ${pct(x.clean)}, FGSM ${pct(x.fgsm)}, PGD-${x.pgdSteps}${x.restarts > 1 ? `x${x.restarts}` : ''} ${pct(x.pgd)} (${x.images} images)${x.maskingFlags.length ? `\n  gradient-masking flags: ${x.maskingFlags.join('; ')}` : ''}`;
  const c = r.cost;
  const lines = [
    `adversarial ${r.status}: ${r.loss} ${r.init} on ${r.data}, ${r.norm} eps ${r.eps}, schedule ${r.schedule}, ${r.steps} steps (${r.epochs} epochs)`,
    ...(r.trainPerClass !== null ? [`training images: ${r.trainImages} (${r.trainPerClass} per class, drawn with the seed)`] : []),
    ...(r.best ? [`selected: step ${r.best.step} (held-out robust accuracy ${pct(r.best.robustAccuracy)}${r.best.accuracy !== null ? `, clean ${pct(r.best.accuracy)}` : ''})`] : []),
    ...(r.test ? [row('test', r.test)] : ['test: not evaluated (run interrupted; --resume continues it)']),
    ...(r.testLast ? [row('test (last weights)', r.testLast)] : []),
    ...(r.train ? [row('train images', r.train), `train-test robust gap: ${(100 * (r.train.pgd - r.test!.pgd)).toFixed(2)} points`] : []),
    `cost: ${c.trainForwardPasses} forward + ${c.trainBackwardPasses} backward example passes in training; monitor ${c.monitorForwardPasses} + ${c.monitorBackwardPasses}; wall ${c.wallSec.toFixed(1)} s (monitor ${c.monitorSec.toFixed(1)} s)`,
    ...(r.pretrain ? [`pre-training behind the weights: ${r.pretrain.examplePasses} example passes (${r.pretrain.steps} steps x ${r.pretrain.batchSize}, x2 forward+backward)`] : []),
    ...(r.costRatio ? [`cost ratio vs from-scratch run ${r.costRatio.against}: ${r.costRatio.passes.toFixed(2)}x the passes, ${r.costRatio.trainWall.toFixed(2)}x the training wall time${r.costRatio.passesWithPretrain !== null ? `; ${r.costRatio.passesWithPretrain.toFixed(2)}x counting the pre-training` : ''}`] : []),
    `run directory: ${r.runDir}`,
  ];
  return lines.join('\n') + '\n';
}

/** `adaptune adversarial`: prints the summary (or one JSON object with --json); returns the exit status. */
export async function adversarialCommand(a: AdversarialArgs): Promise<number> {
  const r = await runAdversarial(a);
  process.stdout.write(a.json ? JSON.stringify(r) + '\n' : formatAdversarial(r));
  return r.exitCode;
}

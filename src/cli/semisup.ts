/** @module `adaptune semisup`: runSemisup (src/methods/semisup); prints the report. */
import { LAST_EVALS, runSemisup as libRunSemisup, type SemisupReport } from '../methods/semisup/index.js';
import { commandLine } from './common.js';
import type { SemisupArgs } from './semisup-args.js';

/** Runs (or resumes) with the parsed flags; `argv` is recorded as the exact command. */
export async function runSemisup(a: SemisupArgs, o: { argv?: string[]; quiet?: boolean; handleSignals?: boolean } = {}): Promise<SemisupReport> {
  return libRunSemisup({ ...a, ...o, command: commandLine(o.argv) });
}

/** `adaptune semisup`: prints the summary (or one JSON object with --json); returns the exit status. */
export async function semisupCommand(a: SemisupArgs): Promise<number> {
  const r = await runSemisup(a);
  if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    const g = (x: [number, number] | null) => (x ? `${pct(x[0])} -> ${pct(x[1])}` : 'off');
    process.stdout.write(`semisup ${r.status}: ${r.algorithm}${r.akc ? '+AKC' : ''}${r.arc ? '+ARC' : ''} on ${r.data} (${r.labelsPerClass} labels/class), ${r.steps} steps in ${r.elapsedSec.toFixed(1)} s\n`
      + (r.valAccuracy !== null ? `validation accuracy: ${pct(r.valAccuracy)} (mean of the last ${Math.min(LAST_EVALS, r.evaluations)} evaluations ${pct(r.meanLastValAccuracy!)}) on ${r.valImages} images\n` : '')
      + `test accuracy: ${pct(r.testAccuracy)}, macro-F1 ${pct(r.test.macroF1)} on ${r.testImages} images (evaluated once, at the end)\n`
      + `gate ratios (first -> last 10% of steps): AKC ${g(r.gates.akc)}, ARC ${g(r.gates.arc)}, SSL mask ${g(r.gates.ssl)}\nrun directory: ${r.runDir}\n`);
  }
  return r.exitCode;
}

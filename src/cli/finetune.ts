/** @module `adaptune finetune`: runFinetune (src/methods/finetune) or, with --method adafilter, runAdafilter (src/methods/adafilter); prints the report. */
import { adafilterConfig, runAdafilter, type AdafilterReport } from '../methods/adafilter/index.js';
import { finetuneConfig, runFinetune as libRunFinetune, type FinetuneReport } from '../methods/finetune/index.js';
import { savedRunArgs } from '../train/index.js';
import type { FinetuneArgs } from './args-train.js';
import { commandLine } from './common.js';
import { CliError } from './flags.js';

/** Runs (or resumes) the method the flags name (with --resume: the run's recorded method). */
export async function runFinetune(a: FinetuneArgs, o: { argv?: string[]; quiet?: boolean; handleSignals?: boolean } = {}): Promise<FinetuneReport | AdafilterReport> {
  const hooks = { ...o, command: commandLine(o.argv) };
  if (a.method === 'adafilter') return runAdafilter({ ...a, ...hooks });
  if (!a.resume || savedRunArgs(a.resume)?.['method'] !== 'adafilter') return libRunFinetune({ ...a, ...hooks });
  // --resume of an AdaFilter run: its own config; only the flags both methods take can come with it
  if (a.head === 'imprint') throw new CliError("--head must be reinit or keep with --method adafilter, got 'imprint'");
  return runAdafilter({ ...a, head: a.head, ...hooks });
}

/** The config a run with these flags would get, validated (library calls; nothing loaded or written); a resumed run's is its own. */
export async function checkFinetune(a: FinetuneArgs): Promise<void> {
  if (a.resume) return;
  if (a.method === 'adafilter') await adafilterConfig(a);
  else await finetuneConfig(a);
}

/** `adaptune finetune`: prints the summary (or one JSON object with --json); returns the exit status. */
export async function finetuneCommand(a: FinetuneArgs): Promise<number> {
  const r = await runFinetune(a);
  if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(`finetune ${r.status}: ${r.strategy} on ${r.data} (${r.labelsPerClass} labels/class), ${r.steps} steps (${r.epochs} epoch${r.epochs === 1 ? '' : 's'}) in ${r.elapsedSec.toFixed(1)} s\n`
      + `test accuracy: ${(100 * r.testAccuracy).toFixed(2)}% on ${r.testImages} images (loss ${r.testLoss.toFixed(4)})\n`
      + (r.gates ? `fine-tuned filters: ${(100 * r.gates.fraction).toFixed(1)}% of the gated filters per example (gate entropy ${r.gates.entropy.toFixed(3)} bits)\n` : '')
      + `run directory: ${r.runDir}\n`);
  }
  return r.exitCode;
}

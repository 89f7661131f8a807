/** @module `adaptune pretrain`: runPretrain (src/methods/finetune/pretrain.ts); prints the report. */
import { runPretrain as libRunPretrain, type PretrainReport } from '../methods/finetune/index.js';
import type { PretrainArgs } from './args-train.js';
import { commandLine } from './common.js';

/** Runs a pretraining with the parsed flags; `argv` is recorded as the exact command. */
export async function runPretrain(a: PretrainArgs, o: { argv?: string[]; quiet?: boolean; handleSignals?: boolean } = {}): Promise<PretrainReport> {
  return libRunPretrain({ ...a, ...o, command: commandLine(o.argv) });
}

/** `adaptune pretrain`: prints the result (or one JSON object with --json); returns the exit status. */
export async function pretrainCommand(a: PretrainArgs): Promise<number> {
  const r = await runPretrain(a);
  if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(`pretrain ${r.status}: ${r.sidecar.model.name} on ${String(r.sidecar.task['name'])}, ${r.steps} steps in ${r.elapsedSec.toFixed(1)} s\n`
      + `source test accuracy: ${(100 * r.testAccuracy).toFixed(2)}% (loss ${r.testLoss.toFixed(4)})\n`
      + `weights: ${r.weights} (sha256 ${r.sidecar.sha256.slice(0, 16)}...)\n${r.exported ? `exported: ${r.exported} + ${r.exported.replace(/\.safetensors$/, '')}.json\n` : ''}`);
  }
  return r.exitCode;
}

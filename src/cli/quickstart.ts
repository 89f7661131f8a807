/** @module `adaptune quickstart`: runQuickstart (src/recipes/quickstart.ts); prints the table. */
import { formatResults, runQuickstart } from '../recipes/quickstart.js';
import type { QuickstartArgs } from './args-train.js';
import { commandLine } from './common.js';
import { progress } from './io.js';

/** `adaptune quickstart`: prints the table (or one JSON object with --json); returns the exit status. */
export async function quickstartCommand(a: QuickstartArgs): Promise<number> {
  const r = await runQuickstart({ ...a, command: commandLine(), log: progress() });
  process.stdout.write(a.json ? JSON.stringify(r) + '\n' : formatResults(r));
  return r.status === 'interrupted' ? 130 : 0;
}

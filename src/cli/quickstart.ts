/** @module `adaptune quickstart` (being written). */
import type { QuickstartArgs } from './args-train.js';
/** Not implemented yet. */
export async function quickstartCommand(a: QuickstartArgs): Promise<number> { void a; process.stderr.write('adaptune quickstart: not implemented yet\n'); return 1; }

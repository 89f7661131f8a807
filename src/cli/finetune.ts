/** @module `adaptune finetune` (being written). */
import type { FinetuneArgs } from './args-train.js';
/** Not implemented yet. */
export async function finetuneCommand(a: FinetuneArgs): Promise<number> { void a; process.stderr.write('adaptune finetune: not implemented yet\n'); return 1; }

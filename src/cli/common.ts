/** @module What the commands share: the command line as typed (recorded in run directories and sidecars), threads. */
import * as torch from '../core/torch.js';

/** The command line as typed (for sidecars and summaries). */
export function commandLine(argv: readonly string[] = process.argv.slice(2)): string {
  const q = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['adaptune', ...argv].map(q).join(' ');
}

/** Sets libtorch's intra-op threads when asked (else ADAPTUNE_NUM_THREADS or the cores). */
export function applyThreads(n: number | undefined): void {
  if (n !== undefined) torch.setNumThreads(n);
}

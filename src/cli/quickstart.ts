/** @module HOOK for `adaptune quickstart`: another engineer implements the end-to-end fine-tuning demo here. */

/** Runs `adaptune quickstart [args]`; returns the exit status. Not implemented yet. */
export async function quickstartCommand(args: string[]): Promise<number> {
  void args;
  process.stderr.write('adaptune quickstart: not implemented yet\n');
  return 1;
}

/** The flags a command's parser hands to util.parseArgs, captured by patching node:util (ESM bindings synced); --help left out. */
import { syncBuiltinESMExports } from 'node:module';
import util from 'node:util';
import { parseCli } from '../src/cli/args.js';

export function parserFlags(cmd: string): string[] {
  const u = util as unknown as { parseArgs: typeof util.parseArgs };
  const orig = u.parseArgs;
  const seen: string[] = [];
  u.parseArgs = ((cfg: Parameters<typeof util.parseArgs>[0]) => { seen.push(...Object.keys(cfg?.options ?? {})); return orig(cfg); }) as typeof util.parseArgs;
  syncBuiltinESMExports();
  try { parseCli([cmd, '--help']); } finally { u.parseArgs = orig; syncBuiltinESMExports(); }
  return [...new Set(seen)].filter((f) => f !== 'help');
}

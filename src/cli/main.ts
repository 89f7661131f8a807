#!/usr/bin/env node
/** @module The `adaptune` command: parses flags and dispatches to subcommands (logic lives elsewhere). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { CliError, USAGE, parseCli, type Parsed } from './args.js';
import { findCommand } from './commands.js';
import { LAUNCH_USAGE, launch, parseLaunch, workerSetup } from './launch.js';

/** This package's version, from package.json (dist/src/cli -> root). */
function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    try { return (JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')) as { version: string }).version; } catch { /* next */ }
  }
  return 'unknown';
}

/** Runs one parsed command; returns the exit status. */
async function dispatch(p: Parsed): Promise<number> {
  if (p.command === 'help') {
    const topic = 'topic' in p ? p.topic : undefined;
    process.stdout.write((topic !== undefined ? findCommand(topic)?.usage : undefined) ?? USAGE);
    return 0;
  }
  if (p.command === 'version') {
    // Loading libtorch takes a moment: only `version` and the commands that need it do.
    const { torch } = await import('../index.js');
    const v = { adaptune: packageVersion(), libtorch: torch.version().libtorch, node: process.version };
    process.stdout.write('json' in p && p.json ? JSON.stringify(v) + '\n' : `adaptune ${v.adaptune} (libtorch ${v.libtorch}, node ${v.node})\n`);
    return 0;
  }
  const spec = findCommand(p.command);
  if (!spec || !('options' in p)) throw new CliError(`unknown command '${p.command}'`);
  return spec.run(p.options);
}

/** Entry point: exit 0 on success, 1 on a runtime failure, 2 on a user error (see describeFailure). */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    const multi = parseLaunch(argv); // --nproc: start the workers (src/cli/launch.ts)
    if (multi?.rest.some((x) => x === '-h' || x === '--help')) process.stdout.write(LAUNCH_USAGE + '\n');
    else if (multi) return await launch(multi);
    const leave = multi ? null : await workerSetup(); // in a worker: join the process group first
    try { return await dispatch(parseCli(multi?.rest ?? argv)); } finally { leave?.(); }
  } catch (e) {
    const { code, message } = describeFailure(e);
    process.stderr.write(`adaptune: ${message}\n`);
    // --json promises one JSON object on stdout, failures included.
    if (json) process.stdout.write(JSON.stringify({ error: (e as Error)?.message ?? String(e) }) + '\n');
    return code;
  }
}

/** Errors caused by what the user gave (flags, config, data, weights, run directories): exit 2. */
const USER_ERRORS = new Set(['CliError', 'ConfigError', 'DataError', 'SafetensorsError', 'CheckpointError', 'PickleError', 'BackboneError', 'UnsupportedModuleError']);

/**
 * One message per failure: exit 2 for user errors, 1 for runtime failures; the JS stack only with
 * ADAPTUNE_DEBUG=1 (otherwise a hint for unexpected errors, whose stack is what a bug report needs).
 */
export function describeFailure(e: unknown): { code: number; message: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  const user = e instanceof CliError || e instanceof ConfigError || USER_ERRORS.has(err.name);
  const typed = user || /Error$/.test(err.name) && err.name !== 'Error' && err.name !== 'TypeError' && err.name !== 'RangeError' && err.name !== 'ReferenceError';
  const debug = process.env.ADAPTUNE_DEBUG === '1';
  let message = debug ? (err.stack ?? err.message) : err.message;
  if (!debug && !typed && !(err as NodeJS.ErrnoException).code) message += ' (set ADAPTUNE_DEBUG=1 for the stack)';
  return { code: user ? 2 : 1, message };
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });

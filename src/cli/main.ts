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
    process.stdout.write(`adaptune ${packageVersion()} (libtorch ${torch.version().libtorch}, node ${process.version})\n`);
    return 0;
  }
  const spec = findCommand(p.command);
  if (!spec || !('options' in p)) throw new CliError(`unknown command '${p.command}'`);
  return spec.run(p.options);
}

/** Entry point: exit 0 on success, 1 on failure, 2 on a usage error. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    const multi = parseLaunch(argv); // --nproc: start the workers (src/cli/launch.ts)
    if (multi?.rest.some((x) => x === '-h' || x === '--help')) process.stdout.write(LAUNCH_USAGE + '\n');
    else if (multi) return await launch(multi);
    const leave = multi ? null : await workerSetup(); // in a worker: join the process group first
    try { return await dispatch(parseCli(multi?.rest ?? argv)); } finally { leave?.(); }
  } catch (e) {
    // usage errors and invalid configuration values (ConfigError names the field): a message, no stack, exit 2
    const usage = e instanceof CliError || e instanceof ConfigError;
    const clean = usage || (e as Error)?.name === 'BackboneError' || (e as Error)?.name === 'DistributedError'; // a bad weights file / a failed peer: the message names it
    const msg = clean ? (e as Error).message : ((e as Error).stack ?? String(e));
    process.stderr.write(`adaptune: ${msg}\n`);
    // --json promises one JSON object on stdout, failures included.
    if (json) process.stdout.write(JSON.stringify({ error: (e as Error).message ?? String(e) }) + '\n');
    return usage ? 2 : 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });

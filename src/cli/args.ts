/** @module Argument parsing for the `adaptune` command: finds the subcommand in the table (commands.ts) and runs its parser. */
import { COMMAND_SPECS, findCommand } from './commands.js';
import { CliError } from './flags.js';
import { flagOf } from '../core/options.js';
import { LAUNCH_OPTIONS } from '../train/options.js';

export { CliError, strictParse } from './flags.js';
export type { FinetuneArgs, PretrainArgs, QuickstartArgs } from './args-train.js';
export { BENCH_MODELS, BENCH_USAGE, parseBench, parseModels, type BenchArgs } from './args-bench.js';

/** Every command name, `help` and `version` included. */
export const COMMANDS: readonly string[] = [...COMMAND_SPECS.map((c) => c.name), 'help', 'version'];

export type Parsed =
  | { command: 'help'; topic?: string }
  | { command: 'version'; json?: boolean }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | { command: string; options: any };

/** Parses the whole command line (argv without node and the script). */
export function parseCli(argv: string[]): Parsed {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !COMMANDS.includes(topic)) throw new CliError(`unknown command '${topic}'`);
    return topic ? { command: 'help', topic } : { command: 'help' };
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    const bad = rest.find((x) => x !== '--json');
    if (bad !== undefined) throw new CliError(`version: unknown argument ${bad} (version takes only --json)`);
    return { command: 'version', json: rest.includes('--json') };
  }
  if (first.startsWith('-')) throw new CliError(`unknown flag ${first} (commands: ${COMMANDS.slice(0, 4).join(', ')}; flags: --help, --version)`);
  const spec = findCommand(first);
  if (!spec) throw new CliError(`unknown command '${first}' (commands: ${COMMANDS.join(', ')})`);
  const options = spec.parse(rest);
  return options === 'help' ? { command: 'help', topic: first } : { command: first, options };
}

/** `adaptune --help`: the command table, generated from commands.ts. */
function usage(): string {
  const rows = [...COMMAND_SPECS.map((c) => [c.name, c.summary] as const),
    ['help [cmd]', 'Show help (also: adaptune <command> --help)'] as const,
    ['version', 'Print versions (also --version)'] as const];
  const table = rows.map(([name, summary]) => {
    const [head, ...more] = summary.split('\n');
    return [`  ${name.padEnd(12)} ${head}`, ...more.map((l) => `${' '.repeat(15)}${l}`)].join('\n');
  }).join('\n');
  return `Usage: adaptune <command> [flags]

Commands:
${table}

Every command takes --json (ONE JSON object on stdout; progress goes to stderr).
Training commands also take --nproc N [${Object.entries(LAUNCH_OPTIONS).slice(2).map(([k, o]) => `--${flagOf(k, o)}`).join(' ')}]:
data-parallel workers over libtorch's c10d/Gloo (torchrun conventions; docs/distributed.md).
Exit status: 0 success, 1 failure, 2 usage or configuration error.
`;
}

export const USAGE = usage();

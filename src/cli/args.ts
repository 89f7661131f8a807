/** @module Argument parsing for the `adaptune` command (node's util.parseArgs, strict). */
import { cpus } from 'node:os';
import type { BenchOptions } from '../../bench/run.js';
import { parseReport, type ReportArgs } from './report.js';
import { parseHparams, type HparamsArgs } from './hparams.js';
import { parseSimilarity, type SimilarityArgs } from './similarity.js';
import { CliError, intFlag, strictParse } from './flags.js';
import { parseFinetune, parsePretrain, parseQuickstart, type FinetuneArgs, type PretrainArgs, type QuickstartArgs } from './args-train.js';

export { CliError, intFlag, numFlag, strictParse } from './flags.js';
export type { FinetuneArgs, PretrainArgs, QuickstartArgs } from './args-train.js';

export const COMMANDS = ['quickstart', 'finetune', 'pretrain', 'report', 'hparams', 'similarity', 'bench', 'help', 'version'] as const;
export type Command = (typeof COMMANDS)[number];
export const BENCH_MODELS = ['small', 'resnet18-w16', 'resnet18-w64'] as const;

/** Options of `adaptune bench`: the runner's options plus what the CLI does with the report. */
export interface BenchArgs extends BenchOptions {
  json: boolean;
  threadStudy: boolean;
}

export type Parsed =
  | { command: 'help'; topic?: Command }
  | { command: 'version' }
  | { command: 'quickstart'; options: QuickstartArgs }
  | { command: 'pretrain'; options: PretrainArgs }
  | { command: 'finetune'; options: FinetuneArgs }
  | { command: 'report'; options: ReportArgs }
  | { command: 'hparams'; options: HparamsArgs }
  | { command: 'similarity'; options: SimilarityArgs }
  | { command: 'bench'; options: BenchArgs };

const BENCH_OPTIONS = {
  threads: { type: 'string' }, repeats: { type: 'string' }, warmup: { type: 'string' }, rounds: { type: 'string' },
  models: { type: 'string' }, quick: { type: 'boolean' }, json: { type: 'boolean' },
  'thread-study': { type: 'boolean' }, python: { type: 'string' }, 'no-pytorch': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses --models: a comma list of known model names (duplicates dropped, order kept). */
export function parseModels(v: string | undefined): string[] {
  if (v === undefined) return [...BENCH_MODELS];
  const names = [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
  if (!names.length) throw new CliError('--models is empty');
  for (const n of names) {
    if (!(BENCH_MODELS as readonly string[]).includes(n)) {
      throw new CliError(`--models: unknown model '${n}' (known: ${BENCH_MODELS.join(', ')})`);
    }
  }
  return names;
}

/** Parses `adaptune bench` flags. */
export function parseBench(args: string[]): BenchArgs | 'help' {
  const { values: v, positionals } = strictParse('bench', args, BENCH_OPTIONS);
  if (v.help) return 'help';
  if (positionals.length) throw new CliError(`'adaptune bench' takes no positional arguments, got '${positionals[0]}'`);
  if (v['no-pytorch'] && v.python !== undefined) throw new CliError('--python and --no-pytorch are mutually exclusive');
  return {
    models: parseModels(v.models),
    threads: intFlag('threads', v.threads) ?? cpus().length,
    warmup: intFlag('warmup', v.warmup, 0),
    repeats: intFlag('repeats', v.repeats),
    rounds: intFlag('rounds', v.rounds) ?? (v.quick ? 1 : 2),
    quick: v.quick ?? false,
    json: v.json ?? false,
    threadStudy: v['thread-study'] ?? false,
    python: v['no-pytorch'] ? null : (v.python ?? '/usr/bin/python3'),
  };
}

/** Parses the whole command line (argv without node and the script). */
export function parseCli(argv: string[]): Parsed {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !(COMMANDS as readonly string[]).includes(topic)) throw new CliError(`unknown command '${topic}'`);
    return topic ? { command: 'help', topic: topic as Command } : { command: 'help' };
  }
  if (first === '--version' || first === '-v' || first === 'version') return { command: 'version' };
  if (first.startsWith('-')) throw new CliError(`unknown flag ${first} (commands: ${COMMANDS.slice(0, 4).join(', ')}; flags: --help, --version)`);
  switch (first) {
    case 'bench': {
      const b = parseBench(rest);
      return b === 'help' ? { command: 'help', topic: 'bench' } : { command: 'bench', options: b };
    }
    case 'quickstart': {
      const q = parseQuickstart(rest);
      return q === 'help' ? { command: 'help', topic: 'quickstart' } : { command: 'quickstart', options: q };
    }
    case 'pretrain': {
      const q = parsePretrain(rest);
      return q === 'help' ? { command: 'help', topic: 'pretrain' } : { command: 'pretrain', options: q };
    }
    case 'finetune': {
      const q = parseFinetune(rest);
      return q === 'help' ? { command: 'help', topic: 'finetune' } : { command: 'finetune', options: q };
    }
    case 'report': {
      const q = parseReport(rest);
      return q === 'help' ? { command: 'help', topic: 'report' } : { command: 'report', options: q };
    }
    case 'hparams': {
      const q = parseHparams(rest);
      return q === 'help' ? { command: 'help', topic: 'hparams' } : { command: 'hparams', options: q };
    }
    case 'similarity': {
      const q = parseSimilarity(rest);
      return q === 'help' ? { command: 'help', topic: 'similarity' } : { command: 'similarity', options: q };
    }
    default: throw new CliError(`unknown command '${first}' (commands: ${COMMANDS.join(', ')})`);
  }
}

export const USAGE = `Usage: adaptune <command> [flags]

Commands:
  quickstart   A complete small transfer experiment on the bundled backbone: linear probe,
               full fine-tuning, full + L2-SP and from scratch on fmnist:target-mid (~1 min)
  finetune     Fine-tune the bundled backbone (or --weights FILE) on a benchmark task
  pretrain     Train a backbone on a task (default fmnist:source) and export its weights
  report       An HTML page of one run or a comparison of runs (plots, heat-map, table)
  hparams      A resumable grid of fine-tuning runs over effective lr x momentum (x L2 / L2-SP)
  similarity   Domain similarity exp(-gamma * EMD) between a source and target task(s)
  bench        Time training steps and inference against PyTorch
  help [cmd]   Show help (also: adaptune <command> --help)
  version      Print versions (also --version)

Every command takes --json (ONE JSON object on stdout; progress goes to stderr).
Exit status: 0 success, 1 failure, 2 usage or configuration error.
`;

export const BENCH_USAGE = `Usage: adaptune bench [flags]

Times, after warm-up, the training step (forward, cross-entropy, backward, SGD
momentum) and inference of each model at batch 128 on 1x28x28 inputs, in
adaptune and (when /usr/bin/python3 has torch) PyTorch, alternating child
processes; prints images/s, ratios adaptune/PyTorch and peak RSS.

Flags:
  --models LIST     comma list of ${BENCH_MODELS.join(', ')} (default: all)
  --threads N       intra-op threads for both frameworks (default: the machine's cores)
  --warmup N        untimed steps before timing (default per model: 5, 3, 1)
  --repeats N       timed steps per child process (default per model: 20, 10, 3)
  --rounds N        alternating child processes per framework (default 2; 1 with --quick)
  --quick           tiny warmup/repeats: a smoke test, not a measurement
  --json            print ONE JSON object on stdout (progress stays on stderr)
  --thread-study    also time OPENBLAS_NUM_THREADS 1/2 x intra-op threads 1/2 (small, resnet18-w16)
  --python PATH     Python with torch (default /usr/bin/python3)
  --no-pytorch      measure adaptune only
  -h, --help        this help
`;

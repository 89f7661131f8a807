/** @module Flags and help of `adaptune bench`. */
import { cpus } from 'node:os';
import type { BenchOptions } from '../../bench/run.js';
import { CliError, intFlag, strictParse } from './flags.js';

export const BENCH_MODELS = ['small', 'resnet18-w16', 'resnet18-w64'] as const;

/** Options of `adaptune bench`: the runner's options plus what the CLI does with the report. */
export interface BenchArgs extends BenchOptions {
  json: boolean;
  threadStudy: boolean;
}

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

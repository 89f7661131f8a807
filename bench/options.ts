/** @module The option table of `adaptune bench` (bench/run.ts): the one definition of each flag (src/core/options.ts says how to add one). No native code. */
import { CliError, opt } from '../src/core/options.js';

export const BENCH_MODELS = ['small', 'resnet18-w16', 'resnet18-w64'] as const;

/** Parses --models: a comma list of known model names (duplicates dropped, order kept). */
export function parseModels(v: string | undefined): string[] {
  if (v === undefined) return [...BENCH_MODELS];
  const names = [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
  if (!names.length) throw new CliError('--models is empty');
  for (const n of names) {
    if (!(BENCH_MODELS as readonly string[]).includes(n)) throw new CliError(`--models: unknown model '${n}' (known: ${BENCH_MODELS.join(', ')})`);
  }
  return names;
}

/** Flags of `adaptune bench`. */
export const BENCH_OPTIONS = {
  models: opt.custom(parseModels, { arg: 'LIST', defaultText: 'all', doc: `comma list of ${BENCH_MODELS.join(', ')}` }),
  threads: opt.int({ min: 1, defaultText: "the machine's cores", doc: 'intra-op threads for both frameworks' }),
  warmup: opt.int({ min: 0, defaultText: 'per model: 5, 3, 1', doc: 'untimed steps before timing' }),
  repeats: opt.int({ min: 1, defaultText: 'per model: 20, 10, 3', doc: 'timed steps per child process' }),
  rounds: opt.int({ min: 1, defaultText: '2; 1 with --quick', doc: 'alternating child processes per framework' }),
  quick: opt.bool({ doc: 'tiny warmup/repeats: a smoke test, not a measurement' }),
  json: opt.bool({ doc: 'print ONE JSON object on stdout (progress stays on stderr)' }),
  threadStudy: opt.bool({ doc: 'also time OPENBLAS_NUM_THREADS 1/2 x intra-op threads 1/2 (small, resnet18-w16)' }),
  python: opt.string({ arg: 'PATH', default: '/usr/bin/python3', doc: 'Python with torch' }),
  noPytorch: opt.bool({ doc: 'measure adaptune only' }),
  noOrt: opt.bool({ doc: 'skip ONNX Runtime (inference of the exported model, against graph mode)' }),
} as const;

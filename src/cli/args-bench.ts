/** @module Flags and help of `adaptune bench`: the option table of bench/options.ts. */
import { cpus } from 'node:os';
import type { BenchOptions } from '../../bench/run.js';
import { BENCH_OPTIONS } from '../../bench/options.js';
import { CliError, defaultOf, formatHelp, parseFlags } from '../core/options.js';

export { BENCH_MODELS, parseModels } from '../../bench/options.js';
import { parseModels } from '../../bench/options.js';

/** Options of `adaptune bench`: the runner's options plus what the CLI does with the report. */
export interface BenchArgs extends BenchOptions {
  json: boolean;
  threadStudy: boolean;
}

/** Parses `adaptune bench` flags (defaults applied). */
export function parseBench(args: string[]): BenchArgs | 'help' {
  const o = parseFlags('bench', BENCH_OPTIONS, args);
  if (o === 'help') return 'help';
  if (o.noPytorch && o.python !== undefined) throw new CliError('--python and --no-pytorch are mutually exclusive');
  return {
    models: o.models ?? parseModels(undefined), threads: o.threads ?? cpus().length, warmup: o.warmup, repeats: o.repeats, rounds: o.rounds ?? (o.quick ? 1 : 2),
    quick: o.quick ?? false, json: o.json ?? false, threadStudy: o.threadStudy ?? false, python: o.noPytorch ? null : (o.python ?? defaultOf(BENCH_OPTIONS.python)),
    ort: !o.noOrt,
  };
}

export const BENCH_USAGE = formatHelp(`Usage: adaptune bench [flags]

Times, after warm-up, the training step (forward, cross-entropy, backward, SGD
momentum) and inference of each model at batch 128 on 1x28x28 inputs, in
adaptune and (when /usr/bin/python3 has torch) PyTorch, alternating child
processes; inference also in graph mode on both sides and in ONNX Runtime on
the model exported by adaptune; prints images/s, ratios and peak RSS.
`, [BENCH_OPTIONS]);

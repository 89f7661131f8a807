/** @module Flags and help of `adaptune predict` (light: no libtorch, no ONNX Runtime). */
import { resolve } from 'node:path';
import { CliError, intFlag, strictParse } from './flags.js';

/** One image argument: an image file, or images of an IDX file by index. */
export type ImageRef = { kind: 'file'; file: string; label: string } | { kind: 'idx'; file: string; indices: number[]; label: string };

/** Options of `adaptune predict` (also the library entry runPredict). */
export interface PredictArgs { model: string; images: ImageRef[]; top: number; json: boolean; threads?: number }

export const PREDICT_USAGE = `Usage: adaptune predict MODEL.onnx IMAGE... [flags]

Runs a model exported by adaptune export in ONNX Runtime (onnxruntime-node) and
prints the top classes of each image, with the class names and the input size,
range and normalisation recorded in the file's metadata.

IMAGE is a PNG or JPEG file (decoded with sharp, resized to the model's input
size, converted to greyscale or RGB as the model expects), or FILE@INDICES for
images of an IDX file (uint8 [N, H, W], gzipped or not), INDICES a comma list of
indices and ranges, e.g. t10k-images-idx3-ubyte.gz@0-7,42.

Flags:
  --top K               classes shown per image (default 3)
  --threads N           ONNX Runtime intra-op threads (default 1)
  --json                print ONE JSON object on stdout
  -h, --help            this help
`;

const OPTIONS = { top: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** Parses '0-7,42' into indices (CliError naming the argument). */
export function parseIndices(spec: string, arg: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new CliError(`image '${arg}': indices must be a comma list of N or N-M, got '${spec}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a >= 100_000) throw new CliError(`image '${arg}': bad range '${part}' (need N <= M, at most 100000 images)`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** Parses `adaptune predict` arguments. */
export function parsePredict(args: string[]): PredictArgs | 'help' {
  const { values: v, positionals } = strictParse('predict', args, OPTIONS);
  if (v.help) return 'help';
  const [model, ...rest] = positionals;
  if (!model || !model.endsWith('.onnx')) throw new CliError(`the first argument must be a MODEL.onnx file, got ${model === undefined ? 'nothing' : `'${model}'`}`);
  if (!rest.length) throw new CliError('give at least one IMAGE (a PNG/JPEG file or IDXFILE@INDICES)');
  const images = rest.map((arg): ImageRef => {
    const at = /^(.*)@([\d,\s-]+)$/.exec(arg);
    if (at) return { kind: 'idx', file: resolve(at[1]!), indices: parseIndices(at[2]!, arg), label: arg };
    if (!/\.(png|jpe?g)$/i.test(arg)) throw new CliError(`image '${arg}': expected a .png/.jpg/.jpeg file or IDXFILE@INDICES`);
    return { kind: 'file', file: resolve(arg), label: arg };
  });
  const out: PredictArgs = { model: resolve(model), images, top: intFlag('top', v.top) ?? 3, json: v.json === true };
  const threads = intFlag('threads', v.threads);
  if (threads !== undefined) out.threads = threads;
  return out;
}

/** @module Flags and help of `adaptune predict`: the option table of src/export/options.ts (light: no libtorch, no ONNX Runtime). */
import { ConfigError } from '../core/errors.js';
import { CliError, convertFlags, formatHelp, readFlags } from '../core/options.js';
import { parseImageRef, parseIndices as parse, PREDICT_OPTIONS, type ImageRef, type PredictOptionValues } from '../export/options.js';

export type { ImageRef } from '../export/options.js';

/** Options of `adaptune predict` (runPredict's). */
export type PredictArgs = PredictOptionValues & { model: string; images: ImageRef[] };

export const PREDICT_USAGE = formatHelp(`Usage: adaptune predict MODEL.onnx IMAGE... [flags]

Runs a model exported by adaptune export in ONNX Runtime (onnxruntime-node) and
prints the top classes of each image, with the class names and the input size,
range and normalisation recorded in the file's metadata.

IMAGE is a PNG or JPEG file (decoded with sharp, resized to the model's input
size, converted to greyscale or RGB as the model expects), or FILE@INDICES for
images of an IDX file (uint8 [N, H, W], gzipped or not), INDICES a comma list of
indices and ranges, e.g. t10k-images-idx3-ubyte.gz@0-7,42.
`, [PREDICT_OPTIONS]);

/** A ConfigError of the image arguments as a CliError. */
function usage<T>(f: () => T): T {
  try { return f(); } catch (e) { if (e instanceof ConfigError) throw new CliError(e.message); throw e; }
}

/** Parses '0-7,42' into indices (CliError naming the argument). */
export const parseIndices = (spec: string, arg: string): number[] => usage(() => parse(spec, arg));

/** Parses `adaptune predict` arguments. */
export function parsePredict(args: string[]): PredictArgs | 'help' {
  const raw = readFlags('predict', [PREDICT_OPTIONS], args);
  if (raw === 'help') return 'help';
  const [model, ...rest] = raw.positionals;
  if (!model || !model.endsWith('.onnx')) throw new CliError(`the first argument must be a MODEL.onnx file, got ${model === undefined ? 'nothing' : `'${model}'`}`);
  if (!rest.length) throw new CliError('give at least one IMAGE (a PNG/JPEG file or IDXFILE@INDICES)');
  return { ...convertFlags(PREDICT_OPTIONS, raw.values), model, images: rest.map((x) => usage(() => parseImageRef(x))) };
}

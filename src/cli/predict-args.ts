/** @module Flags and help of `adaptune predict`: the option table of src/export/options.ts (light: no libtorch, no ONNX Runtime loaded here). */
import { ConfigError } from '../core/errors.js';
import { CliError, convertFlags, formatHelp, readFlags } from '../core/options.js';
import { parseImageRef, parseIndices as parse, PREDICT_OPTIONS, type ImageRef, type PredictOptionValues } from '../export/options.js';

export type { ImageRef } from '../export/options.js';

/** Options of `adaptune predict` (runPredict's). */
export type PredictArgs = PredictOptionValues & { model: string; images: ImageRef[] };

export const PREDICT_USAGE = formatHelp(`Usage: adaptune predict MODEL IMAGE... [flags]

Prints the top classes of each image. MODEL is either
- a MODEL.onnx written by adaptune export, run in ONNX Runtime
  (onnxruntime-node) with the class names and the input size, range and
  normalisation recorded in the file's metadata; or
- adaptune weights: a WEIGHTS.safetensors with its sidecar, or a run directory
  (its weights.safetensors), run by libtorch in graph mode, with the same
  settings from the sidecar (as adaptune export reads them).

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
  // a model file is .onnx or .safetensors; anything else with an extension (.pt, .pth, a picture) is refused here
  if (!model || (!/\.(onnx|safetensors)$/.test(model) && /\.[A-Za-z0-9]{1,12}$/.test(model.split('/').pop()!)) || model.includes('@')) {
    throw new CliError(`the first argument must be the model (MODEL.onnx, WEIGHTS.safetensors or a run directory), got ${model === undefined ? 'nothing' : `'${model}'`}` +
      (model && /\.pth?$/.test(model) ? '; convert a PyTorch state dict first with adaptune convert' : ''));
  }
  if (!rest.length) throw new CliError('give at least one IMAGE (a PNG/JPEG file or IDXFILE@INDICES)');
  return { ...convertFlags(PREDICT_OPTIONS, raw.values), model, images: rest.map((x) => usage(() => parseImageRef(x))) };
}

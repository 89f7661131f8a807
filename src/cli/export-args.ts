/** @module Flags and help of `adaptune export`: the option table of src/export/options.ts. No native code. */
import { ConfigError } from '../core/errors.js';
import { CliError, formatHelp, parseFlags } from '../core/options.js';
import { EXPORT_OPTIONS, exportSettings, type ExportOptionValues } from '../export/options.js';

/** Options of `adaptune export`: runExport's (only the flags given). */
export type ExportArgs = ExportOptionValues;

export const EXPORT_USAGE = formatHelp(`Usage: adaptune export (--run DIR | --weights FILE | the bundled backbone) [--out FILE.onnx] [flags]

Exports a model (weights with an adaptune sidecar: a finetune/pretrain run's
weights.safetensors, or the bundled backbone) in eval mode to ONNX: a dynamic
batch dimension, the trained weights as initialisers, metadata_props with the
class names, input shape and range, normalisation and source. Before the file is
written the model runs in ONNX Runtime (onnxruntime-node) on random inputs
(batches of 1 and 7) and on real test images of the task, and every output is
compared with adaptune's: the max abs difference is reported and the export
fails (exit 1, nothing written) above --tolerance.
`, [EXPORT_OPTIONS]);

/** Parses `adaptune export` flags; the rules between them (runExport's own) are checked here too, before anything loads. */
export function parseExport(args: string[]): ExportArgs | 'help' {
  const o = parseFlags('export', EXPORT_OPTIONS, args);
  if (o === 'help') return 'help';
  try { exportSettings(o); } catch (e) { if (e instanceof ConfigError) throw new CliError(e.message); throw e; }
  return o;
}

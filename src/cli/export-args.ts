/** @module Flags and help of `adaptune export` (light: no libtorch). */
import { resolve } from 'node:path';
import { CliError, intFlag, noPositionals, numFlag, strictParse } from './flags.js';

/** Options of `adaptune export` (also the library entry runExport). */
export interface ExportArgs {
  /** Weights with an adaptune sidecar; null with run: RUN/weights.safetensors; both null: the bundled backbone. */
  weights: string | null;
  run: string | null;
  out: string;
  /** Task for class names and the real test images checked (default: the sidecar's task). */
  data: string | null;
  foldBn: boolean;
  softmax: boolean;
  normalize: { mean: number[]; std: number[] } | null;
  opset: number;
  verifyImages: number;
  tolerance: number;
  timingRuns: number;
  seed: number;
  json: boolean;
  /** Also write a static web page folder here (exportWeb); null: none. */
  web: string | null;
  threads?: number;
}

export const EXPORT_USAGE = `Usage: adaptune export (--run DIR | --weights FILE | the bundled backbone) [--out FILE.onnx] [flags]

Exports a model (weights with an adaptune sidecar: a finetune/pretrain run's
weights.safetensors, or the bundled backbone) in eval mode to ONNX: a dynamic
batch dimension, the trained weights as initialisers, metadata_props with the
class names, input shape and range, normalisation and source. Before the file is
written the model runs in ONNX Runtime (onnxruntime-node) on random inputs
(batches of 1 and 7) and on real test images of the task, and every output is
compared with adaptune's: the max abs difference is reported and the export
fails (exit 1, nothing written) above --tolerance.

Flags:
  --run DIR             a run directory of adaptune finetune/pretrain (its weights.safetensors)
  --weights FILE        weights with an adaptune sidecar (default: the bundled backbone)
  --out FILE            the .onnx file (default DIR/model.onnx with --run; required otherwise)
  --data TASK           task for class names and test images (default: the sidecar's task)
  --fold-bn             fold BatchNorm into the convolutions (default: BatchNormalization nodes)
  --softmax             add a second output 'probabilities' (softmax of the logits)
  --mean LIST --std LIST  put (x - mean) / std in front of the graph (one value or one per channel)
  --opset N             ONNX opset, 13..21 (default 17)
  --verify-images N     real test images checked in ONNX Runtime (default 64; 0 = random inputs only)
  --tolerance T         largest max abs difference accepted (default 1e-4)
  --timing-runs N       also time N forward passes of the image batch in both engines (default 0)
  --seed S              seed of the random inputs (default 0)
  --web DIR             also write DIR: a static web page that classifies images in
                        the browser (onnxruntime-web, the model, predict's preprocessing)
  --threads N           intra-op threads of libtorch and ONNX Runtime
  --json                print ONE JSON object on stdout
  -h, --help            this help
`;

const OPTIONS = {
  run: { type: 'string' }, weights: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' }, 'fold-bn': { type: 'boolean' },
  softmax: { type: 'boolean' }, mean: { type: 'string' }, std: { type: 'string' }, opset: { type: 'string' }, 'verify-images': { type: 'string' },
  tolerance: { type: 'string' }, 'timing-runs': { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }, web: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A comma list of finite numbers (CliError naming the flag). */
function numList(flag: string, v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (!v.trim() || xs.some((x) => !Number.isFinite(x))) throw new CliError(`--${flag} must be a comma list of numbers, got '${v}'`);
  return xs;
}

/** Parses `adaptune export` flags. */
export function parseExport(args: string[]): ExportArgs | 'help' {
  const { values: v, positionals } = strictParse('export', args, OPTIONS);
  if (v.help) return 'help';
  noPositionals('export', positionals);
  if (v.run !== undefined && v.weights !== undefined) throw new CliError('--run and --weights are exclusive (a run directory has its own weights.safetensors)');
  if (v.out === undefined && v.run === undefined) throw new CliError('--out FILE.onnx is required unless --run DIR is given (then DIR/model.onnx)');
  if ((v.mean === undefined) !== (v.std === undefined)) throw new CliError('--mean and --std go together');
  let normalize: ExportArgs['normalize'] = null;
  if (v.mean !== undefined) {
    normalize = { mean: numList('mean', v.mean), std: numList('std', v.std!) };
    if (normalize.std.length !== normalize.mean.length || normalize.std.some((s) => !(s > 0))) {
      throw new CliError(`--std must have ${normalize.mean.length} value(s) > 0 (as many as --mean), got '${v.std}'`);
    }
  }
  const opset = intFlag('opset', v.opset, 13) ?? 17;
  if (opset > 21) throw new CliError(`--opset must be an integer in [13, 21], got '${v.opset}'`);
  const out: ExportArgs = {
    weights: v.weights ?? null, run: v.run ?? null, out: resolve(v.out ?? `${v.run}/model.onnx`), data: v.data ?? null,
    foldBn: v['fold-bn'] === true, softmax: v.softmax === true, normalize, opset,
    verifyImages: intFlag('verify-images', v['verify-images'], 0) ?? 64, tolerance: numFlag('tolerance', v.tolerance, { gt: 0 }) ?? 1e-4,
    timingRuns: intFlag('timing-runs', v['timing-runs'], 0) ?? 0, seed: intFlag('seed', v.seed, 0) ?? 0, json: v.json === true,
    web: v.web === undefined ? null : resolve(v.web),
  };
  const threads = intFlag('threads', v.threads);
  if (threads !== undefined) out.threads = threads;
  return out;
}

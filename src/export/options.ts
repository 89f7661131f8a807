/**
 * @module The option tables of runExport (`adaptune export`) and runPredict (`adaptune predict`), and the image
 * arguments of predict: the one definition of each option (src/core/options.ts says how to add one). No native code.
 */
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { checkOptions, definedOptions, opt, type OptionValues } from '../core/options.js';
import { RUN_OPTIONS } from '../train/options.js';

/** A comma list of finite numbers. */
function numList(flag: string) {
  return (v: string): number[] => {
    const xs = v.split(',').map((s) => Number(s.trim()));
    if (!v.trim() || xs.some((x) => !Number.isFinite(x))) throw new ConfigError(`--${flag} must be a comma list of numbers, got '${v}'`);
    return xs;
  };
}

/** Options of runExport (the flags of `adaptune export`). */
export const EXPORT_OPTIONS = {
  run: opt.string({ arg: 'DIR', default: null, doc: 'a run directory of adaptune finetune/pretrain (its weights.safetensors)' }),
  weights: opt.string({ arg: 'FILE', default: null, defaultText: 'the bundled backbone', doc: 'weights with an adaptune sidecar' }),
  out: opt.string({ arg: 'FILE', defaultText: 'DIR/model.onnx with --run; required otherwise', doc: 'the .onnx file' }),
  data: opt.string({ arg: 'TASK', default: null, defaultText: "the sidecar's task", doc: 'task for class names and test images' }),
  foldBn: opt.bool({ doc: 'fold BatchNorm into the convolutions (default: BatchNormalization nodes)' }),
  softmax: opt.bool({ doc: "add a second output 'probabilities' (softmax of the logits)" }),
  mean: opt.custom(numList('mean'), { arg: 'LIST', doc: 'with --std: put (x - mean) / std in front of the graph (one value or one per channel)' }),
  std: opt.custom(numList('std'), { arg: 'LIST', doc: 'with --mean: the divisors, as many as --mean, each > 0' }),
  opset: opt.int({ min: 13, max: 21, default: 17, doc: 'ONNX opset' }),
  verifyImages: opt.int({ min: 0, default: 64, doc: 'real test images checked in ONNX Runtime (0 = random inputs only)' }),
  tolerance: opt.number({ gt: 0, arg: 'T', default: 1e-4, doc: 'largest max abs difference accepted' }),
  timingRuns: opt.int({ min: 0, default: 0, doc: 'also time N forward passes of the image batch in both engines' }),
  seed: opt.int({ min: 0, default: 0, arg: 'S', doc: 'seed of the random inputs' }),
  web: opt.string({ arg: 'DIR', default: null, doc: "also write DIR: a static web page that classifies images in\nthe browser (onnxruntime-web, the model, predict's preprocessing)" }),
  threads: { ...RUN_OPTIONS.threads, doc: 'intra-op threads of libtorch and ONNX Runtime' },
  json: { ...RUN_OPTIONS.json, doc: 'print ONE JSON object on stdout' },
} as const;
export type ExportOptionValues = OptionValues<typeof EXPORT_OPTIONS>;

/** The options with the defaults applied, the rules between them checked, paths resolved. */
export function exportSettings(o: ExportOptionValues) {
  checkOptions(EXPORT_OPTIONS, o);
  if (o.run && o.weights) throw new ConfigError('--run and --weights are exclusive (a run directory has its own weights.safetensors)');
  if (o.out === undefined && !o.run) throw new ConfigError('--out FILE.onnx is required unless --run DIR is given (then DIR/model.onnx)');
  if ((o.mean === undefined) !== (o.std === undefined)) throw new ConfigError('--mean and --std go together');
  const normalize = o.mean !== undefined && o.std !== undefined ? { mean: o.mean, std: o.std } : null;
  if (normalize && (normalize.std.length !== normalize.mean.length || normalize.std.some((s) => !(s > 0)))) {
    throw new ConfigError(`--std must have ${normalize.mean.length} value(s) > 0 (as many as --mean), got '${normalize.std.join(',')}'`);
  }
  const d = Object.fromEntries(Object.entries(EXPORT_OPTIONS).filter(([, s]) => 'default' in s).map(([k, s]) => [k, (s as { default: unknown }).default]));
  const a = { ...d, foldBn: false, softmax: false, ...definedOptions(o) } as Required<Pick<ExportOptionValues, 'opset' | 'verifyImages' | 'tolerance' | 'timingRuns' | 'seed' | 'foldBn' | 'softmax'>> & ExportOptionValues;
  return { ...a, normalize, out: resolve(o.out ?? `${o.run}/model.onnx`), web: o.web ? resolve(o.web) : null };
}

/** Options of runPredict besides the model and the images (the flags of `adaptune predict`). */
export const PREDICT_OPTIONS = {
  top: opt.int({ min: 1, default: 3, arg: 'K', doc: 'classes shown per image' }),
  threads: opt.int({ min: 1, default: 1, doc: "intra-op threads (ONNX Runtime's; libtorch's for weights,\nwhere the default leaves libtorch's setting)" }),
  json: { ...RUN_OPTIONS.json, doc: 'print ONE JSON object on stdout' },
} as const;
export type PredictOptionValues = OptionValues<typeof PREDICT_OPTIONS>;

/** One image argument: an image file, or images of an IDX file by index. */
export type ImageRef = { kind: 'file'; file: string; label: string } | { kind: 'idx'; file: string; indices: number[]; label: string };

/** Parses '0-7,42' into indices (errors name the argument). */
export function parseIndices(spec: string, arg: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new ConfigError(`image '${arg}': indices must be a comma list of N or N-M, got '${spec}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a >= 100_000) throw new ConfigError(`image '${arg}': bad range '${part}' (need N <= M, at most 100000 images)`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** An image argument: FILE.png / FILE.jpg, or IDXFILE@INDICES. */
export function parseImageRef(arg: string): ImageRef {
  const at = /^(.*)@([\d,\s-]+)$/.exec(arg);
  if (at) return { kind: 'idx', file: resolve(at[1]!), indices: parseIndices(at[2]!, arg), label: arg };
  if (!/\.(png|jpe?g)$/i.test(arg)) throw new ConfigError(`image '${arg}': expected a .png/.jpg/.jpeg file or IDXFILE@INDICES`);
  return { kind: 'file', file: resolve(arg), label: arg };
}

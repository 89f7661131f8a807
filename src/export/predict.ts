/**
 * @module runPredict: the top classes of image files or IDX images (`adaptune predict`) from either
 *  - an exported .onnx model, run in ONNX Runtime: input size, range, class names and resize from the file's
 *    metadata (the normalisation is inside the graph); or
 *  - adaptune weights (a weights .safetensors with its sidecar, or a run directory holding weights.safetensors),
 *    run by libtorch in graph mode (torch.jit.compile): the same settings from the sidecar's preprocessing record
 *    (as `adaptune export` reads them), the normalisation applied before the model.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError, DataError } from '../core/errors.js';
import { checkOptions, defaultOf, definedOptions } from '../core/options.js';
import { readIdx } from '../data/idx.js';
import { parseOnnxInfo, preprocessingOf, readOnnxMetadata, type Normalization } from './metadata.js';
import { imageInput } from './image.js';
import { checkPreprocessing, softmax, type Preprocessing, type ResizeSpec } from './preprocess.js';
import { applyNormalization } from './export.js';
import { planFromSidecar } from './plan.js';
import { loadTask } from '../data/tasks/index.js';
import { loadPretrained } from '../models/index.js';
import { parseImageRef, PREDICT_OPTIONS, type ImageRef, type PredictOptionValues } from './options.js';

/**
 * Options of runPredict: the model (an exported .onnx file, or adaptune weights: a .safetensors file with its
 * sidecar or a run directory), the images (FILE.png / IDXFILE@0-7 strings or parsed refs), and the table of options.ts.
 */
export type PredictOptions = PredictOptionValues & { model: string; images: (string | ImageRef)[] };

/** One image's prediction. */
export interface Prediction { image: string; top: { index: number; name: string; probability: number }[] }

/** What runPredict returns. */
export interface PredictReport { model: string; backend: Backend['name']; classes: string[]; inputShape: number[]; predictions: Prediction[]; elapsedMs: number }

/** What runs the model: ONNX Runtime on an exported file, or libtorch in graph mode on adaptune weights. */
interface Backend {
  name: 'onnxruntime' | 'libtorch';
  /** [C, H, W] of the model input. */
  inputShape: number[];
  inputRange: [number, number];
  classes: string[] | null;
  /** How image files are brought to the input (thrown lazily: IDX inputs do not need it). */
  pre(): Preprocessing;
  /** Logits [n, k] of a float32 input batch [n, C, H, W], row-major. */
  logits(x: Tensor): Promise<{ data: Float32Array; k: number }>;
  close(): Promise<void>;
}

/**
 * float32 [n, C, H, W] graph input of one argument: an image file through the shared preprocessing (the same
 * code as the page of exportWeb); IDX images (which must have the model's size) scaled to the input range.
 */
async function loadImages(ref: ImageRef, [c, h, w]: number[], pre: () => Preprocessing, [lo, hi]: [number, number]): Promise<{ x: Tensor; names: string[] }> {
  if (ref.kind === 'file') {
    if (c !== 1 && c !== 3) throw new ConfigError(`the model takes ${c}-channel input; image files can feed 1 or 3 channels only`);
    return { x: torch.tensor(await imageInput(ref.file, pre()), { shape: [1, c, h!, w!] }), names: [ref.label] };
  }
  const { dims, dtype, tensor } = readIdx(ref.file);
  try {
    if (dtype !== 'uint8' || dims.length !== 3) throw new DataError(`${ref.file}: expected uint8 IDX images [N, H, W], got ${dtype} [${dims.join(', ')}]`);
    if (dims[1] !== h || dims[2] !== w) throw new DataError(`${ref.file}: images are ${dims[1]}x${dims[2]}, the model takes ${h}x${w}`);
    const bad = ref.indices.find((i) => i >= dims[0]!);
    if (bad !== undefined) throw new ConfigError(`image '${ref.label}': index ${bad} out of range (the file has ${dims[0]} images)`);
    const x = torch.tidy(() => {
      const sel = tensor.indexSelect(0, torch.tensor(BigInt64Array.from(ref.indices.map(BigInt)))).unsqueeze(1);
      return (c === 1 ? sel : sel.expand([-1, c!, -1, -1])).to('float32').mul((hi - lo) / 255).add(lo).contiguous();
    });
    return { x, names: ref.indices.map((i) => `${ref.label.replace(/@[^@]*$/, '')}@${i}`) };
  } finally {
    tensor.dispose();
  }
}

/** ONNX Runtime on a file written by adaptune export. */
async function onnxBackend(file: string, threads: number): Promise<Backend> {
  let bytes: Buffer;
  try { bytes = readFileSync(file); } catch (e) { throw new ConfigError(`${file}: cannot read (${(e as Error).message})`); }
  let info;
  try { info = parseOnnxInfo(readOnnxMetadata(bytes, file), file); } catch (e) { throw new ConfigError(`${(e as Error).message}; adaptune predict runs files written by adaptune export`); }
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const i = info;
  return {
    name: 'onnxruntime', inputShape: i.inputShape, inputRange: i.inputRange, classes: i.classNames,
    pre: () => { try { return preprocessingOf(i, file); } catch (e) { throw new ConfigError((e as Error).message); } },
    logits: async (x) => {
      const out = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x.contiguous().data() as Float32Array, x.shape) }))['logits']!;
      return { data: out.data as Float32Array, k: out.dims[1]! };
    },
    close: () => session.release(),
  };
}

/** libtorch in graph mode on adaptune weights (a .safetensors file with its sidecar, or a run directory). */
function libtorchBackend(path: string): Backend {
  let weights = path;
  try { if (statSync(path).isDirectory()) weights = join(path, 'weights.safetensors'); } catch (e) { throw new ConfigError(`${path}: cannot read (${(e as Error).message})`); }
  const { model, sidecar } = loadPretrained(weights);
  try {
    const plan = planFromSidecar(sidecar, model.numClasses, weights);
    let shape: number[], classes: string[] | null, normalize: Normalization | null = null, resize: ResizeSpec = { mode: 'fill' };
    if (plan) ({ imageShape: shape, classNames: classes, normalize, resize } = plan);
    else {
      // weights without a preprocessing record (the bundled backbone, older runs): the sidecar's built-in task
      const name = typeof sidecar.task?.['name'] === 'string' ? sidecar.task['name'] : null;
      if (!name) throw new ConfigError(`${weights}: its sidecar records neither a preprocessing nor a task, so the input size is unknown`);
      const task = loadTask(name, { labelsPerClass: 10, seed: 0 });
      shape = task.test.images.shape.slice(1);
      classes = task.classes.length === model.numClasses ? task.classes : null;
      task.dispose();
    }
    model.eval();
    const fwd = new torch.jit.GraphOrEager(model, (x) => model.call(x) as Tensor); // eager if the forward cannot be traced
    const [c, h, w] = shape;
    return {
      name: 'libtorch', inputShape: shape, inputRange: [0, 1], classes,
      pre: () => {
        try { return checkPreprocessing({ channels: c as 1 | 3, size: [h!, w!], resize, range: [0, 1], normalize: null }, `${weights}: preprocessing`); } catch (e) { throw new ConfigError((e as Error).message); }
      },
      logits: async (x) => torch.noGrad(() => torch.tidy(() => {
        const out = fwd.run([normalize ? applyNormalization(x, normalize) : x]).out as Tensor;
        return { data: out.contiguous().data() as Float32Array, k: out.size(1) };
      })),
      close: async () => { fwd.dispose(); model.dispose(); },
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Loads the model and the images, runs the model (ONNX Runtime for .onnx, libtorch otherwise), returns the top classes of every image. */
export async function runPredict(o: PredictOptions): Promise<PredictReport> {
  const t0 = performance.now();
  checkOptions(PREDICT_OPTIONS, o);
  const a = { top: defaultOf(PREDICT_OPTIONS.top), ...definedOptions(o), model: resolve(o.model), images: o.images.map((x) => (typeof x === 'string' ? parseImageRef(x) : x)) };
  const onnx = a.model.endsWith('.onnx');
  if (!onnx && a.threads !== undefined) torch.setNumThreads(a.threads);
  const backend = onnx ? await onnxBackend(a.model, a.threads ?? 1) : libtorchBackend(a.model);
  try {
    const predictions: Prediction[] = [];
    let classes: string[] = backend.classes ?? [];
    for (const ref of a.images) {
      const { x, names } = await loadImages(ref, backend.inputShape, backend.pre, backend.inputRange);
      let out;
      try { out = await backend.logits(x); } finally { x.dispose(); }
      const { data: d, k } = out;
      if (!classes.length) classes = Array.from({ length: k }, (_, i) => String(i));
      names.forEach((image, r) => {
        const p = softmax(d, r * k, k);
        const order = p.map((_, i) => i).sort((i, j) => p[j]! - p[i]!).slice(0, a.top);
        predictions.push({ image, top: order.map((i) => ({ index: i, name: classes[i] ?? String(i), probability: p[i]! })) });
      });
    }
    return { model: a.model, backend: backend.name, classes, inputShape: backend.inputShape, predictions, elapsedMs: performance.now() - t0 };
  } finally {
    await backend.close();
  }
}

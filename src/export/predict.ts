/**
 * @module runPredict: runs an exported .onnx model in ONNX Runtime on image files or IDX images and returns the
 * top classes of each (`adaptune predict`); input size, range, class names come from the file's metadata (the
 * normalisation is inside the graph).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError, DataError } from '../core/errors.js';
import { checkOptions, defaultOf, definedOptions } from '../core/options.js';
import { readIdx } from '../data/idx.js';
import { parseOnnxInfo, preprocessingOf, readOnnxMetadata } from './metadata.js';
import { imageInput } from './image.js';
import { softmax, type Preprocessing } from './preprocess.js';
import { parseImageRef, PREDICT_OPTIONS, type ImageRef, type PredictOptionValues } from './options.js';

/** Options of runPredict: the model, the images (FILE.png / IDXFILE@0-7 strings or parsed refs), and the table of options.ts. */
export type PredictOptions = PredictOptionValues & { model: string; images: (string | ImageRef)[] };

/** One image's prediction. */
export interface Prediction { image: string; top: { index: number; name: string; probability: number }[] }

/** What runPredict returns. */
export interface PredictReport { model: string; classes: string[]; inputShape: number[]; predictions: Prediction[]; elapsedMs: number }

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

/** Loads the model and the images, runs ONNX Runtime, returns the top classes of every image. */
export async function runPredict(o: PredictOptions): Promise<PredictReport> {
  const t0 = performance.now();
  checkOptions(PREDICT_OPTIONS, o);
  const a = { top: defaultOf(PREDICT_OPTIONS.top), ...definedOptions(o), model: resolve(o.model), images: o.images.map((x) => (typeof x === 'string' ? parseImageRef(x) : x)) };
  let bytes: Buffer;
  try { bytes = readFileSync(a.model); } catch (e) { throw new ConfigError(`${a.model}: cannot read (${(e as Error).message})`); }
  let info;
  try { info = parseOnnxInfo(readOnnxMetadata(bytes, a.model), a.model); } catch (e) { throw new ConfigError(`${(e as Error).message}; adaptune predict runs files written by adaptune export`); }
  const pre = (): Preprocessing => { try { return preprocessingOf(info, a.model); } catch (e) { throw new ConfigError((e as Error).message); } };
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: a.threads ?? 1, interOpNumThreads: 1 });
  try {
    const predictions: Prediction[] = [];
    let classes: string[] = info.classNames ?? [];
    for (const ref of a.images) {
      const { x, names } = await loadImages(ref, info.inputShape, pre, info.inputRange);
      const input = new ort.Tensor('float32', x.data() as Float32Array, x.shape);
      x.dispose();
      const out = (await session.run({ [session.inputNames[0]!]: input }))['logits']!;
      const k = out.dims[1]!;
      if (!classes.length) classes = Array.from({ length: k }, (_, i) => String(i));
      const d = out.data as Float32Array;
      names.forEach((image, r) => {
        const p = softmax(d, r * k, k);
        const order = p.map((_, i) => i).sort((i, j) => p[j]! - p[i]!).slice(0, a.top);
        predictions.push({ image, top: order.map((i) => ({ index: i, name: classes[i] ?? String(i), probability: p[i]! })) });
      });
    }
    return { model: a.model, classes, inputShape: info.inputShape, predictions, elapsedMs: performance.now() - t0 };
  } finally {
    await session.release();
  }
}


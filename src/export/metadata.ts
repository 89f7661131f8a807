/**
 * @module The metadata_props adaptune writes into an exported model, and reading them back.
 * Keys: adaptune.format, model, input_shape ([C, H, W]; the batch dim is dynamic), input_range (the pixel
 * range the graph input expects, [0, 1] for adaptune's loaders), normalization ({mean, std} applied inside
 * the graph, or "none"), bn_folded, outputs, and when known class_names (JSON array) and source_run; resize
 * (JSON ResizeSpec: {"mode":"fill"}, or {"mode":"shorter","size":S} for resize-shorter-side + center crop;
 * absent means fill). preprocessingOf turns them into the Preprocessing that predict and the web page apply.
 */
import { readFileSync } from 'node:fs';
import { decodeModel } from './proto.js';
import { checkPreprocessing, type Preprocessing, type ResizeSpec } from './preprocess.js';

/** Value of the adaptune.format key. */
export const ONNX_FORMAT = 'adaptune-onnx/1';

/** Per-channel input normalisation (x - mean) / std (one value for every channel, or one per channel). */
export interface Normalization { mean: number[]; std: number[] }

/** The typed view of an exported model's metadata. */
export interface OnnxModelInfo {
  format: string;
  model: string;
  inputShape: number[];
  inputRange: [number, number];
  normalization: Normalization | null;
  bnFolded: boolean;
  outputs: string[];
  classNames: string[] | null;
  sourceRun: string | null;
  /** How images are brought to the input size (fill when the key is absent). */
  resize: ResizeSpec;
  /** Every metadata_props entry, including those above and any extra ones. */
  props: Record<string, string>;
}

/** Keys exportOnnx owns (extra metadata may not use them). */
export const RESERVED_KEYS = ['adaptune.format', 'model', 'input_shape', 'input_range', 'normalization', 'bn_folded', 'outputs', 'class_names', 'source_run', 'resize'];

/** The metadata_props of an .onnx file (path or bytes) as a plain record; `where` names it in errors. */
export function readOnnxMetadata(src: string | Uint8Array, where = typeof src === 'string' ? src : 'model'): Record<string, string> {
  let m;
  try { m = decodeModel(typeof src === 'string' ? readFileSync(src) : src); } catch (e) { throw new Error(`${where}: not an ONNX model (${(e as Error).message})`); }
  return Object.fromEntries((m.metadataProps ?? []).map((e) => [e.key, e.value]));
}

/** Parses adaptune's metadata (throws naming the key when a model was not exported by adaptune or is malformed). */
export function parseOnnxInfo(props: Record<string, string>, where = 'model'): OnnxModelInfo {
  if (props['adaptune.format'] !== ONNX_FORMAT) throw new Error(`${where}: not exported by adaptune (metadata adaptune.format is ${JSON.stringify(props['adaptune.format'] ?? null)}, expected ${ONNX_FORMAT})`);
  const json = <T>(key: string): T => {
    try { return JSON.parse(props[key] ?? '') as T; } catch { throw new Error(`${where}: metadata ${key} is not valid JSON: ${JSON.stringify(props[key] ?? null)}`); }
  };
  return {
    format: props['adaptune.format'],
    model: props.model ?? '',
    inputShape: json<number[]>('input_shape'),
    inputRange: json<[number, number]>('input_range'),
    normalization: props.normalization === 'none' ? null : json<Normalization>('normalization'),
    bnFolded: props.bn_folded === 'true',
    outputs: json<string[]>('outputs'),
    classNames: props.class_names === undefined ? null : json<string[]>('class_names'),
    sourceRun: props.source_run ?? null,
    resize: props.resize === undefined ? { mode: 'fill' } : json<ResizeSpec>('resize'),
    props,
  };
}

/**
 * The image preprocessing of a model: input [C, H, W] (C 1 or 3), input_range, resize; the normalisation is
 * inside the graph (metadata normalization), so none is applied outside. Throws naming the model and field.
 */
export function preprocessingOf(info: OnnxModelInfo, where = 'model'): Preprocessing {
  const [c, h, w] = info.inputShape;
  if (info.inputShape.length !== 3 || (c !== 1 && c !== 3)) {
    throw new Error(`${where}: metadata input_shape ${JSON.stringify(info.inputShape)} is not an image input [1 or 3, H, W]`);
  }
  return checkPreprocessing({ channels: c, size: [h!, w!], resize: info.resize, range: info.inputRange, normalize: null }, `${where}: preprocessing`);
}

/**
 * @module exportOnnx(model, sampleInput, options): an adaptune model in eval mode as an ONNX ModelProto
 * (opset 17 by default) with a dynamic batch dimension, the trained weights as initialisers, optional input
 * normalisation and softmax output, and metadata_props. The graph is built by the exporters registered per
 * module class (registry.ts); its libtorch twin is checked against model(sample) before anything is written.
 * Check the file in ONNX Runtime with verifyOnnx (verify.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import type { AnyModule } from '../core/nn/module.js';
import { ExportContext, type Value } from './context.js';
import { encodeModel } from './proto.js';
import { ONNX_FORMAT, RESERVED_KEYS, type Normalization } from './metadata.js';
import type { ResizeSpec } from './preprocess.js';
import './layers.js';
import './models.js';

/** Options of exportOnnx. */
export interface ExportOptions {
  /** ONNX opset of the default domain, 13..21 (default 17). */
  opset?: number;
  /** Fold eval-mode BatchNorm into the preceding conv (default false: BatchNormalization nodes). */
  foldBn?: boolean;
  /** Add a second output 'probabilities' = Softmax(logits) over dim 1 (default false). */
  softmax?: boolean;
  /** Input normalisation (x - mean) / std to put in front of the graph (default none). */
  normalize?: Normalization | null;
  /** Pixel range the graph input expects, recorded in the metadata (default [0, 1], adaptune's loaders). */
  inputRange?: [number, number];
  /** Class names, in output order (recorded as class_names). */
  classNames?: string[];
  /** Where the weights came from: a run directory, a weights file, a command (recorded as source_run). */
  sourceRun?: string;
  /** How images are brought to the input size, recorded as resize (default fill: stretched to [H, W]). */
  resize?: ResizeSpec;
  /** Extra metadata_props (keys other than the reserved ones). */
  metadata?: Record<string, string>;
}

/** What exportOnnx returns. */
export interface OnnxExport {
  /** The .onnx file's bytes. */
  bytes: Uint8Array;
  inputName: string;
  outputNames: string[];
  /** Input dims after the (dynamic) batch dim. */
  inputShape: number[];
  opset: number;
  /** Node count by op type. */
  ops: Record<string, number>;
  nodes: number;
  initializers: number;
  /** Number of float values stored in initialisers. */
  weights: number;
  metadata: Record<string, string>;
}

/** This package's version (package.json from src/export or dist/src/export), recorded as producer_version. */
function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    try { return (JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')) as { version: string }).version; } catch { /* next */ }
  }
  return 'unknown';
}

function checkOptions(o: ExportOptions, channels: number): void {
  const bad = (field: string, want: string, got: unknown): never => { throw new ConfigError(`exportOnnx: options.${field} must be ${want}, got ${JSON.stringify(got)}`); };
  if (o.opset !== undefined && !(Number.isInteger(o.opset) && o.opset >= 13 && o.opset <= 21)) bad('opset', 'an integer in [13, 21]', o.opset);
  const n = o.normalize;
  if (n) {
    const okLen = (a: unknown): a is number[] => Array.isArray(a) && (a.length === 1 || a.length === channels) && a.every(Number.isFinite);
    if (!okLen(n.mean)) bad('normalize.mean', `1 or ${channels} finite numbers`, n.mean);
    if (!okLen(n.std) || n.std.length !== n.mean.length || n.std.some((s) => !(s > 0))) bad('normalize.std', `${n.mean.length} numbers > 0`, n.std);
  }
  const r = o.inputRange;
  if (r !== undefined && !(Array.isArray(r) && r.length === 2 && r.every(Number.isFinite) && r[0] < r[1])) bad('inputRange', '[lo, hi] with lo < hi', r);
  const z = o.resize;
  if (z !== undefined && !(z?.mode === 'fill' || (z?.mode === 'shorter' && Number.isInteger(z.size) && z.size >= 1))) bad('resize', "{ mode: 'fill' } or { mode: 'shorter', size: integer >= 1 }", z);
  for (const k of Object.keys(o.metadata ?? {})) if (RESERVED_KEYS.includes(k)) bad(`metadata.${k}`, 'not a reserved key (set it through its own option)', k);
}

/** Runs fn with every module of model in eval mode, then restores each module's own mode. */
export function inEval<R>(model: AnyModule, fn: () => R): R {
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  try { return fn(); } finally { for (const [m, t] of modes) m.train(t); }
}

/** (x - mean) / std with [1, C, 1, ...] constants (the libtorch side of the graph's Sub/Div). */
export function applyNormalization(x: Tensor, n: Normalization): Tensor {
  return torch.tidy(() => {
    const shape = [1, x.size(1), ...new Array(x.ndim - 2).fill(1)];
    const k = (v: number[]): Tensor => torch.tensor(Float32Array.from(v.length === 1 ? new Array(x.size(1)).fill(v[0]) : v), { shape });
    return x.sub(k(n.mean)).div(k(n.std));
  });
}

/**
 * Exports `model` (switched to eval mode for the export, its modes restored after) for inputs shaped like
 * `sampleInput` ([N, ...]; N becomes the dynamic dim 'batch'). Throws UnsupportedModuleError naming the
 * first module without an exact ONNX form, ConfigError naming a bad option.
 */
export function exportOnnx(model: AnyModule, sampleInput: Tensor, options: ExportOptions = {}): OnnxExport {
  if (sampleInput.ndim < 2 || !torch.isFloating(sampleInput.dtype)) {
    throw new ConfigError(`exportOnnx: sampleInput must be a float tensor [N, ...], got ${sampleInput.dtype} [${sampleInput.shape.join(', ')}]`);
  }
  const opset = options.opset ?? 17;
  const normalize = options.normalize ?? null;
  return inEval(model, () => torch.noGrad(() => torch.tidy(() => {
    const x = sampleInput.detach().to('float32');
    checkOptions(options, x.size(1));
    const xin = normalize ? applyNormalization(x, normalize) : x;
    const ref = model.call(xin) as Tensor;
    const k = ref.ndim === 2 ? ref.size(1) : -1;
    const names = options.classNames;
    if (names !== undefined && !(Array.isArray(names) && names.length === k && names.every((c) => typeof c === 'string'))) {
      throw new ConfigError(`exportOnnx: options.classNames must be ${k} strings (one per output), got ${JSON.stringify(names)}`);
    }
    const ctx = new ExportContext(model, { foldBn: options.foldBn ?? false, opset });
    const g = ctx.graph;
    const inputShape = x.shape.slice(1);
    const z = options.resize;
    if (z?.mode === 'shorter' && !(x.ndim === 4 && z.size >= Math.max(x.size(2), x.size(3)))) {
      throw new ConfigError(`exportOnnx: options.resize.size (${z.size}) must be at least the input's height and width (input [${inputShape.join(', ')}]) for the center crop`);
    }
    const inputName = g.addInput('input', ['batch', ...inputShape]);
    let v: Value = { name: inputName, sample: x };
    if (normalize) {
      const c = [1, x.size(1), ...new Array(x.ndim - 2).fill(1)];
      const full = (a: number[]): number[] => (a.length === 1 ? new Array(x.size(1)).fill(a[0]) : a);
      const sub = g.addNode('Sub', [v.name, ctx.constant('normalize.mean', full(normalize.mean), c)], {}, 'normalize')[0]!;
      v = ctx.op('Div', [sub, ctx.constant('normalize.std', full(normalize.std), c)], xin, {}, 'normalize');
    }
    let out = ctx.module(model, v);
    checkTwin(model, out.sample, ref);
    if (out.name === inputName) out = ctx.op('Identity', [out], out.sample);
    const outputNames = [g.renameValue(out.name, 'logits')];
    g.addOutput(outputNames[0]!, ['batch', ...ref.shape.slice(1)]);
    if (options.softmax) {
      const p = ctx.softmax({ name: outputNames[0]!, sample: ref }, 1, 'probabilities');
      outputNames.push(g.renameValue(p.name, 'probabilities'));
      g.addOutput(outputNames[1]!, ['batch', ...ref.shape.slice(1)]);
    }
    const metadata: Record<string, string> = {
      'adaptune.format': ONNX_FORMAT,
      model: `${model.constructor.name}(${model.extraRepr()})`,
      input_shape: JSON.stringify(inputShape),
      input_range: JSON.stringify(options.inputRange ?? [0, 1]),
      normalization: normalize ? JSON.stringify({ mean: normalize.mean, std: normalize.std }) : 'none',
      bn_folded: String(options.foldBn ?? false),
      outputs: JSON.stringify(outputNames),
      ...(options.classNames ? { class_names: JSON.stringify(options.classNames) } : {}),
      ...(options.sourceRun !== undefined ? { source_run: options.sourceRun } : {}),
      ...(options.resize ? { resize: JSON.stringify(options.resize) } : {}),
      ...options.metadata,
    };
    const bytes = encodeModel(g.toModel({ opset, graphName: model.constructor.name, producerVersion: packageVersion(), metadata }));
    const ops: Record<string, number> = {};
    for (const n of g.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
    const weights = g.initializers.reduce((a, t) => a + (t.dataType === 1 ? t.rawData.length / 4 : 0), 0);
    return { bytes, inputName, outputNames, inputShape, opset, ops, nodes: g.nodes.length, initializers: g.initializers.length, weights, metadata };
  })));
}

/** The exporters' libtorch twin (built from forward(), without hooks) must reproduce model.call(sample). */
function checkTwin(model: AnyModule, twin: Tensor, ref: Tensor): void {
  const same = twin.shape.length === ref.shape.length && twin.shape.every((d, i) => d === ref.shape[i]);
  const diff = same ? Number(twin.sub(ref).abs().max().item()) : Infinity;
  const scale = same ? Number(ref.abs().max().item()) : 0;
  if (!(diff <= 1e-5 * (1 + scale))) {
    throw new Error(`exportOnnx: the exporters' graph for ${model.constructor.name} does not reproduce its forward() on the sample ` +
      `(shape [${twin.shape.join(', ')}] vs [${ref.shape.join(', ')}], max abs diff ${diff}): a forward hook changes outputs (hooks are not ` +
      'exported; remove them first) or an exporter does not mirror its module');
  }
}

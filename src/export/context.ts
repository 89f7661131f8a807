/**
 * @module ExportContext: what an exporter sees while a model is turned into an ONNX graph. Every value is a
 * pair {name, sample}: the ONNX value name and the libtorch tensor of the same value on the sample input,
 * so exporters know shapes, and the finished graph's sample can be checked against model(sample). Exporters
 * compute samples with forward() (not call()), so a forward hook that changes outputs shows up in that check.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import type { AnyModule } from '../core/nn/module.js';
import { GraphBuilder, type AttrValue } from './graph.js';
import { exportableModules, exporterFor, UnsupportedModuleError } from './registry.js';

/** A value of the graph: its ONNX name and its libtorch value on the sample input. */
export interface Value { name: string; sample: Tensor }

/** Options exporters read. */
export interface ContextOptions {
  /** Fold eval-mode BatchNorm into the preceding convolution. */
  foldBn: boolean;
  /** The graph's opset (exporters of ops newer than 13 check it). */
  opset: number;
}

/** The graph under construction, the module paths of the model, and typed helpers for exporters. */
export class ExportContext {
  readonly graph = new GraphBuilder();
  readonly #paths: Map<AnyModule, string>;

  constructor(root: AnyModule, readonly options: ContextOptions) {
    this.#paths = new Map(root.namedModules().map(([n, m]) => [m, n === '' ? 'model' : n]));
  }

  /** The dotted path of m in the exported model ('layer1.0.conv1'; 'model' for the root). */
  pathOf(m: AnyModule): string { return this.#paths.get(m) ?? `<unregistered ${m.constructor.name}>`; }

  /** Throws UnsupportedModuleError naming m's path and class. */
  fail(m: AnyModule, reason: string): never { throw new UnsupportedModuleError(this.pathOf(m), m.constructor.name, reason); }

  /** Exports m applied to x with the exporter registered for m's exact class (UnsupportedModuleError if none). */
  module(m: AnyModule, x: Value): Value {
    const fn = exporterFor(m);
    if (!fn) {
      this.fail(m, `no ONNX exporter is registered for class ${m.constructor.name} (exportable: ${exportableModules().join(', ')}); ` +
        'register the inference form of a custom module with registerOnnxExporter(Class, fn)');
    }
    return fn(m, x, this);
  }

  /** One node with one output whose libtorch value is `sample`; inputs are values or initialiser names. */
  op(opType: string, inputs: (Value | string)[], sample: Tensor, attrs: Record<string, AttrValue> = {}, hint = opType): Value {
    const [name] = this.graph.addNode(opType, inputs.map((v) => (typeof v === 'string' ? v : v.name)), attrs, hint);
    return { name: name!, sample };
  }

  /** An initialiser holding m's tensor `field` (named '<path>.<field>'). */
  param(m: AnyModule, field: string, t: Tensor): string { return this.graph.addTensor(`${this.pathOf(m)}.${field}`, t); }

  /** A float32 constant initialiser. */
  constant(hint: string, values: number[], dims: number[] = [values.length]): string { return this.graph.addFloats(hint, values, dims); }

  /** a + b (ONNX Add, numpy broadcasting). */
  add(a: Value, b: Value, hint = 'add'): Value { return this.op('Add', [a, b], torch.add(a.sample, b.sample), {}, hint); }

  /** Flattens dims 1.. into one (ONNX Flatten axis=1; the batch dim stays dynamic). */
  flatten(x: Value, hint = 'flatten'): Value { return this.op('Flatten', [x], x.sample.flatten(1), { axis: 1 }, hint); }

  /** Concatenation along `dim` (not the batch dim). */
  concat(xs: Value[], dim: number, hint = 'concat'): Value {
    const nd = xs[0]!.sample.ndim;
    const axis = dim < 0 ? dim + nd : dim;
    if (axis <= 0 || axis >= nd) throw new RangeError(`concat: dim ${dim} must be a non-batch dim of a ${nd}-d value`);
    return this.op('Concat', xs, torch.cat(xs.map((v) => v.sample), axis), { axis }, hint);
  }

  /** Softmax along dim (ONNX Softmax-13 semantics: one axis). */
  softmax(x: Value, dim: number, hint = 'softmax'): Value {
    return this.op('Softmax', [x], torch.softmax(x.sample, dim), { axis: dim }, hint);
  }
}

/**
 * @module GraphBuilder: collects the nodes, initialisers, inputs and outputs of one ONNX graph with unique
 * names, and turns them into a ModelProto. Initialisers are float32 (or int64) raw little-endian data copied
 * from the trained tensors.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { AttrType, DataType, type AttributeProto, type DimProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

/** A float attribute (a plain number is an int attribute, a number[] an ints one). */
export class FloatAttr { constructor(readonly value: number) {} }
/** Shorthand for a float attribute. */
export const float = (v: number): FloatAttr => new FloatAttr(v);
/** An attribute value: int, ints, float (float(x)), floats (float arrays), or string. */
export type AttrValue = number | number[] | FloatAttr | FloatAttr[] | string;

function attribute(name: string, v: AttrValue): AttributeProto {
  if (v instanceof FloatAttr) return { name, type: AttrType.FLOAT, f: v.value };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`attribute ${name}: int attribute must be an integer, got ${v} (use float())`);
    return { name, type: AttrType.INT, i: v };
  }
  if (v.every((e) => e instanceof FloatAttr)) return { name, type: AttrType.FLOATS, floats: (v as FloatAttr[]).map((e) => e.value) };
  return { name, type: AttrType.INTS, ints: v as number[] };
}

const valueInfo = (name: string, dims: (number | string)[]): ValueInfoProto => ({
  name,
  type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d): DimProto => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

/** Builds one ONNX graph; every name it hands out is unique within the graph. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly #used = new Set<string>();

  /** A fresh name: `hint` itself when free, else hint_1, hint_2, ... */
  unique(hint: string): string {
    const base = hint.replace(/[^\w.:/-]/g, '_') || 'v';
    let name = base;
    for (let i = 1; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }

  /** Declares a float32 graph input; string dims are dynamic (dim_param). */
  addInput(name: string, dims: (number | string)[]): string {
    const n = this.unique(name);
    this.inputs.push(valueInfo(n, dims));
    return n;
  }

  /** Declares a float32 graph output. The value must carry that name (see rename). */
  addOutput(name: string, dims: (number | string)[]): void { this.outputs.push(valueInfo(name, dims)); }

  /** A float32 initialiser holding a copy of `t` (any float dtype; cast to float32); returns its name. */
  addTensor(hint: string, t: Tensor): string {
    const data = torch.tidy(() => t.detach().to('float32').contiguous().data() as Float32Array);
    return this.addFloats(hint, data, t.shape);
  }
  /** A float32 initialiser from values and dims. */
  addFloats(hint: string, values: Float32Array | number[], dims: number[]): string {
    const f = values instanceof Float32Array ? values : Float32Array.from(values);
    const count = dims.reduce((a, d) => a * d, 1);
    if (f.length !== count) throw new RangeError(`initializer ${hint}: ${f.length} values for dims [${dims.join(', ')}]`);
    return this.#push(hint, dims, DataType.FLOAT, new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)));
  }
  /** An int64 initialiser (shapes for Reshape). */
  addInt64s(hint: string, values: number[]): string {
    return this.#push(hint, [values.length], DataType.INT64, new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer));
  }
  #push(hint: string, dims: number[], dataType: number, rawData: Uint8Array): string {
    const name = this.unique(hint);
    this.initializers.push({ name, dims: [...dims], dataType, rawData });
    return name;
  }

  /** Adds a node; returns its output names (`outputs` of them, named after `hint`). */
  addNode(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType, outputs = 1): string[] {
    const name = this.unique(`${hint}/${opType}`);
    const out = Array.from({ length: outputs }, (_, i) => this.unique(outputs === 1 ? `${hint}:out` : `${hint}:out${i}`));
    this.nodes.push({ name, opType, input: inputs, output: out, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return out;
  }

  /** Renames a value produced by a node (and its uses) to `to` (e.g. the graph output 'logits'). */
  renameValue(from: string, to: string): string {
    const name = this.unique(to);
    for (const n of this.nodes) {
      n.output = n.output.map((v) => (v === from ? name : v));
      n.input = n.input.map((v) => (v === from ? name : v));
    }
    return name;
  }

  /** The model: the IR version of the opset's ONNX release (8 up to opset 18, 9 for 19-20, 10 for 21), the default ONNX domain at `opset`, and metadata_props. */
  toModel(o: { opset: number; graphName: string; producerVersion: string; metadata: Record<string, string>; docString?: string }): ModelProto {
    return {
      irVersion: o.opset <= 18 ? 8 : o.opset <= 20 ? 9 : 10,
      opsetImport: [{ domain: '', version: o.opset }],
      producerName: 'adaptune', producerVersion: o.producerVersion,
      graph: { name: o.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
      metadataProps: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
      ...(o.docString ? { docString: o.docString } : {}),
    };
  }
}

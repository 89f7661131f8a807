/**
 * @module The ONNX protobuf schema (src/export/onnx.proto, ONNX v1.22.0, Apache-2.0) loaded with protobufjs,
 * and typed plain-object forms of the messages adaptune writes: encodeModel(ModelProto) -> bytes,
 * decodeModel(bytes) -> ModelProto (int64 fields as numbers). Field names are protobufjs's camelCase.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
/** AttributeProto.AttributeType values used here. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** onnx.TensorProto (raw little-endian data). */
export interface TensorProto { name: string; dims: number[]; dataType: number; rawData: Uint8Array }
/** onnx.AttributeProto (one of f, i, s, floats, ints by `type`). */
export interface AttributeProto { name: string; type: number; f?: number; i?: number; s?: Uint8Array; floats?: number[]; ints?: number[] }
/** onnx.NodeProto. */
export interface NodeProto { name: string; opType: string; input: string[]; output: string[]; attribute: AttributeProto[]; domain?: string }
/** A dimension: a fixed size or a named (dynamic) one. */
export type DimProto = { dimValue: number } | { dimParam: string };
/** onnx.ValueInfoProto of a tensor. */
export interface ValueInfoProto { name: string; type: { tensorType: { elemType: number; shape: { dim: DimProto[] } } } }
/** onnx.GraphProto. */
export interface GraphProto { name: string; node: NodeProto[]; initializer: TensorProto[]; input: ValueInfoProto[]; output: ValueInfoProto[]; docString?: string }
/** onnx.StringStringEntryProto. */
export interface StringStringEntry { key: string; value: string }
/** onnx.ModelProto. */
export interface ModelProto {
  irVersion: number; opsetImport: { domain: string; version: number }[]; producerName: string; producerVersion: string;
  graph: GraphProto; metadataProps: StringStringEntry[]; docString?: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** The checked-in onnx.proto (found from src/export or from dist/src/export). */
export function onnxProtoPath(): string {
  const candidates = [join(HERE, 'onnx.proto'), resolve(HERE, '../../../src/export/onnx.proto')];
  const hit = candidates.find((p) => existsSync(p));
  if (!hit) throw new Error(`onnx.proto not found (looked in ${candidates.join(', ')})`);
  return hit;
}

let modelType: protobuf.Type | null = null;
function type(): protobuf.Type {
  modelType ??= protobuf.loadSync(onnxProtoPath()).lookupType('onnx.ModelProto');
  return modelType;
}

/** Encodes a ModelProto to the bytes of an .onnx file (throws naming the first invalid field). */
export function encodeModel(m: ModelProto): Uint8Array {
  const t = type();
  const msg = t.fromObject(m as unknown as Record<string, unknown>);
  const err = t.verify(msg);
  if (err) throw new Error(`encodeModel: invalid ModelProto (${err})`);
  return t.encode(msg).finish();
}

/** Decodes the bytes of an .onnx file (int64 as numbers, bytes as Uint8Array, absent repeated fields as []). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const t = type();
  return t.toObject(t.decode(bytes), { longs: Number, arrays: true }) as ModelProto;
}

/**
 * @module safetensors read/write in TypeScript (huggingface/safetensors format):
 * 8-byte little-endian header length, JSON header, packed little-endian data.
 * The reader is hardened: header size limit, dtype x shape = bytes, offsets in
 * bounds, contiguous and non-overlapping, no duplicate names; every error names
 * the file. libtorch's pickle/TorchScript loaders are never used.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync, fsyncSync, renameSync, unlinkSync } from 'node:fs';
import { SafetensorsError } from '../errors.js';
import { fromBuffer } from '../tensor/creation.js';
import { DTYPE_SIZE, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** Largest header accepted (the reference implementation's MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

const ST_TO_DTYPE: Record<string, DType> = {
  BOOL: 'bool', U8: 'uint8', I8: 'int8', I16: 'int16', I32: 'int32', I64: 'int64',
  F16: 'float16', BF16: 'bfloat16', F32: 'float32', F64: 'float64', C64: 'complex64',
};
const DTYPE_TO_ST: Record<DType, string> = {
  bool: 'BOOL', uint8: 'U8', int8: 'I8', int16: 'I16', int32: 'I32', int64: 'I64',
  float16: 'F16', bfloat16: 'BF16', float32: 'F32', float64: 'F64', complex64: 'C64', complex128: 'C128',
};

export interface TensorInfo { dtype: DType; shape: number[]; begin: number; end: number }
export interface SafetensorsHeader { tensors: Map<string, TensorInfo>; metadata: Record<string, string>; dataStart: number }

/** Top-level keys in order of appearance (JSON.parse silently keeps the last of duplicates). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k]!)) k++;
        if (text[k] === ':') keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      }
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

function fail(file: string, msg: string): never {
  throw new SafetensorsError(`${file}: ${msg}`);
}

/** Parses and validates the header of a safetensors file of `fileSize` bytes. */
export function parseHeader(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  let json: unknown;
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    json = JSON.parse(text);
  } catch (e) {
    fail(file, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail(file, 'header is not a JSON object');
  const keys = topLevelKeys(text);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup !== undefined) fail(file, `tensor name '${dup}' appears twice in the header`);
  const dataStart = 8 + headerBytes.length;
  const dataLen = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(file, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw)) if (typeof v !== 'string') fail(file, `__metadata__.${k} is not a string`);
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') fail(file, `tensor '${name}': entry is not an object`);
    const dtype = typeof e.dtype === 'string' ? ST_TO_DTYPE[e.dtype] : undefined;
    if (!dtype) fail(file, `tensor '${name}': unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(ST_TO_DTYPE).join(', ')})`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(file, `tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(e.shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      fail(file, `tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`);
    }
    const shape = e.shape as number[];
    let numel = 1;
    for (const d of shape) {
      numel *= d;
      if (!Number.isSafeInteger(numel)) fail(file, `tensor '${name}': shape [${shape}] overflows`);
    }
    const need = numel * DTYPE_SIZE[dtype];
    const [begin, end] = off as [number, number];
    if (end - begin !== need) fail(file, `tensor '${name}': ${dtype}[${shape}] needs ${need} bytes but data_offsets span ${end - begin}`);
    if (end > dataLen) fail(file, `tensor '${name}': data_offsets end ${end} is past the data (${dataLen} bytes; file truncated?)`);
    tensors.set(name, { dtype, shape, begin, end });
  }
  // Offsets must tile the data buffer exactly: no gaps, no overlap (format rule).
  const spans = [...tensors.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let pos = 0;
  for (const [name, t] of spans) {
    if (t.begin < pos) fail(file, `tensor '${name}': data overlaps the previous tensor (begins at ${t.begin} < ${pos})`);
    if (t.begin > pos) fail(file, `tensor '${name}': gap in the data before byte ${t.begin} (expected ${pos})`);
    pos = t.end;
  }
  if (pos !== dataLen) fail(file, `the tensors cover ${pos} bytes but the data section has ${dataLen}`);
  return { tensors, metadata, dataStart };
}

function readExactly(fd: number, buf: Uint8Array, position: number, file: string): void {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) fail(file, `unexpected end of file at byte ${position + off}`);
    off += n;
  }
}

/** Reads just the header (names, dtypes, shapes, metadata). */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openFile(file);
  try {
    return readHeaderFd(fd, file);
  } finally {
    closeSync(fd);
  }
}

function openFile(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    fail(file, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function readHeaderFd(fd: number, file: string): SafetensorsHeader {
  const size = fstatSync(fd).size;
  if (size < 8) fail(file, `file is ${size} bytes, too short for a safetensors header`);
  const lenBuf = new Uint8Array(8);
  readExactly(fd, lenBuf, 0, file);
  const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n + 8n > BigInt(size)) fail(file, `header length ${n} is past the end of the ${size}-byte file`);
  const header = new Uint8Array(Number(n));
  readExactly(fd, header, 8, file);
  return parseHeader(file, header, size);
}

/** Loads every tensor of a safetensors file (on CPU) with its metadata. Names keep the file's order. */
export function loadSafetensors(file: string, opts: { names?: string[] } = {}): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fd = openFile(file);
  const out = new Map<string, Tensor>();
  try {
    const hdr = readHeaderFd(fd, file);
    for (const name of opts.names ?? hdr.tensors.keys()) {
      const info = hdr.tensors.get(name);
      if (!info) fail(file, `no tensor named '${name}'`);
      const bytes = new Uint8Array(info.end - info.begin);
      readExactly(fd, bytes, hdr.dataStart + info.begin, file);
      out.set(name, fromBuffer(bytes, info.shape, info.dtype));
    }
    return { tensors: out, metadata: hdr.metadata };
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes tensors to `file` atomically (temp file, fsync, rename). Tensors are
 * written in name order, header padded with spaces to 8 bytes, as the reference writer does.
 */
export function saveSafetensors(file: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): void {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let pos = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new SafetensorsError(`${file}: '__metadata__' cannot be a tensor name`);
    const dtype = DTYPE_TO_ST[t.dtype];
    if (!ST_TO_DTYPE[dtype]) throw new SafetensorsError(`${file}: tensor '${name}' has dtype ${t.dtype}, which safetensors cannot hold`);
    const bytes = t.bytes();
    header[name] = { dtype, shape: t.shape, data_offsets: [pos, pos + bytes.length] };
    blobs.push(bytes);
    pos += bytes.length;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  if (hb.length % 8) {
    json += ' '.repeat(8 - (hb.length % 8));
    hb = enc.encode(json);
  }
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(hb.length), true);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const part of [len, hb, ...blobs]) {
      let off = 0;
      while (off < part.length) off += writeSync(fd, part, off, part.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

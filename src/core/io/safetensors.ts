/**
 * @module safetensors read/write in TypeScript (huggingface/safetensors format):
 * 8-byte little-endian header length, JSON header, packed little-endian data.
 * The reader is hardened: header size limit, dtype x shape = bytes, offsets in
 * bounds, contiguous and non-overlapping, no duplicate names; every error names
 * the file. libtorch's pickle/TorchScript loaders are never used.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync, fsyncSync, renameSync, unlinkSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { SafetensorsError } from '../errors.js';
import { HeaderSyntaxError, parseTopLevelObject, type JsonValue } from './json-header.js';
import { fromBuffer } from '../tensor/creation.js';
import { DTYPE_SIZE, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** Largest header accepted (the reference implementation's MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;
/**
 * Most tensors one file may declare. Real checkpoints hold hundreds to a few
 * thousand tensors per file; a 100 MB header could declare ~1.7 million, which
 * takes seconds to index. Parsing stops at the 200,001st entry, so a header of
 * 1,000,000 tensors is refused in well under 2 s (docs/reliability.md), and one of
 * 200,000 is read in linear time.
 */
export const MAX_TENSORS = 200_000;
/** Reads and writes go in chunks of at most this many bytes (fs calls refuse lengths of 2 GiB and more). */
export const IO_CHUNK_BYTES = 1 << 30;
/** Largest single tensor this reader can hold (one JS buffer). */
export const MAX_TENSOR_BYTES = bufferConstants.MAX_LENGTH;

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

function fail(file: string, msg: string): never {
  throw new SafetensorsError(`${file}: ${msg}`);
}

/** Parses and validates the header of a safetensors file of `fileSize` bytes. */
export function parseHeader(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  if (headerBytes[0] === 0xef && headerBytes[1] === 0xbb && headerBytes[2] === 0xbf) {
    fail(file, 'header starts with a UTF-8 byte-order mark (not allowed by the format)');
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch (e) {
    fail(file, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerBytes.length;
  const dataLen = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  const order: TensorInfo[] = [];
  const names: string[] = [];
  let metadata: Record<string, string> | null = null;
  const onMember = (name: string, raw: JsonValue): void => {
    if (name === '__metadata__') {
      if (metadata) fail(file, `'__metadata__' appears twice in the header`);
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(file, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw)) if (typeof v !== 'string') fail(file, `__metadata__.${k} is not a string`);
      metadata = { ...(raw as Record<string, string>) };
      return;
    }
    if (tensors.has(name)) fail(file, `tensor name '${name}' appears twice in the header`);
    if (tensors.size >= MAX_TENSORS) fail(file, `header declares more than ${MAX_TENSORS} tensors (the reader's limit, MAX_TENSORS)`);
    const info = checkEntry(file, name, raw, dataLen);
    tensors.set(name, info);
    order.push(info);
    names.push(name);
  };
  if (!/^[ \t\r\n]*\{/.test(text)) fail(file, 'header is not a JSON object');
  try {
    parseTopLevelObject(text, onMember);
  } catch (e) {
    if (!(e instanceof HeaderSyntaxError)) throw e;
    fail(file, `header is not valid UTF-8 JSON (${e.message})`);
  }
  // Offsets must tile the data buffer exactly: no gaps, no overlap (format rule).
  let idx: number[] | null = null;
  let sorted = true;
  for (let k = 1; k < order.length && sorted; k++) {
    const a = order[k - 1]!, b = order[k]!;
    sorted = a.begin < b.begin || (a.begin === b.begin && a.end <= b.end);
  }
  if (!sorted) idx = order.map((_, k) => k).sort((a, b) => order[a]!.begin - order[b]!.begin || order[a]!.end - order[b]!.end);
  let pos = 0;
  for (let j = 0; j < order.length; j++) {
    const k = idx ? idx[j]! : j;
    const t = order[k]!;
    const name = names[k]!;
    if (t.begin < pos) fail(file, `tensor '${name}': data overlaps the previous tensor (begins at ${t.begin} < ${pos})`);
    if (t.begin > pos) fail(file, `tensor '${name}': gap in the data before byte ${t.begin} (expected ${pos})`);
    pos = t.end;
  }
  if (pos !== dataLen) fail(file, `the tensors cover ${pos} bytes but the data section has ${dataLen}`);
  return { tensors, metadata: metadata ?? {}, dataStart };
}

function checkEntry(file: string, name: string, raw: JsonValue, dataLen: number): TensorInfo {
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (!e || typeof e !== 'object' || Array.isArray(e)) fail(file, `tensor '${name}': entry is not an object`);
  const dtype = typeof e.dtype === 'string' && Object.prototype.hasOwnProperty.call(ST_TO_DTYPE, e.dtype) ? ST_TO_DTYPE[e.dtype] : undefined;
  if (!dtype) fail(file, `tensor '${name}': unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(ST_TO_DTYPE).join(', ')})`);
  const shape = e.shape;
  let ok = Array.isArray(shape);
  let numel = 1;
  if (ok) {
    for (const d of shape as unknown[]) {
      if (!Number.isSafeInteger(d) || (d as number) < 0) { ok = false; break; }
      numel *= d as number;
    }
  }
  if (!ok) fail(file, `tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Number.isSafeInteger(numel)) fail(file, `tensor '${name}': shape [${shape as number[]}] overflows`);
  const off = e.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !Number.isSafeInteger(off[0]) || !Number.isSafeInteger(off[1]) ||
      (off[0] as number) < 0 || (off[0] as number) > (off[1] as number)) {
    fail(file, `tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`);
  }
  const need = numel * DTYPE_SIZE[dtype];
  const begin = off[0] as number, end = off[1] as number;
  if (end - begin !== need) fail(file, `tensor '${name}': ${dtype}[${shape as number[]}] needs ${need} bytes but data_offsets span ${end - begin}`);
  if (end > dataLen) fail(file, `tensor '${name}': data_offsets end ${end} is past the data (${dataLen} bytes; file truncated?)`);
  return { dtype, shape: shape as number[], begin, end };
}

/** Reads buf.length bytes at `position`, in chunks of at most `chunk` bytes. */
export function readExactly(fd: number, buf: Uint8Array, position: number, file: string, chunk = IO_CHUNK_BYTES): void {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, Math.min(chunk, buf.length - off), position + off);
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
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') fail(file, 'is a directory, not a safetensors file');
    fail(file, `cannot open (${code ?? (e as Error).message})`);
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    fail(file, 'is a directory, not a safetensors file');
  }
  return fd;
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
      const size = info.end - info.begin;
      if (size > MAX_TENSOR_BYTES) fail(file, `tensor '${name}' is ${size} bytes, more than the ${MAX_TENSOR_BYTES} bytes one buffer can hold`);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(size);
      } catch (e) {
        fail(file, `tensor '${name}': cannot allocate ${size} bytes (${(e as Error).message})`);
      }
      readExactly(fd, bytes, hdr.dataStart + info.begin, file);
      try {
        out.set(name, fromBuffer(bytes, info.shape, info.dtype));
      } catch (e) {
        if (e instanceof SafetensorsError) throw e;
        fail(file, `tensor '${name}' (${info.dtype}[${info.shape}]): ${(e as Error).message}`);
      }
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
    let bytes: Uint8Array;
    try {
      bytes = t.bytes();
    } catch (e) {
      throw new SafetensorsError(`${file}: tensor '${name}' (${t.dtype}[${t.shape}]) cannot be copied out: ${(e as Error).message}`);
    }
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
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw new SafetensorsError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    for (const part of [len, hb, ...blobs]) {
      let off = 0;
      while (off < part.length) off += writeSync(fd, part, off, Math.min(IO_CHUNK_BYTES, part.length - off));
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    if (e instanceof SafetensorsError) throw e;
    throw new SafetensorsError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  closeSync(fd);
  renameSync(tmp, file);
}

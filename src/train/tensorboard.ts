/**
 * @module TensorBoard event files, hand-rolled: a tiny protobuf encoder for the
 * few fields of tensorflow/core/util/event.proto and summary.proto that scalars
 * need, CRC32C (Castagnoli, table-driven) and the TFRecord framing. A
 * SummaryWriter appends scalars to `events.out.tfevents.<unix_seconds>.<host>`;
 * metricsToTensorBoard() converts a run directory's metrics.jsonl and
 * tensorboardListener() writes live from the engine's events.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { TrainEvent } from './events.js';

// ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) ----

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C of `data` (crc32c("123456789") = 0xE3069283). */
export function crc32c(data: Uint8Array | string): number {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The TFRecord mask of a CRC: ((crc >>> 15) | (crc << 17)) + 0xa282ead8 mod 2^32. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

// ---- a minimal protobuf writer (wire types 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32) ----

/** Appends protobuf fields to a growing byte list. */
export class ProtoWriter {
  #parts: number[] = [];

  /** A varint (unsigned; negative int64 values are written as their 10-byte two's complement). */
  varint(v: number | bigint): this {
    let b = BigInt.asUintN(64, BigInt(v));
    do {
      let byte = Number(b & 0x7fn);
      b >>= 7n;
      if (b > 0n) byte |= 0x80;
      this.#parts.push(byte);
    } while (b > 0n);
    return this;
  }

  /** A field key: (field << 3) | wireType. */
  key(field: number, wire: 0 | 1 | 2 | 5): this { return this.varint((field << 3) | wire); }

  /** An int64 field (wire type 0). */
  int64(field: number, v: number | bigint): this { return this.key(field, 0).varint(v); }

  /** A double field (wire type 1, little-endian fixed64). */
  double(field: number, v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.key(field, 1);
    this.#parts.push(...b);
    return this;
  }

  /** A float field (wire type 5, little-endian fixed32). */
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.key(field, 5);
    this.#parts.push(...b);
    return this;
  }

  /** A bytes / embedded-message field (wire type 2). */
  bytes(field: number, v: Uint8Array): this {
    this.key(field, 2).varint(v.length);
    for (const x of v) this.#parts.push(x);
    return this;
  }

  /** A string field (wire type 2, UTF-8). */
  string(field: number, v: string): this { return this.bytes(field, new TextEncoder().encode(v)); }

  /** The bytes written so far. */
  finish(): Uint8Array { return Uint8Array.from(this.#parts); }
}

// ---- Event / Summary messages (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto) ----

/** Serialized Event { wall_time = 1 (double), step = 2 (int64), file_version = 3 (string) }. */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).int64(2, 0).string(3, 'brain.Event:2').finish();
}

/**
 * Serialized Event { wall_time = 1, step = 2, summary = 5 } holding
 * Summary { value = 1 (repeated) } of Summary.Value { tag = 1 (string), simple_value = 2 (float) }.
 */
export function encodeScalarEvent(tag: string, value: number, step: number, wallTime: number): Uint8Array {
  const val = new ProtoWriter().string(1, tag).float(2, value).finish();
  const summary = new ProtoWriter().bytes(1, val).finish();
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary).finish();
}

/** One TFRecord: uint64 LE length, uint32 LE masked CRC32C of the length, data, uint32 LE masked CRC32C of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskCrc(crc32c(data)), true);
  return out;
}

/** Options of a SummaryWriter. */
export interface SummaryWriterOptions {
  /** The host part of the file name (default os.hostname()). */
  hostname?: string;
  /** Appended to the file name (e.g. '.v2'). */
  filenameSuffix?: string;
  /** The wall time of the file_version event, in seconds (default now). */
  wallTime?: number;
}

/** Writes scalars as a TensorBoard event file; every record is appended with write() as it comes. */
export class SummaryWriter {
  /** The event file's path. */
  readonly file: string;
  #fd: number | null;

  constructor(readonly logDir: string, opts: SummaryWriterOptions = {}) {
    mkdirSync(logDir, { recursive: true });
    const wall = opts.wallTime ?? Date.now() / 1000;
    const host = (opts.hostname ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-') || 'localhost';
    let name = `events.out.tfevents.${Math.floor(wall)}.${host}${opts.filenameSuffix ?? ''}`;
    for (let i = 1; existsSync(join(logDir, name)); i++) name = `events.out.tfevents.${Math.floor(wall)}.${host}${opts.filenameSuffix ?? ''}.${i}`;
    this.file = join(logDir, name);
    this.#fd = openSync(this.file, 'a');
    this.#write(encodeFileVersionEvent(wall));
  }

  #write(event: Uint8Array): void {
    if (this.#fd === null) throw new Error(`SummaryWriter for ${this.file} is closed`);
    const rec = frameRecord(event);
    let off = 0;
    while (off < rec.length) off += writeSync(this.#fd, rec, off, rec.length - off);
  }

  /** Appends one scalar (wallTime in seconds, default now); a non-integer step is refused. */
  addScalar(tag: string, value: number, step: number, wallTime = Date.now() / 1000): void {
    if (!Number.isSafeInteger(step)) throw new RangeError(`addScalar('${tag}'): step must be an integer, got ${step}`);
    this.#write(encodeScalarEvent(tag, value, step, wallTime));
  }

  /** fsyncs what was written. */
  flush(): void { if (this.#fd !== null) fsyncSync(this.#fd); }

  /** Flushes and closes the file (idempotent). */
  close(): void {
    if (this.#fd === null) return;
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = null;
  }
}

const SKIP_KEYS = new Set(['step', 'epoch', 'split', 'time', 'skipped']);

/**
 * Converts `<runDir>/metrics.jsonl` into an event file under `logDir`
 * (default `<runDir>/tensorboard`): every numeric field becomes the scalar
 * `<split>/<name>` at its step with its logged time. Returns the file and the count.
 */
export function metricsToTensorBoard(runDir: string, logDir = join(runDir, 'tensorboard'), opts: SummaryWriterOptions = {}): { file: string; scalars: number } {
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n');
  const recs: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try { recs.push(JSON.parse(line) as Record<string, unknown>); } catch { /* a partial last line */ }
  }
  const first = recs.find((r) => typeof r['time'] === 'number')?.['time'] as number | undefined;
  const w = new SummaryWriter(logDir, { wallTime: first, ...opts });
  let scalars = 0;
  try {
    for (const r of recs) {
      if (typeof r['step'] !== 'number' || !Number.isSafeInteger(r['step'])) continue;
      const split = typeof r['split'] === 'string' ? r['split'] : 'train';
      const time = typeof r['time'] === 'number' ? r['time'] : Date.now() / 1000;
      for (const [k, v] of Object.entries(r)) {
        if (SKIP_KEYS.has(k) || typeof v !== 'number') continue;
        w.addScalar(`${split}/${k}`, v, r['step'], time);
        scalars++;
      }
    }
  } finally {
    w.close();
  }
  return { file: w.file, scalars };
}

/**
 * The run's TensorBoard events: the file written during training when RUN_DIR/tensorboard/ holds one
 * (`existing: true`; nothing is written, so TensorBoard does not show a second, different copy of the run),
 * else a new file converted from metrics.jsonl (metricsToTensorBoard).
 */
export function ensureTensorBoard(runDir: string): { file: string; scalars: number; existing: boolean } {
  const dir = join(runDir, 'tensorboard');
  let found: string[] = [];
  try { found = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.')).sort(); } catch { /* no folder yet */ }
  if (found.length) return { file: join(dir, found[0]!), scalars: 0, existing: true };
  return { ...metricsToTensorBoard(runDir), existing: false };
}

/**
 * A TrainEvent listener that writes live scalars (for TrainOptions.onEvent):
 * step events give train/loss, train/lr and train/gradNorm, eval events give
 * eval/<metric>; the 'end' event closes the file. Chain it with a progress
 * listener: `onEvent: (e) => { progress(e); tb(e); }`.
 */
export function tensorboardListener(logDir: string, opts: SummaryWriterOptions = {}): ((e: TrainEvent) => void) & { writer: SummaryWriter } {
  const writer = new SummaryWriter(logDir, opts);
  const put = (tag: string, v: number | null, step: number): void => { if (typeof v === 'number') writer.addScalar(tag, v, step); };
  const listener = (e: TrainEvent): void => {
    if (e.type === 'step' && !e.skipped) {
      put('train/loss', e.loss, e.step);
      put('train/lr', e.lr, e.step);
      put('train/gradNorm', e.gradNorm, e.step);
    } else if (e.type === 'eval') {
      for (const [k, v] of Object.entries(e.metrics)) put(`eval/${k}`, v, e.step);
    } else if (e.type === 'end') writer.close();
  };
  return Object.assign(listener, { writer });
}

/**
 * @module A small read-only ZIP reader for PyTorch checkpoints (torch.save's zip format): the central directory
 * (ZIP64 included), stored and deflated entries (node's zlib), every offset and size checked against the file.
 * Errors are CheckpointErrors naming the file and the entry.
 */
import { inflateRawSync } from 'node:zlib';
import { CheckpointError } from '../errors.js';

/** One entry of the central directory. */
export interface ZipEntry { name: string; method: number; compressedSize: number; size: number; localOffset: number }

/** True when the bytes start with a ZIP local-file header ("PK\x03\x04"). */
export const isZip = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

/** The entries of a ZIP archive held in memory, by name. */
export function zipEntries(buf: Uint8Array, file: string): Map<string, ZipEntry> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (msg: string): never => { throw new CheckpointError(`${file}: not a readable ZIP archive (${msg})`); };
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) fail('no end-of-central-directory record');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) fail('ZIP64 locator missing');
    const rec = Number(dv.getBigUint64(loc + 8, true));
    if (rec + 56 > buf.length || dv.getUint32(rec, true) !== 0x06064b50) fail('ZIP64 end record missing');
    count = Number(dv.getBigUint64(rec + 32, true));
    cdSize = Number(dv.getBigUint64(rec + 40, true));
    cdOffset = Number(dv.getBigUint64(rec + 48, true));
  }
  if (cdOffset + cdSize > buf.length) fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) is past the end of the ${buf.length}-byte file`);
  const out = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || dv.getUint32(p, true) !== 0x02014b50) fail(`central directory entry ${k} is malformed`);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > buf.length) fail(`central directory entry ${k} runs past the end`);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field: the 64-bit values of whichever 32-bit fields are 0xffffffff, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (): number => { if (q + 8 > e + 4 + len) fail(`ZIP64 field of ${name} too short`); const v = Number(dv.getBigUint64(q, true)); q += 8; return v; };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      e += 4 + len;
    }
    if (out.has(name)) fail(`entry ${name} appears twice`);
    out.set(name, { name, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The bytes of one entry (a view into `buf` for stored entries). */
export function zipRead(buf: Uint8Array, e: ZipEntry, file: string): Uint8Array {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (msg: string): never => { throw new CheckpointError(`${file}: entry ${e.name}: ${msg}`); };
  const h = e.localOffset;
  if (h + 30 > buf.length || dv.getUint32(h, true) !== 0x04034b50) fail('local header missing');
  const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
  if (start + e.compressedSize > buf.length) fail(`data [${start}, ${start + e.compressedSize}) is past the end of the ${buf.length}-byte file (truncated?)`);
  const raw = buf.subarray(start, start + e.compressedSize);
  if (e.method === 0) {
    if (e.size !== e.compressedSize) fail('stored entry with different sizes');
    return raw;
  }
  if (e.method !== 8) fail(`compression method ${e.method} is not supported (stored or deflate only)`);
  let out: Uint8Array;
  try { out = inflateRawSync(raw, { maxOutputLength: Math.max(e.size, 1) }); } catch (err) { return fail(`cannot inflate (${(err as Error).message})`); }
  if (out.length !== e.size) fail(`inflated to ${out.length} bytes, the directory says ${e.size}`);
  return out;
}

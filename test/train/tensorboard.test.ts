/** TensorBoard event files: CRC32C vectors and a round-trip decoder (framing, both CRCs, protobuf fields). The check with TensorBoard's own reader needs its Python package, which no Debian package provides, so it is a manual step (docs/testing.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { crc32c, maskCrc, metricsToTensorBoard, SummaryWriter, tensorboardListener } from '../../src/train/tensorboard.js';

const made: string[] = [];
process.on('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
const tmp = (tag: string): string => { const d = mkdtempSync(join(tmpdir(), `adaptune-tb-${tag}-`)); made.push(d); return d; };

/** A decoded Event (only the fields the writer emits). */
interface Ev { wallTime?: number; step?: bigint; fileVersion?: string; values: { tag: string; simpleValue: number }[] }

/** Reads protobuf fields: [field, wireType, value] with value a bigint (varint), a DataView slice (fixed) or bytes. */
function* fields(b: Uint8Array): Generator<[number, number, bigint | Uint8Array]> {
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    for (let s = 0n; ; s += 7n) {
      const x = b[i++];
      assert.ok(x !== undefined, 'truncated varint');
      r |= BigInt(x & 0x7f) << s;
      if (!(x & 0x80)) return r;
    }
  };
  while (i < b.length) {
    const k = Number(varint());
    const f = k >>> 3, w = k & 7;
    if (w === 0) yield [f, w, varint()];
    else if (w === 1) { yield [f, w, b.subarray(i, i + 8)]; i += 8; }
    else if (w === 5) { yield [f, w, b.subarray(i, i + 4)]; i += 4; }
    else if (w === 2) { const n = Number(varint()); yield [f, w, b.subarray(i, i + n)]; i += n; }
    else assert.fail(`unexpected wire type ${w}`);
  }
  assert.equal(i, b.length, 'message overran its bytes');
}
const dv = (u: Uint8Array): DataView => new DataView(u.buffer, u.byteOffset, u.byteLength);

/** Decodes an Event message. */
function decodeEvent(b: Uint8Array): Ev {
  const ev: Ev = { values: [] };
  for (const [f, w, v] of fields(b)) {
    if (f === 1 && w === 1) ev.wallTime = dv(v as Uint8Array).getFloat64(0, true);
    else if (f === 2 && w === 0) ev.step = BigInt.asIntN(64, v as bigint);
    else if (f === 3 && w === 2) ev.fileVersion = new TextDecoder().decode(v as Uint8Array);
    else if (f === 5 && w === 2) {
      for (const [sf, sw, sv] of fields(v as Uint8Array)) {
        assert.deepEqual([sf, sw], [1, 2], 'Summary holds only values');
        const val = { tag: '', simpleValue: NaN };
        for (const [vf, vw, vv] of fields(sv as Uint8Array)) {
          if (vf === 1 && vw === 2) val.tag = new TextDecoder().decode(vv as Uint8Array);
          else if (vf === 2 && vw === 5) val.simpleValue = dv(vv as Uint8Array).getFloat32(0, true);
          else assert.fail(`unexpected Value field ${vf}/${vw}`);
        }
        ev.values.push(val);
      }
    } else assert.fail(`unexpected Event field ${f}/${w}`);
  }
  return ev;
}

/** Splits a TFRecord file, verifying both masked CRCs of every record. */
function readRecords(file: string): Ev[] {
  const buf = new Uint8Array(readFileSync(file));
  const d = dv(buf);
  const out: Ev[] = [];
  let o = 0;
  while (o < buf.length) {
    assert.ok(o + 12 <= buf.length, 'truncated header');
    const len = Number(d.getBigUint64(o, true));
    assert.equal(d.getUint32(o + 8, true), maskCrc(crc32c(buf.subarray(o, o + 8))), `length CRC of the record at ${o}`);
    const data = buf.subarray(o + 12, o + 12 + len);
    assert.equal(data.length, len, 'truncated data');
    assert.equal(d.getUint32(o + 12 + len, true), maskCrc(crc32c(data)), `data CRC of the record at ${o}`);
    out.push(decodeEvent(data));
    o += 16 + len;
  }
  return out;
}

test('CRC32C known vectors and the mask', () => {
  assert.equal(crc32c('123456789'), 0xe3069283);
  assert.equal(crc32c(''), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43); // RFC 3720 B.4: 32 bytes of 0xff
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e); // RFC 3720 B.4: 0..31
  assert.equal(maskCrc(0), 0xa282ead8);
  const c = 0x12345678;
  assert.equal(maskCrc(c), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
});

test('SummaryWriter round trip: file name, version event, tags, values, steps, wall times', () => {
  const dir = tmp('rt');
  const w = new SummaryWriter(dir, { hostname: 'host a', wallTime: 1700000000.25 });
  assert.match(basename(w.file), /^events\.out\.tfevents\.1700000000\.host-a$/);
  w.addScalar('train/loss', 2.5, 0, 1700000001.5);
  w.addScalar('train/loss', 0.125, 300, 1700000002);
  w.addScalar('eval/acc', 0.75, 2 ** 40, 1700000003);
  w.addScalar('eval/ünïcode', -1e-3, -5);
  w.flush();
  const mid = readRecords(w.file);
  assert.equal(mid.length, 5, 'records are on disk before close');
  w.close();
  w.close();
  assert.throws(() => w.addScalar('x', 1, 1), /closed/);
  assert.throws(() => new SummaryWriter(dir).addScalar('x', 1, 1.5), /step must be an integer/);
  const evs = readRecords(w.file);
  assert.equal(evs[0]!.fileVersion, 'brain.Event:2');
  assert.equal(evs[0]!.wallTime, 1700000000.25);
  assert.deepEqual(evs.slice(1).map((e) => [e.values[0]!.tag, e.values[0]!.simpleValue, e.step, e.wallTime]), [
    ['train/loss', 2.5, 0n, 1700000001.5],
    ['train/loss', 0.125, 300n, 1700000002],
    ['eval/acc', 0.75, 2n ** 40n, 1700000003],
    ['eval/ünïcode', Math.fround(-1e-3), -5n, evs[4]!.wallTime],
  ]);
  assert.ok(Math.abs(evs[4]!.wallTime! - Date.now() / 1000) < 60, 'default wall time is now');
  assert.equal(readdirSync(dir).length, 2, 'a second writer in the same second gets its own file');
});

test('metricsToTensorBoard converts metrics.jsonl (numeric fields, split prefixes, partial last line)', () => {
  const dir = tmp('m');
  const lines = [
    { split: 'train', step: 1, epoch: 0, loss: 1.5, lr: 0.1, gradNorm: null, time: 1700000000 },
    { split: 'train', step: 2, epoch: 0, loss: 1.0, lr: 0.1, gradNorm: 3, skipped: true, time: 1700000001 },
    { split: 'eval', step: 2, epoch: 0, acc: 0.5, loss: 0.9, time: 1700000002 },
  ];
  writeFileSync(join(dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l) + '\n').join('') + '{"split":"tr');
  const { file, scalars } = metricsToTensorBoard(dir, undefined, { hostname: 'h' });
  assert.equal(scalars, 7);
  assert.match(file, /tensorboard\/events\.out\.tfevents\.1700000000\.h$/);
  const got = readRecords(file).slice(1).map((e) => `${e.values[0]!.tag}@${e.step}=${e.values[0]!.simpleValue}`);
  assert.deepEqual(got, ['train/loss@1=1.5', 'train/lr@1=' + Math.fround(0.1), 'train/loss@2=1', 'train/lr@2=' + Math.fround(0.1), 'train/gradNorm@2=3', 'eval/acc@2=0.5', 'eval/loss@2=' + Math.fround(0.9)]);
});

test('tensorboardListener writes live scalars from TrainEvents and closes on end', () => {
  const dir = tmp('live');
  const tb = tensorboardListener(dir, { hostname: 'h' });
  tb({ type: 'start', step: 0, totalSteps: 3, epoch: 0, epochs: 1, resumedFrom: null, runDir: dir });
  tb({ type: 'step', step: 1, totalSteps: 3, epoch: 0, loss: 0.5, runningLoss: 0.5, lr: 0.1, gradNorm: null, skipped: false });
  tb({ type: 'step', step: 2, totalSteps: 3, epoch: 0, loss: null, runningLoss: null, lr: 0.1, gradNorm: null, skipped: true });
  tb({ type: 'eval', step: 2, epoch: 0, metrics: { acc: 0.25 } });
  tb({ type: 'end', status: 'completed', step: 2, epoch: 1, elapsedMs: 5, best: null });
  assert.throws(() => tb.writer.addScalar('x', 1, 1), /closed/);
  const got = readRecords(tb.writer.file).slice(1).map((e) => `${e.values[0]!.tag}@${e.step}=${e.values[0]!.simpleValue}`);
  assert.deepEqual(got, ['train/loss@1=0.5', 'train/lr@1=' + Math.fround(0.1), 'eval/acc@2=0.25']);
});

test('train() writes TensorBoard event files next to metrics.jsonl by default (log.tensorboard)', async () => {
  const { train } = await import('../../src/train/index.js');
  const { makeDataset, makeLoader, TinyTask, tinyConfig } = await import('./fixtures.js');
  const ds = makeDataset();
  for (const on of [true, false]) {
    const dir = tmp(`engine-${on}`);
    const task = new TinyTask();
    await train(task, tinyConfig({ epochs: 1, log: { every: 1, tensorboard: on } }), { data: makeLoader(ds), runDir: dir, handleSignals: false });
    const tbDir = join(dir, 'tensorboard');
    const files = on ? readdirSync(tbDir).filter((f) => f.startsWith('events.out.tfevents.')) : [];
    if (!on) {
      assert.throws(() => readdirSync(tbDir), /ENOENT/, 'log.tensorboard=false writes no event file');
      continue;
    }
    assert.equal(files.length, 1);
    const tags = new Set(readRecords(join(tbDir, files[0]!)).slice(1).map((e) => e.values[0]!.tag));
    assert.ok(tags.has('train/loss') && tags.has('train/lr'), `tags: ${[...tags].join(', ')}`);
  }
  ds.dispose();
});

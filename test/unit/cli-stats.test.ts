/** Benchmark statistics helpers and the bench result pooling (pure functions). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, summarize, ratio, markdownTable } from '../../bench/stats.js';
import { pool, formatReport } from '../../bench/run.js';

test('median and summarize', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  const s = summarize([100, 200, 300], 128)!;
  assert.equal(s.medianMs, 200);
  assert.equal(s.meanMs, 200);
  assert.equal(s.spread, 1);
  assert.equal(s.imagesPerSec, 640);
  assert.equal(summarize([], 128), null);
});

test('ratio', () => {
  assert.equal(ratio(1, 3), 0.333);
  assert.equal(ratio(null, 3), null);
  assert.equal(ratio(1, 0), null);
});

test('pool merges rounds and keeps the largest peak RSS', () => {
  const r = (train: number[], rss: number) =>
    ({ framework: 'adaptune' as const, model: 'small', batch: 128, threads: 2, blasThreads: '1', train, infer: [], maxRssBytes: rss });
  const p = pool([r([10, 30], 5), r([20], 9)]);
  assert.equal(p.train!.medianMs, 20);
  assert.equal(p.infer, null);
  assert.equal(p.peakRssBytes, 9);
  assert.equal(p.runs, 2);
});

test('markdownTable', () => {
  assert.equal(markdownTable(['a', 'b'], [[1, null]]), '| a | b |\n| --- | --- |\n| 1 | - |');
});

test('formatReport: the ONNX Runtime table appears only for rows that ran it, with graph / ORT ratios', () => {
  const fig = (ms: number | null) => ({ train: null, infer: ms === null ? null : summarize([ms], 128), inferGraph: ms === null ? null : summarize([ms / 2], 128), peakRssBytes: 2 ** 20, runs: 1 });
  const row = (model: string, ort: number | null) => ({
    model, warmup: 1, repeats: 1, adaptune: fig(10), pytorch: null, onnxruntime: ort === null ? null : { ...fig(ort), inferGraph: null },
    ratio: { train: null, infer: null, inferGraph: null, inferGraphVsEager: 2, inferGraphVsOrt: ort === null ? null : ratio(128 / 5, 128 / ort), peakRss: null },
  });
  const report = { machine: { cpus: 2, cpuModel: 'x', node: 'v20', loadavg: [0, 0, 0], python: null },
    settings: { threads: 1, blasThreads: 1, rounds: 1, quick: true, ort: true }, rows: [row('small', 4), row('resnet18-w16', null)] };
  const text = formatReport(report);
  assert.match(text, /\| model \| adaptune graph img\/s \| ONNX Runtime img\/s \| ratio \|/);
  assert.match(text, /\| small \| 25600 \| 32000 \| 0\.8 \|/);
  assert.doesNotMatch(text.split('ONNX Runtime img/s')[1]!.split('peak RSS')[0]!, /resnet18-w16/);
  assert.doesNotMatch(formatReport({ ...report, rows: [row('small', null)] }), /ONNX Runtime img\/s/);
});

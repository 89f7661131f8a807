/** Benchmark statistics helpers and the bench result pooling (pure functions). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, summarize, ratio, markdownTable } from '../../bench/stats.js';
import { pool } from '../../bench/run.js';

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

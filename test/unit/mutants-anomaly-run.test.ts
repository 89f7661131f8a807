/** Anomaly overlays and feature pooling against hand computations: fast tests for the anomaly-run mutation area. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/core/torch.js';
import { jet, overlayPixels, poolFeatures } from '../../src/methods/anomaly/index.js';

test('poolFeatures: [N, C, H, W] averaged over H, W; [N, T, C] over the tokens T; [N, D] unchanged', () => {
  torch.tidy(() => {
    const t = torch.arange(0, 24).reshape([2, 3, 4]).to('float32');
    const p = poolFeatures(t);
    assert.deepEqual(p.shape, [2, 4]);
    assert.deepEqual(Array.from(p.data() as Float32Array), [4, 5, 6, 7, 16, 17, 18, 19]);
    const q = poolFeatures(torch.arange(0, 16).reshape([1, 2, 2, 4]).to('float32'));
    assert.deepEqual(Array.from(q.data() as Float32Array), [3.5, 11.5]);
  });
});

test('overlayPixels: image | image with the mask boundary in red | 50/50 blend with jet of the scores clipped to the range', () => {
  // 3 x 3 grey image, mask everywhere but the top row: its boundary is the middle row (the top row is outside)
  // and the left, right and bottom pixels of the mask (the image's border counts as outside)
  const h = 3, w = 3;
  const image = Array.from({ length: 9 }, (_, i) => i / 10);
  const scores = [0, 0.5, 1, 1.5, 2, 2.5, -1, 1, 3];
  const mask = [0, 0, 0, 1, 1, 1, 1, 1, 1];
  const range: [number, number] = [0, 2];
  const o = overlayPixels({ image, channels: 1, height: h, width: w, scores, mask }, range, 1);
  assert.deepEqual([o.width, o.height], [9, 3]);
  const px = (panel: number, y: number, x: number): number[] => Array.from(o.data.slice((y * o.width + panel * w + x) * 3, (y * o.width + panel * w + x) * 3 + 3));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = image[y * w + x]!;
    const grey = [v, v, v].map((c) => Math.round(c * 255));
    assert.deepEqual(px(0, y, x), grey, `image (${y}, ${x})`);
    const boundary = mask[y * w + x] === 1; // every masked pixel here touches the top row or the border
    assert.deepEqual(px(1, y, x), boundary ? [255, 0, 0] : grey, `mask panel (${y}, ${x})`);
    const t = Math.min(1, Math.max(0, (scores[y * w + x]! - range[0]) / (range[1] - range[0])));
    assert.deepEqual(px(2, y, x), jet(t).map((c) => Math.round((0.5 * v + 0.5 * c) * 255)), `blend (${y}, ${x}), t ${t}`);
  }
  // a pixel inside a larger mask (all four neighbours masked) is not on the boundary; one with only its upper neighbour outside is
  const m5 = Array.from({ length: 25 }, (_, i) => (i >= 5 ? 1 : 0));
  const big = overlayPixels({ image: new Array(25).fill(0.5), channels: 1, height: 5, width: 5, scores: new Array(25).fill(0), mask: m5 }, [0, 1], 1);
  const red = (y: number, x: number): boolean => { const off = (y * 15 + 5 + x) * 3; return big.data[off] === 255 && big.data[off + 1] === 0; };
  assert.equal(red(1, 2), true, 'upper neighbour outside the mask');
  assert.equal(red(2, 2), false, 'all neighbours inside');
  assert.equal(red(4, 2), true, 'at the image border');
  // an empty range (min = max) maps every score to t = 0 instead of dividing by 0
  const flat = overlayPixels({ image: [0.2], channels: 1, height: 1, width: 1, scores: [5], mask: null }, [5, 5], 1);
  assert.deepEqual(Array.from(flat.data.slice(6, 9)), jet(0).map((c) => Math.round((0.1 + 0.5 * c) * 255)));
});

test('makeAnomalous: CutPaste moves a patch within the same image, CutMix brings one from another image (pixel values tell them apart)', async () => {
  const { makeAnomalous } = await import('../../src/methods/anomaly/index.js');
  const { Rng } = await import('../../src/core/rng.js');
  const n = 4, size = 16 * 16;
  // distinct values per image: image i holds i + (0, 1) values, so a pixel's image of origin is its integer part
  const x = torch.tidy(() => torch.rand([n, 1, 16, 16], { generator: new torch.Generator(3) }).mul(0.2).add(torch.arange(0, n).reshape([n, 1, 1, 1]).mul(0.25)));
  const px = Array.from(torch.tidy(() => x.contiguous().data() as Float32Array));
  const origin = (v: number): number => Math.floor(v / 0.25);
  for (const [kind, fromOther] of [['cutpaste', false], ['cutmix', true]] as const) {
    const r = makeAnomalous(x, [kind], new Rng(5));
    const out = Array.from(torch.tidy(() => r.x.contiguous().data() as Float32Array));
    for (let i = 0; i < n; i++) {
      const changed = out.slice(i * size, (i + 1) * size).filter((v, k) => v !== px[i * size + k]);
      assert.ok(changed.length > 0, `${kind} image ${i} altered`);
      assert.ok(changed.every((v) => (origin(v) !== i) === fromOther), `${kind} image ${i}: the patch comes from ${fromOther ? 'another' : 'the same'} image`);
    }
    r.x.dispose();
  }
  x.dispose();
});

test('makeAnomalous: CutPaste never pastes a patch back onto its own place (100 seeds of 8 x 8 images: every image altered)', async () => {
  const { makeAnomalous } = await import('../../src/methods/anomaly/index.js');
  const { Rng } = await import('../../src/core/rng.js');
  const n = 4, size = 64;
  const x = torch.tidy(() => torch.rand([n, 1, 8, 8], { generator: new torch.Generator(9) }));
  const px = Array.from(torch.tidy(() => x.contiguous().data() as Float32Array));
  for (let seed = 0; seed < 100; seed++) {
    const r = makeAnomalous(x, ['cutpaste'], new Rng(seed));
    const out = torch.tidy(() => r.x.contiguous().data() as Float32Array);
    for (let i = 0; i < n; i++) assert.ok(out.subarray(i * size, (i + 1) * size).some((v, k) => v !== px[i * size + k]), `seed ${seed}, image ${i} unchanged`);
    r.x.dispose();
  }
  x.dispose();
});

/** PaDiM-style segmentation end to end: a planted bright square is where the score map peaks; pixel AUROC/PRO high; overlays; no leaks. (The per-location mean, covariance and distance are checked against an explicit computation in test/unit/mutants-anomaly.test.ts.) */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../src/core/torch.js';
import { createModel, type FeatureModel } from '../../../src/models/index.js';
import { Padim, PADIM_PAPER_RATIO, defaultPadimLayers, gaussianBlur, overlayPixels, padimChannels, proScore, rocAuc, writeOverlay } from '../../../src/methods/anomaly/index.js';
import { ConfigError } from '../../../src/core/errors.js';

test('segmentation maps align with a planted defect; pixel AUROC and PRO; blur keeps the mass; overlays', async () => {
  const live = torch.liveTensors();
  torch.manualSeed(11);
  const model = createModel('cifar_resnet20', { width: 4, inChannels: 1, numClasses: 2 }) as FeatureModel;
  assert.deepEqual(defaultPadimLayers(model), ['layer1', 'layer2']);
  const gen = new torch.Generator(4);
  const normal = torch.tidy(() => torch.rand([40, 1, 16, 16], { generator: gen }).mul(0.1).add(0.3));
  const padim = new Padim(model, { sigma: 0.5, channels: 'all' });
  padim.fit([normal.narrow(0, 0, 20), normal.narrow(0, 20, 20)]);
  const mask = new Uint8Array(256);
  for (let y = 5; y < 9; y++) for (let x = 9; x < 13; x++) mask[y * 16 + x] = 1;
  const test_ = torch.tidy(() => {
    const m = torch.tensor(mask, { shape: [1, 1, 16, 16] }).to('float32');
    return torch.rand([1, 1, 16, 16], { generator: gen }).mul(0.1).add(0.3).mul(m.neg().add(1)).add(m.mul(0.95));
  });
  const map = padim.scoreMaps(test_);
  assert.deepEqual(map.shape, [1, 1, 16, 16]);
  const s = Array.from(map.data() as Float32Array);
  const peak = s.indexOf(Math.max(...s));
  const [py, px] = [Math.floor(peak / 16), peak % 16];
  assert.ok(py >= 4 && py <= 9 && px >= 8 && px <= 13, `peak at (${py}, ${px}), defect at rows 5-8, cols 9-12`);
  const auc = rocAuc(s, mask);
  assert.ok(auc > 0.9, `pixel AUROC ${auc}`);
  assert.ok(proScore([s], [mask], 16, 16).pro > 0.5);
  torch.tidy(() => {
    const b = gaussianBlur(map, 1.5);
    assert.ok(Math.abs((b.sum().item() as number) / (map.sum().item() as number) - 1) < 0.05, 'blur (reflect) roughly keeps the mass');
  });
  const img = Array.from(test_.data() as Float32Array);
  const px3 = overlayPixels({ image: img, channels: 1, height: 16, width: 16, scores: s, mask }, [Math.min(...s), Math.max(...s)], 2);
  assert.equal(px3.width, 96);
  assert.equal(px3.height, 32);
  const at = (y: number, x: number): number[] => Array.from(px3.data.subarray((y * 96 + x) * 3, (y * 96 + x) * 3 + 3));
  assert.deepEqual(at(5 * 2, 32 + 9 * 2), [255, 0, 0], 'mask boundary drawn in red in the middle panel');
  const dir = mkdtempSync(join(tmpdir(), 'adaptune-overlay-'));
  await writeOverlay(join(dir, 'o.png'), { image: img, channels: 1, height: 16, width: 16, scores: s, mask }, [0, 1]);
  assert.ok(existsSync(join(dir, 'o.png')));
  rmSync(dir, { recursive: true, force: true });
  padim.dispose(); map.dispose(); test_.dispose(); normal.dispose(); model.dispose();
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

test("PaDiM's random channel subset: d of the concatenated channels, seeded, the paper's ratio by default; the embedding keeps exactly those channels", () => {
  const live = torch.liveTensors();
  // the paper's ResNet-18 setting: 100 of 448; ours (cifar_resnet20 width 16: layer1 16 + layer2 32 = 48) -> 11
  assert.equal(padimChannels(448).length, 100);
  assert.equal(padimChannels(48).length, Math.round(48 * PADIM_PAPER_RATIO));
  assert.equal(padimChannels(48).length, 11);
  assert.equal(padimChannels(3).length, 1, 'at least one channel');
  const a = padimChannels(48, 11, 0);
  assert.deepEqual(a, padimChannels(48, 11, 0), 'same seed, same subset');
  assert.notDeepEqual(a, padimChannels(48, 11, 1), 'another seed, another subset');
  assert.deepEqual(a, [...new Set(a)].sort((p, q) => p - q), 'distinct, ascending');
  assert.ok(a.every((i) => i >= 0 && i < 48));
  assert.deepEqual(padimChannels(5, 'all'), [0, 1, 2, 3, 4]);
  // over many seeds every channel gets drawn: a uniform draw, not a fixed prefix
  const seen = new Set(Array.from({ length: 60 }, (_, s) => padimChannels(48, 11, s)).flat());
  assert.equal(seen.size, 48);
  for (const d of [0, 49, 2.5]) assert.throws(() => padimChannels(48, d), (e: Error) => e instanceof ConfigError && /padim channels must be an integer in 1\.\.48/.test(e.message), String(d));
  torch.manualSeed(11);
  const model = createModel('cifar_resnet20', { width: 4, inChannels: 1, numClasses: 2 }) as FeatureModel;
  assert.throws(() => new Padim(model, { channels: 0 }), /padim channels must be a positive integer/);
  assert.throws(() => new Padim(model, { channels: 'half' as never }), /padim channels/);
  const x = torch.rand([3, 1, 8, 8], { generator: new torch.Generator(2) });
  const full = new Padim(model, { channels: 'all' });
  const sub = new Padim(model, { channels: 5, channelSeed: 7 });
  const def = new Padim(model);
  assert.equal(sub.channelIndex, null, 'the draw waits for the first embedding (D is unknown before)');
  const ef = full.embed(x); // [3, 64, 12]: width 4 -> layer1 4 + layer2 8 channels
  const es = sub.embed(x);
  const ed = def.embed(x);
  assert.deepEqual(ef.shape, [3, 64, 12]);
  assert.deepEqual(es.shape, [3, 64, 5]);
  assert.deepEqual(ed.shape, [3, 64, 3], "'paper': round(12 x 100/448) = 3");
  assert.deepEqual(sub.channelIndex, padimChannels(12, 5, 7));
  torch.tidy(() => {
    const want = ef.indexSelect(2, torch.tensor(Int32Array.from(sub.channelIndex!)).to('int64'));
    assert.equal(torch.abs(es.sub(want)).max().item(), 0, 'the subset embedding is the full one restricted to the drawn channels');
  });
  // fitting and scoring use the subset: the maps stay finite and the statistics are d x d
  sub.fit([x]);
  const m = sub.scoreMaps(x);
  assert.ok(Array.from(m.data() as Float32Array).every(Number.isFinite));
  torch.dispose([x, ef, es, ed, m]);
  full.dispose(); sub.dispose(); def.dispose(); model.dispose();
  assert.equal(torch.liveTensors(), live, 'tensor leak');
});

// exportWeb and the preprocessing shared by `adaptune predict` and the web page: the declarative resize
// ('fill' and torchvision's shorter side + center crop), the page's pipeline (its own preprocess.js and
// onnxruntime-web from the written folder) against runPredict on generated images, and the page itself in
// headless Chromium (Debian's chromium through playwright-core; skipped with a message where it is missing):
// served from 127.0.0.1, images picked through its file input, probabilities checked against predict, nothing
// requested from outside the folder, a screenshot kept (path printed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { torch } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import type { FeatureModel } from '../../src/models/index.js';
import {
  exportOnnx, exportWeb, parseOnnxInfo, preprocessingOf, readOnnxMetadata, resizeRgb, resizedSize, preprocess, decodePixels,
  type Preprocessing, type WebExport,
} from '../../src/export/index.js';
import { loadPretrained as loadBackbone, bundledBackbonePath as defaultBackbonePath } from '../../src/models/index.js';
import { runPredict } from '../../src/cli/predict.js';
import { decodeAll } from '../../src/data/decode.js';
import { launch, runPage } from './web-page.js';
import { skipOrFail } from '../require.js';

torch.setNumThreads(1);
const root = mkdtempSync(join(tmpdir(), 'adaptune-web-'));
const KEEP = process.env['ADAPTUNE_KEEP_ARTIFACTS'] === '1';
process.on('exit', () => { if (!KEEP) rmSync(root, { recursive: true, force: true }); });

/** Deterministic structured RGB(A) pixels: gradients, a bright bar, a dark disc and a little noise. */
function pattern(w: number, h: number, seed: number, channels: 3 | 4 = 3): Buffer {
  let s = seed * 7919 + 1;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const f = [rnd() * 0.4 + 0.05, rnd() * 0.4 + 0.05, rnd() * 0.4 + 0.05];
  const d = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const disc = (x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (Math.min(w, h) * 0.2) ** 2;
      const bar = x > w * (0.2 + 0.1 * (seed % 3)) && x < w * (0.35 + 0.1 * (seed % 3));
      for (let c = 0; c < 3; c++) {
        const v = 128 + 70 * Math.sin(f[c]! * x + seed) * Math.cos(f[(c + 1) % 3]! * y) + (bar ? 70 : 0) - (disc ? 90 : 0) + 30 * (rnd() - 0.5);
        d[(y * w + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
      if (channels === 4) d[(y * w + x) * 4 + 3] = y < h / 5 ? 0 : 255;
    }
  }
  return d;
}

/** Generated PNGs of several sizes (same as the input, smaller, larger, other aspect), one grey, one with alpha; a JPEG. */
async function images(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const specs: [string, number, number, 1 | 3 | 4][] = [
    ['same.png', 32, 32, 3], ['wide.png', 61, 40, 3], ['small.png', 20, 23, 3], ['large.png', 150, 110, 3], ['tall.png', 30, 52, 3],
    ['grey.png', 45, 45, 1], ['alpha.png', 40, 36, 4],
  ];
  const files: string[] = [];
  for (const [i, [name, w, h, c]] of specs.entries()) {
    const rgb = pattern(w, h, i + 1, c === 4 ? 4 : 3);
    const raw = c === 1 ? Buffer.from(Array.from({ length: w * h }, (_, k) => rgb[k * 3]!)) : rgb;
    const file = join(dir, name);
    await sharp(raw, { raw: { width: w, height: h, channels: c } }).png().toFile(file);
    files.push(file);
  }
  const jpeg = join(dir, 'photo.jpg');
  await sharp(pattern(48, 40, 9), { raw: { width: 48, height: 40, channels: 3 } }).jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toFile(jpeg);
  return [...files, jpeg];
}

/** Test models, exported: a tiny random RGB ResNet-18 (ImageNet normalisation in the graph, shorter side 36 +
 * center crop 32, head scaled so that probabilities spread) and the bundled 1-channel backbone (fill, 28x28). */
function models(): { rgb: string; grey: string } {
  torch.manualSeed(3);
  const m = createModel('resnet18', { width: 4, numClasses: 4 }) as FeatureModel;
  torch.noGrad(() => { const fc = m.getClassifier() as unknown as { weight: torch.Tensor }; fc.weight.mul_(40); });
  const rgb = join(root, 'rgb.onnx');
  const x = torch.rand([1, 3, 32, 32]);
  const e = exportOnnx(m, x, {
    classNames: ['cat', 'dog', 'bird', 'fish'], resize: { mode: 'shorter', size: 36 },
    normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, metadata: { model_name: 'resnet18 (random, test)' },
  });
  writeFileSync(rgb, e.bytes);
  x.dispose();
  m.dispose();
  const b = loadBackbone(defaultBackbonePath());
  const xg = torch.rand([1, 1, 28, 28]);
  const eg = exportOnnx(b.model, xg, { classNames: Array.from({ length: b.model.numClasses }, (_, i) => `class ${i}`), foldBn: true, metadata: { model_name: 'bundled backbone' } });
  const grey = join(root, 'grey.onnx');
  writeFileSync(grey, eg.bytes);
  xg.dispose();
  b.model.dispose();
  return { rgb, grey };
}

/** runPredict's full probability vector per image file (top = every class). */
async function predicted(model: string, files: string[]): Promise<Map<string, number[]>> {
  const info = parseOnnxInfo(readOnnxMetadata(model));
  const k = info.classNames!.length;
  const r = await runPredict({ model, images: files.map((f) => ({ kind: 'file', file: f, label: f })), top: k, json: true });
  return new Map(r.predictions.map((p) => {
    const v = new Array<number>(k).fill(0);
    for (const t of p.top) v[t.index] = t.probability;
    return [p.image, v];
  }));
}

const maxDiff = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

let setup: Promise<{ files: string[]; models: { rgb: string; grey: string }; webs: { rgb: WebExport; grey: WebExport } }> | null = null;
const prepared = (): NonNullable<typeof setup> => (setup ??= (async () => {
  const files = await images(join(root, 'images'));
  const m = models();
  return { files, models: m, webs: { rgb: exportWeb(m.rgb, join(root, 'web-rgb')), grey: exportWeb(m.grey, join(root, 'web-grey'), { top: 3 }) } };
})());

test('preprocessing: torchvision sizes and crop, fill, luma, range, normalisation; JS resize close to sharp', async () => {
  const spec = (o: Partial<Preprocessing>): Preprocessing => ({ channels: 3, size: [4, 4], resize: { mode: 'fill' }, range: [0, 1], normalize: null, ...o });
  const shorter = spec({ resize: { mode: 'shorter', size: 32 }, size: [28, 28] });
  assert.deepEqual(resizedSize(shorter, 50, 75), [32, 48]);
  assert.deepEqual(resizedSize(shorter, 100, 33), [96, 32], 'longer side truncated like torchvision: int(32 * 100 / 33) = 96');
  assert.deepEqual(resizedSize(spec({}), 100, 33), [4, 4]);
  // same size: a copy; crop offsets by Python's round: (6 - 4) / 2 = 1 and (5 - 4) / 2 = 0.5 -> 0
  const px = { data: Array.from({ length: 6 * 5 * 3 }, (_, i) => i % 256), width: 5, height: 6, channels: 3 as const };
  assert.deepEqual(Array.from(resizeRgb(px, 6, 5)), px.data);
  const crop = preprocess(spec({ resize: { mode: 'shorter', size: 5 }, range: [0, 255] }), px);
  assert.equal(crop[0], px.data[(1 * 5 + 0) * 3]);
  assert.equal(crop[4 * 4 + 1], px.data[(1 * 5 + 1) * 3 + 1], 'channel 1, row 0, col 1');
  const grey = preprocess(spec({ channels: 1, size: [6, 5], range: [-1, 1], normalize: { mean: [0.5], std: [2] } }), { data: [10, 200, 30, ...new Array(87).fill(0)], width: 5, height: 6, channels: 3 });
  const luma = Math.floor((19595 * 10 + 38470 * 200 + 7471 * 30 + 32768) / 65536);
  assert.ok(Math.abs(grey[0]! - ((luma * 2) / 255 - 1 - 0.5) / 2) < 1e-6);
  const info = parseOnnxInfo(readOnnxMetadata((await prepared()).models.rgb));
  assert.throws(() => preprocessingOf({ ...info, inputShape: [2, 8, 8] }, 'm.onnx'), /m\.onnx: metadata input_shape \[2,8,8\]/);
  // the JS kernel against sharp's resize(fill, lanczos3), the loaders' decoder (measured: see preprocess.ts)
  for (const [w, h, ow, oh] of [[64, 48, 28, 28], [20, 23, 28, 28], [37, 53, 28, 28], [100, 100, 50, 50]] as const) {
    const d = pattern(w, h, w);
    const ref = await sharp(d, { raw: { width: w, height: h, channels: 3 } }).resize(ow, oh, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
    const mine = resizeRgb({ data: d, width: w, height: h, channels: 3 }, oh, ow);
    const diffs = Array.from(ref, (v, i) => Math.abs(v - mine[i]!));
    const worst = Math.max(...diffs);
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    console.log(`# ${w}x${h} -> ${ow}x${oh}: |JS - sharp| max ${worst}, mean ${mean.toFixed(3)} levels`);
    assert.ok(worst <= 6 && mean <= 0.5, `${w}x${h} -> ${ow}x${oh}: max |JS - sharp| = ${worst} levels, mean ${mean}`);
  }
});

test('exportOnnx records the resize; exportWeb writes a self-contained folder and refuses models it cannot serve', async () => {
  const { models: m, webs } = await prepared();
  assert.deepEqual(parseOnnxInfo(readOnnxMetadata(m.rgb)).resize, { mode: 'shorter', size: 36 });
  assert.deepEqual(parseOnnxInfo(readOnnxMetadata(m.grey)).resize, { mode: 'fill' }, 'absent key: fill');
  assert.deepEqual(webs.rgb.preprocessing, { channels: 3, size: [32, 32], resize: { mode: 'shorter', size: 36 }, range: [0, 1], normalize: null });
  assert.deepEqual(readdirSync(webs.rgb.dir).sort(), ['README.txt', 'index.html', 'model.json', 'model.onnx', 'ort-wasm-simd-threaded.wasm', 'ort.wasm.bundle.min.mjs', 'page.js', 'preprocess.js']);
  const cfg = JSON.parse(readFileSync(join(webs.grey.dir, 'model.json'), 'utf8'));
  assert.equal(cfg.top, 3);
  assert.deepEqual(cfg.classNames, webs.grey.classNames);
  assert.equal(cfg.classNames[1], 'class 1');
  const html = readFileSync(join(webs.rgb.dir, 'index.html'), 'utf8') + readFileSync(join(webs.rgb.dir, 'page.js'), 'utf8');
  assert.ok(!/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i.test(html.replace(/http:\/\/127\.0\.0\.1:PORT\//g, '')), 'no absolute URL in the page');
  assert.ok(!readFileSync(join(webs.rgb.dir, 'preprocess.js'), 'utf8').includes('import '), 'preprocess.js imports nothing');
  torch.manualSeed(0);
  const lin = createModel('small_cnn', { channels: [2, 2], numClasses: 2, inChannels: 3 });
  const x = torch.rand([1, 3, 28, 28]);
  assert.throws(() => exportOnnx(lin, x, { resize: { mode: 'shorter', size: 16 } }), /options\.resize\.size \(16\) must be at least/);
  assert.throws(() => exportOnnx(lin, x, { resize: { mode: 'crop' } as never }), /options\.resize must be/);
  const vec = createModel('small_cnn', { channels: [2, 2], numClasses: 2, inChannels: 2 });
  const x2 = torch.rand([1, 2, 28, 28]);
  const e2 = exportOnnx(vec, x2);
  assert.throws(() => exportWeb(e2.bytes, join(root, 'bad')), /model: metadata input_shape \[2,28,28\] is not an image input/);
  torch.dispose([x, x2]);
  lin.dispose();
  vec.dispose();
});

test('the page pipeline (its preprocess.js + onnxruntime-web from the folder, in Node) matches predict within 1e-4', async () => {
  const { files, models: m, webs } = await prepared();
  for (const [kind, web] of Object.entries(webs)) {
    const want = await predicted(kind === 'rgb' ? m.rgb : m.grey, files);
    const pre = await import(pathToFileURL(join(web.dir, 'preprocess.js')).href) as typeof import('../../src/export/preprocess.js');
    const ort = await import(pathToFileURL(join(web.dir, 'ort.wasm.bundle.min.mjs')).href) as typeof import('onnxruntime-node');
    (ort.env.wasm as { numThreads: number; wasmBinary: Uint8Array }).numThreads = 1;
    (ort.env.wasm as { wasmBinary: Uint8Array }).wasmBinary = readFileSync(join(web.dir, 'ort-wasm-simd-threaded.wasm'));
    const session = await ort.InferenceSession.create(readFileSync(join(web.dir, 'model.onnx')));
    const cfg = JSON.parse(readFileSync(join(web.dir, 'model.json'), 'utf8'));
    let worst = 0;
    let spread = 0;
    for (const f of files) {
      const x = pre.preprocess(cfg.preprocessing, await decodePixels(f));
      const [h, w] = cfg.preprocessing.size;
      const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [1, cfg.preprocessing.channels, h, w]) });
      const p = pre.softmax(out[cfg.logits]!.data as Float32Array);
      worst = Math.max(worst, maxDiff(p, want.get(f)!));
      spread = Math.max(spread, Math.max(...p) - Math.min(...p));
    }
    let sharpResize = 0;
    if (kind === 'grey') {
      // control: sharp's own resize (the image-folder loaders' decodeAll) instead of the shared kernel is visibly different
      for (const f of files) {
        const { images: u8 } = await decodeAll([f], { size: [28, 28], channels: 1 }, 'fail');
        const x = Float32Array.from(u8.data() as Uint8Array, (v) => v / 255);
        u8.dispose();
        const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [1, 1, 28, 28]) });
        sharpResize = Math.max(sharpResize, maxDiff(pre.softmax(out[cfg.logits]!.data as Float32Array), want.get(f)!));
      }
      console.log(`# grey: with sharp's resize instead, max |dp| would be ${sharpResize.toExponential(2)}`);
      assert.ok(sharpResize > 1e-3, 'the comparison is sensitive to the resize');
    }
    await session.release();
    console.log(`# ${kind}: page pipeline in Node vs predict, ${files.length} images: max |dp| = ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-4, `${kind}: max probability difference ${worst}`);
    assert.ok(spread > 0.2, `${kind}: the model separates classes (spread ${spread}), so the comparison means something`);
  }
});

test('the page in headless Chromium: served from 127.0.0.1 and from file://, classifies generated images like predict (max diff <= 1e-4), loads nothing from outside its folder', { timeout: 240_000 }, async (t) => {
  const b = await launch();
  if (typeof b === 'string') { skipOrFail(t, 'Chromium', b); return; }
  const { files, models: m, webs } = await prepared();
  const artifacts = process.env['ADAPTUNE_ARTIFACTS'] ?? mkdtempSync(join(tmpdir(), 'adaptune-web-artifacts-'));
  mkdirSync(artifacts, { recursive: true });
  try {
    for (const [kind, web] of Object.entries(webs)) {
      const want = await predicted(kind === 'rgb' ? m.rgb : m.grey, files);
      const shot = join(artifacts, `web-${kind}.png`);
      const r = await runPage(b, web.dir, files, { screenshot: shot });
      assert.equal(r.probabilities.size, files.length, `${kind}: ${r.status}`);
      let worst = 0;
      for (const f of files) worst = Math.max(worst, maxDiff(r.probabilities.get(basename(f))!, want.get(f)!));
      console.log(`# ${kind}: Chromium page vs predict, ${files.length} images: max |dp| = ${worst.toExponential(2)}; screenshot: ${shot}`);
      assert.ok(worst <= 1e-4, `${kind}: max probability difference between the page and predict ${worst}`);
      assert.match(r.text, /decode \+ preprocess \d+\.\d ms · inference \d+\.\d ms/);
      assert.deepEqual(r.outside, [], 'requests outside the folder');
      assert.deepEqual(r.errors, [], 'console errors');
      assert.deepEqual([...new Set(r.served)].sort(), ['/', '/model.json', '/model.onnx', '/ort-wasm-simd-threaded.wasm', '/ort.wasm.bundle.min.mjs', '/page.js', '/preprocess.js']);
    }
    // from file://, which Chromium allows with --allow-file-access-from-files
    const two = files.slice(0, 2);
    const r = await runPage(b, webs.rgb.dir, two, { via: 'file' });
    assert.equal(r.probabilities.size, 2, `file://: ${r.status}`);
    const want = await predicted(m.rgb, two);
    for (const f of two) assert.ok(maxDiff(r.probabilities.get(basename(f))!, want.get(f)!) <= 1e-4);
    assert.deepEqual(r.outside, []);
    assert.deepEqual(r.served, [], 'nothing from the server');
  } finally {
    await b.close();
  }
  // without that permission the page says how to serve the folder
  const strict = await launch(false);
  assert.ok(typeof strict !== 'string');
  try {
    const r = await runPage(strict, webs.rgb.dir, [], { via: 'file' });
    assert.match(r.status, /serve this folder instead, e\.g\. npx http-server DIR/);
  } finally {
    await strict.close();
  }
});

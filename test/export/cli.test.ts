// The whole deployment path with tiny budgets: pretrain (width 4, 2 steps) -> finetune (2 steps) -> adaptune export
// --run --web (verified in ONNX Runtime) -> adaptune predict on IDX images and PNGs, and the web page in headless
// Chromium on the same PNGs (where chromium is installed); flag errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { parseCli, type FinetuneArgs, type PretrainArgs } from '../../src/cli/args.js';
import { runPretrain } from '../../src/cli/pretrain.js';
import { runFinetune } from '../../src/cli/finetune.js';
import { parseExport } from '../../src/cli/export-args.js';
import { exportSettings } from '../../src/export/options.js';
import { parsePredict, parseIndices } from '../../src/cli/predict-args.js';
import { runExport } from '../../src/cli/export.js';
import { runPredict, type PredictReport } from '../../src/cli/predict.js';
import { parseOnnxInfo, readOnnxMetadata } from '../../src/export/index.js';
import { ROOT } from '../helpers.js';
import { launch, runPage } from './web-page.js';
import { needs, REQUIRE_ALL } from '../require.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-export-'));
const args = <T>(argv: string[]): T => (parseCli(argv) as unknown as { options: T }).options;
const quiet = { quiet: true, handleSignals: false } as const;
const IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

test('export and predict flags: errors name the flag', () => {
  assert.throws(() => parseExport(['--run', 'a', '--weights', 'b']), /--run and --weights are exclusive/);
  assert.throws(() => parseExport(['--weights', 'b']), /--out FILE.onnx is required/);
  assert.throws(() => parseExport(['--run', 'a', '--mean', '0.5']), /--mean and --std go together/);
  assert.throws(() => parseExport(['--run', 'a', '--mean', '0.5,0.2', '--std', '1']), /--std must have 2 value/);
  assert.throws(() => parseExport(['--run', 'a', '--opset', '22']), /--opset must be an integer in \[13, 21\]/);
  assert.throws(() => parseExport(['--run', 'a', '--tolerance', '0']), /--tolerance must be a number > 0/);
  assert.throws(() => parsePredict(['m.onnx']), /at least one IMAGE/);
  assert.throws(() => parsePredict(['m.pt', 'a.png']), /MODEL.onnx, WEIGHTS.safetensors or a run directory.*adaptune convert/);
  assert.throws(() => parsePredict(['a.png', 'b.png']), /the first argument must be the model/);
  for (const m of ['m.onnx', 'w.safetensors', 'runs/ft-1']) assert.equal((parsePredict([m, 'a.png']) as { model: string }).model, m);
  assert.throws(() => parsePredict(['m.onnx', 'a.bmp']), /expected a .png\/.jpg\/.jpeg file or IDXFILE@INDICES/);
  assert.throws(() => parsePredict(['m.onnx', 'x.gz@3-1']), /bad range '3-1'/);
  assert.deepEqual(parseIndices('0-2,7', 'x'), [0, 1, 2, 7]);
  const e = parseExport(['--run', 'r', '--fold-bn', '--mean', '0.3', '--std', '0.4']);
  assert.ok(e !== 'help');
  const set = exportSettings(e);
  assert.ok(set.foldBn && set.normalize?.std[0] === 0.4 && set.out.endsWith('r/model.onnx') && set.verifyImages === 64);
});

test('pretrain -> finetune -> export --run --web -> predict (IDX and PNG) and the page in Chromium, with tiny budgets', { skip: needs(`Fashion-MNIST (${IMAGES}, Debian's dataset-fashion-mnist)`, existsSync(IMAGES)) }, async () => {
  const pt = join(root, 'pt');
  const weights = join(root, 'b.safetensors');
  await runPretrain(args<PretrainArgs>(['pretrain', '--labels-per-class', '10', '--width', '4', '--batch-size', '16', '--set', 'maxSteps=2', '--out', pt, '--export', weights, '--seed', '1']), quiet);
  const ft = join(root, 'ft');
  await runFinetune(args<FinetuneArgs>(['finetune', '--weights', weights, '--labels-per-class', '10', '--set', 'maxSteps=2', '--out', ft]), quiet);
  const web = join(root, 'web');
  const ex = parseExport(['--run', ft, '--fold-bn', '--verify-images', '8', '--mean', '0.3', '--std', '0.35', '--threads', '1', '--web', web]);
  assert.ok(ex !== 'help');
  const r = await runExport(ex, () => {});
  assert.equal(r.out, join(ft, 'model.onnx'));
  assert.ok(r.verification.ok && r.verification.maxAbsDiff < 1e-4, `max abs diff ${r.verification.maxAbsDiff}`);
  assert.deepEqual(r.verification.batches.map((b) => b.batch), [1, 7, 8]);
  assert.equal(r.ops.BatchNormalization, undefined, 'BN folded');
  const info = parseOnnxInfo(readOnnxMetadata(r.out));
  assert.deepEqual(info.classNames, ['Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
  assert.deepEqual(info.inputShape, [1, 28, 28]);
  assert.deepEqual(info.normalization, { mean: [0.3], std: [0.35] });
  assert.equal(info.sourceRun, ft);
  assert.equal(info.props.task, 'fmnist:target-mid');
  assert.equal(r.web?.dir, web);
  assert.deepEqual(r.web?.classNames, info.classNames);
  assert.ok(existsSync(join(web, 'model.onnx')) && existsSync(join(web, 'ort-wasm-simd-threaded.wasm')) && existsSync(join(web, 'index.html')));

  // image 3 of the IDX file, also as a PNG: same pixels, same prediction
  const raw = gunzipSync(readFileSync(IMAGES));
  const png = join(root, 'img3.png');
  await sharp(raw.subarray(16 + 3 * 784, 16 + 4 * 784), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(png);
  const big = join(root, 'img3-big-rgb.png');
  await sharp(png).resize(45, 38, { kernel: 'nearest' }).toColourspace('srgb').png().toFile(big);
  const p = parsePredict([r.out, `${IMAGES}@0-3`, png, big, '--top', '2']);
  assert.ok(p !== 'help');
  const pr = await runPredict(p);
  assert.equal(pr.predictions.length, 6);
  assert.deepEqual(pr.predictions.map((x) => x.image.split('/').pop()), ['t10k-images-idx3-ubyte.gz@0', 't10k-images-idx3-ubyte.gz@1', 't10k-images-idx3-ubyte.gz@2', 't10k-images-idx3-ubyte.gz@3', 'img3.png', 'img3-big-rgb.png'].map((s) => s.split('/').pop()));
  for (const x of pr.predictions) {
    assert.equal(x.top.length, 2);
    assert.ok(x.top[0]!.probability >= x.top[1]!.probability && info.classNames!.includes(x.top[0]!.name));
  }
  assert.deepEqual(pr.predictions[4]!.top.map((t) => t.index), pr.predictions[3]!.top.map((t) => t.index));
  assert.ok(Math.abs(pr.predictions[4]!.top[0]!.probability - pr.predictions[3]!.top[0]!.probability) < 1e-5);

  // the libtorch backend (graph mode) on the run directory and on its weights file gives ONNX Runtime's predictions
  // of the same weights exported without the --mean/--std override (the sidecar records no normalisation)
  const plain = parseExport(['--run', ft, '--out', join(root, 'plain.onnx'), '--verify-images', '0', '--threads', '1']);
  assert.ok(plain !== 'help');
  await runExport(plain, () => {});
  const viaOrt = await runPredict({ ...p, model: join(root, 'plain.onnx') });
  assert.equal(viaOrt.backend, 'onnxruntime');
  for (const model of [ft, join(ft, 'weights.safetensors')]) {
    const viaTorch = await runPredict({ ...p, model });
    assert.equal(viaTorch.backend, 'libtorch');
    assert.deepEqual(viaTorch.classes, info.classNames);
    assert.deepEqual(viaTorch.inputShape, [1, 28, 28]);
    viaTorch.predictions.forEach((x, i) => {
      const y = viaOrt.predictions[i]!;
      assert.equal(x.image, y.image);
      assert.deepEqual(x.top.map((t) => t.index), y.top.map((t) => t.index), x.image);
      x.top.forEach((t, j) => assert.ok(Math.abs(t.probability - y.top[j]!.probability) < 1e-5, `${x.image}: ${t.probability} vs ${y.top[j]!.probability}`));
    });
  }
  await assert.rejects(runPredict({ ...p, model: join(root, 'no-such-run') }), /no-such-run: cannot read/);

  // the fine-tuned model's web page in headless Chromium gives predict's probabilities on both PNGs
  const b = await launch();
  if (typeof b === 'string') { if (REQUIRE_ALL) throw new Error(`Chromium is required under ADAPTUNE_REQUIRE_ALL=1: ${b}`); console.log(`# ${b}`); }
  else {
    try {
      const all = parsePredict([r.out, png, big, '--top', '5']);
      assert.ok(all !== 'help');
      const want = (await runPredict(all)).predictions;
      const page = await runPage(b, web, [png, big]);
      assert.deepEqual(page.outside, []);
      for (const w of want) {
        const got = page.probabilities.get(w.image.split('/').pop()!);
        assert.ok(got, `the page classified ${w.image}: ${page.status}`);
        for (const t of w.top) assert.ok(Math.abs(got[t.index]! - t.probability) <= 1e-4, `${w.image} class ${t.name}: page ${got[t.index]}, predict ${t.probability}`);
      }
    } finally { await b.close(); }
  }

  // the command itself: --json prints exactly one JSON object
  const out = execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'predict', r.out, `${IMAGES}@5`, '--json'], { encoding: 'utf8' });
  const js = JSON.parse(out) as PredictReport;
  assert.equal(js.predictions.length, 1);
  assert.equal(js.classes.length, 5);
  writeFileSync(join(root, 'not.onnx'), new Uint8Array([8, 8, 18, 0]));
  await assert.rejects(runPredict({ model: join(root, 'not.onnx'), images: p.images, top: 1, json: false }), /not exported by adaptune/);
  writeFileSync(join(root, 'bad.onnx'), 'x');
  await assert.rejects(runPredict({ model: join(root, 'bad.onnx'), images: p.images, top: 1, json: false }), /bad.onnx: not an ONNX model/);
});

/**
 * Own images and own PyTorch weights through the library's run functions at a tiny scale: runFinetune on a
 * generated RGB ImageFolder (mixed sizes and modes) with the bundled 1-channel backbone and with a torchvision
 * resnet18 .pth state dict; the validation split, the final val and test metrics (per-class accuracy, macro-F1,
 * confusion matrix) in the report and summary.json; --optimizer adamw, --augment, --max-steps; runAdafilter on
 * the same folder; bad input (a corrupt image, an empty class folder, a forbidden global, weights that do not fit)
 * refused, named, before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFinetune } from '../../src/methods/finetune/index.js';
import { runAdafilter } from '../../src/methods/adafilter/index.js';
import { runAdversarial, runRobustness } from '../../src/methods/adversarial/index.js';
import { runSemisup } from '../../src/methods/semisup/index.js';
import { runAnomaly } from '../../src/methods/anomaly/index.js';
import { writeClassTree, TREE_CLASSES } from '../image-tree.js';
import { buildReport, splitTable } from '../../src/train/report/index.js';

const ROOT = mkdtempSync(join(tmpdir(), 'own-data-'));
process.on('exit', () => rmSync(ROOT, { recursive: true, force: true }));
const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');
const quiet = { quiet: true, handleSignals: false } as const;
const folder = join(ROOT, 'images');
const ready = writeClassTree(folder, 10, { noise: 30 });

test('runFinetune on imagefolder:DIR with the bundled backbone: val and test apart, per-class metrics, weights with their preprocessing', async () => {
  await ready;
  const out = join(ROOT, 'ft');
  const r = await runFinetune({ ...quiet, data: `imagefolder:${folder}`, labelsPerClass: 'all', imageSize: 24, maxSteps: 3, batchSize: 8, out, testFraction: 0.2, valFraction: 0.25, set: ['eval.every=3'] });
  assert.deepEqual([r.status, r.steps, r.model, r.optimizer], ['completed', 3, 'cifar_resnet20', 'sgd']);
  assert.equal(r.test.images, 6, '20% of 3 x 10 images, stratified');
  assert.equal(r.val!.images, 6, '25% of the 24 labelled images, at least one per class');
  assert.deepEqual(r.test.classes, ['cat', 'dog', 'emu']);
  assert.equal(r.test.confusion.length, 3);
  assert.equal(r.test.confusion.flat().reduce((a, b) => a + b, 0), 6);
  assert.equal(r.test.perClassAccuracy.length, 3);
  assert.ok(r.test.macroF1 >= 0 && r.test.macroF1 <= 1);
  assert.equal(r.preprocessing.channels, 1, 'the bundled backbone takes 1 channel');
  assert.equal(r.preprocessing.channelAdapt, 'mixed');
  const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"split":"eval"')).map((l) => JSON.parse(l));
  assert.equal(evals.length, 1);
  assert.equal(evals[0].accuracy, r.val!.accuracy, 'the evaluation during training is on the validation split (same weights, same number)');
  assert.equal(evals[0].macro_f1, r.val!.macroF1);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(Object.keys(summary.val), Object.keys(summary.test));
  assert.equal(summary.testAccuracy, r.test.accuracy);
  const side = JSON.parse(readFileSync(join(out, 'weights.json'), 'utf8'));
  assert.deepEqual(side.preprocessing.imageSize, [24, 24], 'the fine-tuned weights record their preprocessing');
  assert.deepEqual(side.task.classes, ['cat', 'dog', 'emu']);
  const log = readFileSync(join(out, 'log.txt'), 'utf8');
  assert.match(log, /validation accuracy .* macro-F1/);
  assert.match(log, /test accuracy .* per class/);
  const html = buildReport([out]).html;
  assert.match(html, /<h2>Classification<\/h2>/);
  assert.match(html, /validation: accuracy [\d.]+%, macro-F1 [\d.]+% \(6 images\)/);
  assert.match(html, /test: accuracy [\d.]+%, macro-F1/);
  for (const c of ['cat', 'dog', 'emu']) assert.ok(html.includes(`<th scope="row">${c}</th>`), `confusion row ${c}`);
});

test('splitTable: per-class accuracy and precision from the confusion matrix', () => {
  const t = splitTable('test', { accuracy: 0.75, macroF1: 0.7, perClassAccuracy: [1, 0.5], confusion: [[2, 0], [1, 1]], classes: ['a', 'b'] });
  assert.match(t, /<th scope="row">a<\/th><td class="num" style="[^"]*">2<\/td><td class="num" style="background:transparent">0<\/td><td class="num">100\.00%<\/td><td class="num">66\.67%<\/td><td class="num">2<\/td>/);
  assert.match(t, /<th scope="row">b<\/th>.*<td class="num">50\.00%<\/td><td class="num">100\.00%<\/td><td class="num">2<\/td>/);
});

test('runFinetune with a torchvision resnet18 .pth: ImageNet normalisation, RGB, adamw, mixup; runAdafilter on the same folder', async () => {
  await ready;
  const weights = join(FIXTURES, 'pth_resnet18w4.pth');
  const r = await runFinetune({ ...quiet, data: `imagefolder:${folder}`, weights, imageSize: 32, maxSteps: 2, batchSize: 8, optimizer: 'adamw', augment: 'mixup', out: join(ROOT, 'tv') });
  assert.deepEqual([r.status, r.model, r.optimizer], ['completed', 'resnet18', 'adamw']);
  assert.equal(r.preprocessing.channels, 3);
  assert.deepEqual(r.preprocessing.normalization?.mean, [0.485, 0.456, 0.406]);
  assert.equal(r.preprocessing.augment, 'mixup');
  const cfg = JSON.parse(readFileSync(join(ROOT, 'tv', 'config.json'), 'utf8'));
  assert.deepEqual([cfg.optim.name, cfg.optim.lr], ['adamw', 1e-3]);
  const a = await runAdafilter({ ...quiet, data: `imagefolder:${folder}`, weights, imageSize: 32, maxSteps: 2, batchSize: 8, out: join(ROOT, 'af') });
  assert.equal(a.status, 'completed');
  assert.ok(a.val && a.test.images === 6 && a.gates.fraction >= 0 && a.gates.fraction <= 1);
});

test('runAdversarial and runRobustness on the folder with torchvision weights: validation monitor, test once, normalisation after the attack', async () => {
  await ready;
  const weights = join(FIXTURES, 'pth_resnet18w4.pth');
  const out = join(ROOT, 'adv');
  const r = await runAdversarial({ ...quiet, data: `imagefolder:${folder}`, weights, imageSize: 32, maxSteps: 2, batchSize: 8, valImages: 3, testSteps: 1, steps: 1, evalSteps: 1, out });
  assert.deepEqual([r.status, r.model, r.head, r.valImages], ['completed', 'resnet18', 'new', 3]);
  assert.deepEqual(r.preprocessing.normalization?.std, [0.229, 0.224, 0.225]);
  assert.ok(r.best && r.monitor.length >= 1, 'the best checkpoint is chosen on the validation monitor');
  assert.equal(r.test!.images, 6);
  const rob = await runRobustness({ weights: join(out, 'weights.safetensors'), steps: [1], epsSweep: [], limit: 4, batchSize: 4 });
  assert.equal(rob.data, `imagefolder:${folder}`, 'the fine-tuned weights know their data');
  assert.equal(rob.examples, 4);
});

test('runSemisup on the folder: the unlabelled pool is the images beyond the label budget; validation during training, test once', async () => {
  await ready;
  const r = await runSemisup({ ...quiet, data: `imagefolder:${folder}`, weights: join(FIXTURES, 'pth_resnet18w4.pth'), imageSize: 24, labelsPerClass: 4, steps: 2, evalEvery: 1, batchSize: 3, mu: 1, out: join(ROOT, 'ssl') });
  assert.deepEqual([r.status, r.steps, r.model, r.valImages, r.testImages], ['completed', 2, 'resnet18', 3, 6]);
  assert.ok(r.valAccuracy !== null && r.evaluations === 2, 'evaluations during training see the validation split');
  assert.equal(r.test.confusion.flat().reduce((a, b) => a + b, 0), 6);
  const evals = readFileSync(join(ROOT, 'ssl', 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"split":"eval"'));
  assert.equal(evals.length, 2);
});

test('runAnomaly on anomaly:DIR (normal/ and anomalous/ folders) with torchvision weights and their normalisation', async () => {
  const dir = join(ROOT, 'ad');
  await writeClassTree(dir, 12, { noise: 20, classes: [['normal', TREE_CLASSES[0]![1]], ['anomalous', TREE_CLASSES[2]![1]]] });
  const r = await runAnomaly({ data: `anomaly:${dir}`, weights: join(FIXTURES, 'pth_resnet18w4.pth'), imageSize: 32, finetune: true, epochs: 1, batchSize: 4, quiet: true, handleSignals: false, out: join(ROOT, 'ad-out') });
  assert.deepEqual([r.model, r.rows.length, r.rows[0]!.category], ['resnet18', 1, 'ad']);
  assert.deepEqual(r.normalization?.mean, [0.485, 0.456, 0.406]);
  const row = r.rows[0]!;
  assert.equal(row.testImages, 2 + 12, '20% of the normal images and every anomalous one');
  assert.ok(row.gaussianAD.auroc >= 0 && row.gaussianAD.auroc <= 1);
  assert.ok(row.finetune && row.finetune.selectedEpoch >= 0, 'the epoch is selected on the validation split');
  await assert.rejects(runAnomaly({ data: `anomaly:${dir}`, segment: true, quiet: true }), /--segment needs pixel masks/);
});

test('bad input is named before anything is written: corrupt image, empty class folder, forbidden global, weights that do not fit', async () => {
  await ready;
  const bad = join(ROOT, 'bad');
  await writeClassTree(bad, 4);
  writeFileSync(join(bad, 'dog', 'broken.png'), Buffer.from('not a png at all'));
  const o = { ...quiet, labelsPerClass: 'all' as const, maxSteps: 1, imageSize: 16 };
  const out = (n: string): string => join(ROOT, `out-${n}`);
  await assert.rejects(runFinetune({ ...o, data: `imagefolder:${bad}`, out: out('corrupt') }), /broken\.png/);
  const empty = join(ROOT, 'empty');
  await writeClassTree(empty, 4);
  mkdirSync(join(empty, 'fox'));
  await assert.rejects(runFinetune({ ...o, data: `imagefolder:${empty}`, out: out('empty') }), /fox/);
  await assert.rejects(runFinetune({ ...o, data: `imagefolder:${folder}`, weights: join(FIXTURES, 'evil_os_system.pth'), out: out('evil') }), /evil_os_system\.pth: forbidden global 'posix\.system'/);
  await assert.rejects(runFinetune({ ...o, data: `imagefolder:${folder}`, weights: join(FIXTURES, 'pth_resnet18w4.pth'), model: 'resnet34', out: out('misfit') }), /pth_resnet18w4\.pth/);
  for (const n of ['corrupt', 'empty', 'evil', 'misfit']) assert.ok(!existsSync(out(n)), `nothing written for ${n}`);
});

/**
 * The README's two own-data paths end to end through the CLI at a tiny scale, on an RGB ImageFolder the test
 * generates (mixed sizes and modes: JPEG, gray PNG, RGBA PNG, 16-bit PNG, palette PNG, WebP):
 *  - "Your own images": finetune --data imagefolder:DIR -> report -> export --run -> predict;
 *  - "Your own PyTorch model": finetune --weights resnet18.pth (a torchvision state dict), convert, and the converted
 *    safetensors fine-tuned again; a .pth with a forbidden global is refused before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { writeClassTree } from '../image-tree.js';

const dir = mkdtempSync(join(tmpdir(), 'adaptune-own-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const FIX = join(ROOT, 'test', 'fixtures');
const photos = join(dir, 'photos');
const ready = writeClassTree(photos, 8, { noise: 25 });

function cli(args: string[]): { status: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ADAPTUNE_NUM_THREADS: '1' } });
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr };
}
const ok = (args: string[]): string => { const r = cli(args); assert.equal(r.status, 0, `adaptune ${args.join(' ')}\n${r.err}`); return r.out; };

test('Your own images: finetune, report, export, predict on a generated RGB ImageFolder of mixed sizes and modes', async () => {
  await ready;
  const run = join(dir, 'run');
  const ft = JSON.parse(ok(['finetune', '--data', `imagefolder:${photos}`, '--max-steps', '2', '--batch-size', '4', '--image-size', '24', '--augment', 'randaugment', '--out', run, '--json']));
  assert.deepEqual([ft.status, ft.steps, ft.test.images, ft.val.images], ['completed', 2, 6, 3]);
  assert.deepEqual(ft.test.classes, ['cat', 'dog', 'emu']);
  const html = join(run, 'report.html');
  ok(['report', run, '--out', html]);
  assert.match(readFileSync(html, 'utf8'), /<h2>Classification<\/h2>/);
  const ex = JSON.parse(ok(['export', '--run', run, '--json']));
  assert.deepEqual(ex.classNames, ['cat', 'dog', 'emu']);
  assert.deepEqual(ex.inputShape.slice(-3), [1, 24, 24], 'the bundled backbone: 1 channel at the trained size');
  const img = join(photos, 'dog', '0.jpg');
  const pr = JSON.parse(ok(['predict', join(run, 'model.onnx'), img, '--json']));
  const first = pr.images?.[0] ?? pr.predictions?.[0] ?? pr.results?.[0];
  assert.ok(first, `predict reports the image: ${JSON.stringify(pr).slice(0, 200)}`);
  assert.ok(JSON.stringify(first).match(/"(cat|dog|emu)"/), 'class names from the metadata');
});

test('Your own PyTorch model: a torchvision .pth fine-tunes directly and after convert; a forbidden global is refused with nothing written', async () => {
  await ready;
  const pth = join(FIX, 'pth_resnet18w4.pth');
  const a = JSON.parse(ok(['finetune', '--data', `imagefolder:${photos}`, '--weights', pth, '--image-size', '32', '--max-steps', '1', '--batch-size', '4', '--optimizer', 'adamw', '--out', join(dir, 'pth'), '--json']));
  assert.deepEqual([a.status, a.model, a.optimizer, a.preprocessing.channels], ['completed', 'resnet18', 'adamw', 3]);
  const st = join(dir, 'r18.safetensors');
  ok(['convert', pth, '--out', st]);
  const b = JSON.parse(ok(['finetune', '--data', `imagefolder:${photos}`, '--weights', st, '--image-size', '32', '--max-steps', '1', '--batch-size', '4', '--out', join(dir, 'st'), '--json']));
  assert.deepEqual([b.status, b.model], ['completed', 'resnet18']);
  const evil = cli(['finetune', '--data', `imagefolder:${photos}`, '--weights', join(FIX, 'evil_os_system.pth'), '--out', join(dir, 'evil')]);
  assert.equal(evil.status, 2);
  assert.match(evil.err, /evil_os_system\.pth: forbidden global 'posix\.system'/);
  assert.ok(!existsSync(join(dir, 'evil')));
});

test('every other training command takes the same --data imagefolder:DIR and --weights FILE.pth (tiny budgets)', async () => {
  await ready;
  const pth = join(FIX, 'pth_resnet18w4.pth');
  const own = ['--data', `imagefolder:${photos}`, '--weights', pth, '--image-size', '32'];
  const af = JSON.parse(ok(['finetune', '--method', 'adafilter', ...own, '--max-steps', '1', '--batch-size', '4', '--out', join(dir, 'c-af'), '--json']));
  assert.deepEqual([af.status, af.model, af.method], ['completed', 'resnet18', 'adafilter']);
  const adv = JSON.parse(ok(['adversarial', ...own, '--max-steps', '1', '--batch-size', '4', '--val-images', '3', '--steps', '1', '--eval-steps', '1', '--test-steps', '1', '--out', join(dir, 'c-adv'), '--json']));
  assert.deepEqual([adv.status, adv.model, adv.valImages], ['completed', 'resnet18', 3]);
  const rob = JSON.parse(ok(['robustness', '--weights', join(dir, 'c-adv', 'weights.safetensors'), '--steps', '1', '--limit', '3', '--json']));
  assert.equal(rob.data, `imagefolder:${photos}`);
  const ssl = JSON.parse(ok(['semisup', ...own, '--labels-per-class', '3', '--steps', '1', '--batch-size', '3', '--mu', '1', '--out', join(dir, 'c-ssl'), '--json']));
  assert.deepEqual([ssl.status, ssl.model, ssl.testImages], ['completed', 'resnet18', 6]);
  const grid = JSON.parse(ok(['hparams', ...own, '--elr', '0.1', '--momentum', '0.9', '--max-steps', '1', '--batch-size', '4', '--out', join(dir, 'c-grid'), '--json']));
  assert.ok(grid.best && grid.best.valAccuracy !== null, 'the grid selects on validation');
  const ad = join(dir, 'ad');
  await writeClassTree(ad, 6, { classes: [['normal', [200, 40, 40]], ['anomalous', [40, 40, 200]]] });
  const an = JSON.parse(ok(['anomaly', '--data', `anomaly:${ad}`, '--weights', pth, '--image-size', '32', '--out', join(dir, 'c-an'), '--json']));
  assert.deepEqual([an.model, an.rows.length], ['resnet18', 1]);
});

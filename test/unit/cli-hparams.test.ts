/** `adaptune hparams` and `adaptune similarity`: flag parsing (errors name the flag), a tiny resumable grid, and similarity on tiny data. */
import { ConfigError } from '../../src/core/errors.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHparams, type HparamsArgs } from '../../src/cli/hparams.js';
import { cellId, gridTable, runHparams as runGrid } from '../../src/methods/finetune/grid.js';
import { parseSimilarity, runSimilarity, type SimilarityArgs } from '../../src/cli/similarity.js';
import { capPerClass } from '../../src/methods/finetune/run-similarity.js';
import { parseCli } from '../../src/cli/args.js';
import { CliError } from '../../src/cli/flags.js';

const names = (flag: string) => (e: unknown): boolean => e instanceof CliError && (e as Error).message.includes(flag);

test('parseHparams: defaults, lists, regularizer both, errors name the flag', () => {
  const d = parseHparams([]);
  assert.ok(d !== 'help' && !('mode' in d));
  assert.deepEqual(d.elrs, [0.01, 0.03, 0.1, 0.3]);
  assert.deepEqual(d.momenta, [0, 0.9]);
  assert.deepEqual(d.regularizers, ['l2']);
  assert.equal(d.labelsPerClass, 100);
  const b = parseHparams(['--elr', '0.1,0.1,0.3', '--momentum', '0.99', '--regularizer', 'both', '--epochs', '3']);
  assert.ok(b !== 'help' && !('mode' in b));
  assert.deepEqual(b.elrs, [0.1, 0.3]);
  assert.deepEqual(b.regularizers, ['l2', 'l2-sp']);
  assert.equal(b.epochs, 3);
  assert.throws(() => parseHparams(['--elr', '0.1,x']), names('--elr'));
  assert.throws(() => parseHparams(['--elr', '0']), names('--elr'));
  assert.throws(() => parseHparams(['--momentum', '1']), names('--momentum'));
  assert.throws(() => parseHparams(['--momentum', '0,,0.9']), names('--momentum'));
  assert.throws(() => parseHparams(['--regularizer', 'l1']), names('--regularizer'));
  assert.throws(() => parseHparams(['--data', 'mnist:x']), names('--data'));
  assert.throws(() => parseHparams(['--labels-per-class', '0']), names('--labels-per-class'));
  assert.throws(() => parseHparams(['--epochs', '0']), names('--epochs'));
  assert.throws(() => parseHparams(['--bogus']), names('--bogus'));
  const own = parseHparams(['--data', 'imagefolder:photos', '--model', 'resnet18', '--weights', 'r18.pth', '--val-fraction', '0.2', '--image-size', '64', '--augment', 'mixup', '--labels-per-class', '7']) as HparamsArgs;
  assert.deepEqual([own.data, own.model, own.valFraction, own.imageSize, own.augment, own.labelsPerClass, own.out], ['imagefolder:photos', 'resnet18', 0.2, 64, 'mixup', 7, join('runs', 'hparams-imagefolder-photos-7')]);
  assert.throws(() => parseHparams(['--data', 'mvtec:x']), names('--data'));
  assert.throws(() => parseHparams(['--augment', 'foo']), names('--augment'));
  assert.throws(() => parseHparams(['--val-fraction', '1']), names('--val-fraction'));
  const k = parseHparams(['--regularizer', 'both', '--alpha', '0.01,0.1,1', '--weight-decay', '0.01']) as HparamsArgs;
  assert.deepEqual([k.alphas, k.weightDecays], [[0.01, 0.1, 1], [0.01]]);
  assert.deepEqual([d.alphas, d.weightDecays], [[0.01], [1e-4]], 'the defaults of adaptune finetune');
  assert.throws(() => parseHparams(['--alpha', '-1']), names('--alpha'));
  assert.throws(() => parseHparams(['--weight-decay', 'x']), names('--weight-decay'));
  assert.throws(() => parseHparams(['--recommend', '--data', 'fmnist:target-mid', '--alpha', '0.1']), names('--alpha'));
  assert.equal(parseHparams(['--help']), 'help');
  assert.equal(parseCli(['hparams', '--elr', '0.1']).command, 'hparams');
  assert.deepEqual(parseCli(['help', 'similarity']), { command: 'help', topic: 'similarity' });
});

test('parseSimilarity: --target required, comma lists, --gamma and --per-class-max checked', () => {
  assert.throws(() => parseSimilarity([]), names('--target'));
  assert.throws(() => parseSimilarity(['--target', 'fmnist:target-mid,,textures:target-far']), /--target must be a comma list of tasks, got 'fmnist:target-mid,,textures:target-far'/);
  const p = parseSimilarity(['--target', 'fmnist:target-mid, textures:target-far']);
  assert.ok(p !== 'help');
  assert.equal(p.source, 'fmnist:source');
  assert.deepEqual(p.targets, ['fmnist:target-mid', 'textures:target-far']);
  assert.equal(p.gamma, 'auto');
  assert.equal(p.tap, 'pool');
  assert.equal(p.perClassMax, 500);
  const g = parseSimilarity(['--target', 'fmnist:target-mid', '--gamma', '0.2', '--tap', 'layer2']);
  assert.ok(g !== 'help' && g.gamma === 0.2 && g.tap === 'layer2');
  assert.throws(() => parseSimilarity(['--target', 'fmnist:target-mid', '--tap', 'a b']), names('--tap'));
  const all = parseSimilarity(['--target', 'fmnist:target-mid', '--per-class-max', '0']);
  assert.ok(all !== 'help' && all.perClassMax === null);
  assert.throws(() => parseSimilarity(['--target', 'nope:x']), names('--target'));
  assert.throws(() => parseSimilarity(['--target', 'fmnist:target-mid', '--source', 'x']), names('--source'));
  assert.throws(() => parseSimilarity(['--target', 'fmnist:target-mid', '--gamma', '-1']), names('--gamma'));
  assert.throws(() => parseSimilarity(['--target', 'fmnist:target-mid', '--per-class-max', 'a']), names('--per-class-max'));
  assert.equal(parseCli(['similarity', '--target', 'fmnist:target-mid']).command, 'similarity');
});

test('capPerClass keeps the first N of each class; gridTable marks missing cells', () => {
  assert.deepEqual(capPerClass(Int32Array.from([0, 1, 0, 0, 1, 2]), 2), [0, 1, 2, 4, 5]);
  assert.deepEqual(capPerClass(Int32Array.from([0, 0]), null), [0, 1]);
  const t = gridTable({ elrs: [0.1, 0.3], momenta: [0, 0.9], regularizers: ['l2'] }, [
    { id: cellId(0.1, 0, 'l2'), elr: 0.1, momentum: 0, lr: 0.1, regularizer: 'l2', strength: 1e-4, valAccuracy: 0.4, testAccuracy: 0.5, testLoss: 1, steps: 1, elapsedSec: 0, reused: false, dir: '' },
  ]);
  assert.match(t, /\| 0\.1 \| 40\.00 \| - \|/, 'the table shows validation accuracy (the ranking split)');
  assert.match(gridTable({ elrs: [0.1], momenta: [0], regularizers: ['l2'] }, [{ id: 'x', elr: 0.1, momentum: 0, lr: 0.1, regularizer: 'l2', strength: 1e-4, valAccuracy: 0.4, testAccuracy: 0.5, testLoss: 1, steps: 1, elapsedSec: 0, reused: false, dir: '' }], 'testAccuracy'), /\| 0\.1 \| 50\.00 \|/);
  assert.match(t, /\| 0\.3 \| - \| - \|/);
  // coefficients: the default keeps the old cell name; others are named; the table gets a column per coefficient
  assert.equal(cellId(0.1, 0.9, 'l2-sp'), 'elr0.1-m0.9-l2-sp');
  assert.equal(cellId(0.1, 0.9, 'l2-sp', 0.01), 'elr0.1-m0.9-l2-sp');
  assert.equal(cellId(0.1, 0.9, 'l2-sp', 0.1), 'elr0.1-m0.9-l2-sp-a0.1');
  assert.equal(cellId(0.1, 0.9, 'l2', 1e-4), 'elr0.1-m0.9-l2');
  assert.equal(cellId(0.1, 0.9, 'l2', 0.01), 'elr0.1-m0.9-l2-wd0.01');
  const c = (regularizer: 'l2' | 'l2-sp', strength: number, v: number) => ({ id: cellId(0.1, 0.9, regularizer, strength), elr: 0.1, momentum: 0.9, lr: 0.01, regularizer, strength, valAccuracy: v, testAccuracy: 0.5, testLoss: 1, steps: 1, elapsedSec: 0, reused: false, dir: '' });
  const k = gridTable({ elrs: [0.1], momenta: [0.9], regularizers: ['l2', 'l2-sp'], alphas: [0.01, 1], weightDecays: [1e-4] }, [c('l2-sp', 1, 0.3), c('l2', 1e-4, 0.2), c('l2-sp', 0.01, 0.1)]);
  assert.match(k, /\| elr \| m=0\.9 l2 wd=0\.0001 \| m=0\.9 l2-sp a=0\.01 \| m=0\.9 l2-sp a=1 \|/);
  assert.match(k, /\| 0\.1 \| 20\.00 \| 10\.00 \| 30\.00 \|/);
});

test('runGrid: --alpha and --weight-decay give one cell per coefficient, run with it (config.json) and record it (summary.json)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'adaptune-hparams-k-'));
  try {
    const r = await runGrid({ data: 'fmnist:target-mid', labelsPerClass: 5, elrs: [0.1], momenta: [0.9], regularizers: ['l2', 'l2-sp'], alphas: [0.01, 0.5], weightDecays: [0.02], seed: 0, batchSize: 8, out, weights: null, maxSteps: 1, testLimit: 20 }, () => {});
    assert.deepEqual(r.cells.map((x) => [x.id, x.strength]), [['elr0.1-m0.9-l2-wd0.02', 0.02], ['elr0.1-m0.9-l2-sp', 0.01], ['elr0.1-m0.9-l2-sp-a0.5', 0.5]]);
    const cfg = (id: string) => (JSON.parse(readFileSync(join(out, id, 'config.json'), 'utf8')) as { method: { alpha: number; weightDecay: number; regularizer: string } }).method;
    assert.deepEqual([cfg('elr0.1-m0.9-l2-sp-a0.5').alpha, cfg('elr0.1-m0.9-l2-sp-a0.5').regularizer], [0.5, 'l2-sp']);
    assert.deepEqual([cfg('elr0.1-m0.9-l2-wd0.02').weightDecay, cfg('elr0.1-m0.9-l2-wd0.02').regularizer], [0.02, 'l2']);
    assert.equal((JSON.parse(readFileSync(join(out, 'elr0.1-m0.9-l2-sp-a0.5', 'summary.json'), 'utf8')) as { strength: number }).strength, 0.5);
    const again = await runGrid({ data: 'fmnist:target-mid', labelsPerClass: 5, elrs: [0.1], momenta: [0.9], regularizers: ['l2-sp'], alphas: [0.5], seed: 0, batchSize: 8, out, weights: null, maxSteps: 1, testLimit: 20 }, () => {});
    assert.ok(again.cells[0]!.reused && again.cells[0]!.strength === 0.5, 'a finished coefficient cell is reused');
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test('runGrid: a tiny grid writes the table, summary and report; a second call reuses completed cells and restarts an interrupted one', async () => {
  const out = mkdtempSync(join(tmpdir(), 'adaptune-hparams-'));
  const a: HparamsArgs = {
    data: 'fmnist:target-mid', labelsPerClass: 10, elrs: [0.1], momenta: [0, 0.9], regularizers: ['l2'], seed: 0, batchSize: 8,
    out, weights: null, json: false, maxSteps: 2, testLimit: 50,
  };
  const logs: string[] = [];
  const r1 = await runGrid(a, (s) => logs.push(s));
  assert.equal(r1.complete, true);
  assert.equal(r1.cells.length, 2);
  for (const c of r1.cells) {
    assert.equal(c.reused, false);
    assert.equal(c.steps, 2);
    assert.ok(c.testAccuracy >= 0 && c.testAccuracy <= 1);
    assert.ok(c.valAccuracy !== null && c.valAccuracy >= 0 && c.valAccuracy <= 1, 'every cell has a validation accuracy');
  }
  const bestVal = Math.max(...r1.cells.map((c) => c.valAccuracy!));
  assert.equal(r1.best!.valAccuracy, bestVal, 'the grid selects on validation accuracy');
  assert.ok(logs.some((l) => l.startsWith('cell 2/2')));
  // durations in seconds or minutes (a 2-step cell takes neither hours nor more), e.g. "... in 3 s [1/2 done, elapsed 4 s]"
  assert.ok(logs.some((l) => /in (\d+ s|[\d.]+ min) \[1\/2 done, elapsed (\d+ s|[\d.]+ min)\]$/.test(l)), logs.join('\n'));
  const md = readFileSync(join(out, 'results.md'), 'utf8');
  assert.match(md, /\| elr \| m=0 \| m=0\.9 \|/);
  assert.match(md, /\| 0\.1 \| \d+\.\d\d \| \d+\.\d\d \|/);
  assert.match(md, /Selected on validation: elr0\.1-m0(\.9)?-l2 \(validation \d+\.\d\d%\), its test accuracy/);
  assert.ok(existsSync(join(out, 'report.html')));
  assert.equal((JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { cells: unknown[] }).cells.length, 2);
  // simulate an interrupted second cell: its summary no longer says completed
  rmSync(join(out, cellId(0.1, 0.9, 'l2'), 'summary.json'));
  const logs2: string[] = [];
  const r2 = await runGrid(a, (s) => logs2.push(s));
  assert.equal(r2.cells[0]!.reused, true);
  assert.equal(r2.cells[0]!.testAccuracy, r1.cells[0]!.testAccuracy);
  assert.equal(r2.cells[0]!.valAccuracy, r1.cells[0]!.valAccuracy, 'a reused cell keeps its validation accuracy');
  assert.equal(r2.cells[1]!.reused, false);
  assert.ok(logs2.some((l) => /interrupted earlier; restarting/.test(l)));
  const r3 = await runGrid(a, () => {});
  assert.ok(r3.cells.every((c) => c.reused));
  assert.equal(r3.table, r2.table);
});

test('runSimilarity on tiny data: EMD >= 0, similarity in (0, 1], a row per target', async () => {
  const r = await runSimilarity({ source: 'fmnist:source', targets: ['fmnist:target-mid', 'fmnist:source'], weights: null, gamma: 0.01, tap: 'pool', perClassMax: 10, seed: 0, json: false }, () => {});
  assert.equal(r.rows.length, 2);
  assert.equal(r.sourceImages, 50);
  for (const row of r.rows) {
    assert.ok(row.emd >= 0, `emd ${row.emd}`);
    assert.ok(row.similarity > 0 && row.similarity <= 1, `similarity ${row.similarity}`);
    assert.equal(row.images, 50);
  }
  assert.ok(r.rows[1]!.emd < 1e-6, 'a domain is at distance 0 from itself');
  assert.ok(Math.abs(r.rows[0]!.similarity - Math.exp(-0.01 * r.rows[0]!.emd)) < 1e-12);
  const a: SimilarityArgs = { source: 'fmnist:source', targets: ['fmnist:target-mid'], weights: null, gamma: 'auto', tap: 'layer2', perClassMax: 4, seed: 0, json: false };
  const auto = await runSimilarity(a, () => {});
  assert.equal(auto.gammaRule, 'auto');
  assert.equal(auto.featureDim, 32);
  assert.ok(Math.abs(auto.gamma * auto.sourceSpread - 1) < 1e-12);
  await assert.rejects(runSimilarity({ ...a, tap: 'nope' }, () => {}), (e: unknown) => e instanceof ConfigError && (e as Error).message.includes('--tap'));
});

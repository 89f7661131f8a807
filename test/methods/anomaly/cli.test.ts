/** `adaptune anomaly`: flag parsing (errors name the flag), the categories list, and a tiny end-to-end run (Gaussian AD, fine-tuning, segmentation, overlays, results.json). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAnomaly, SYNTHETIC_CATEGORIES, type AnomalyArgs } from '../../../src/cli/anomaly-args.js';
import { ANOMALY_OPTIONS, anomalyCategories } from '../../../src/methods/anomaly/options.js';
import { CliError } from '../../../src/cli/flags.js';
import { DEFECT_CATEGORIES, generateDefectSet } from '../../../src/data/defects.js';
import { runAnomaly } from '../../../src/cli/anomaly.js';
import { findCommand } from '../../../src/cli/commands.js';

test('parseAnomaly: defaults, all categories, errors name the flag', () => {
  assert.deepEqual([...SYNTHETIC_CATEGORIES], [...DEFECT_CATEGORIES]);
  assert.equal(findCommand('anomaly')?.usage.startsWith('Usage: adaptune anomaly'), true);
  const a = parseAnomaly([]) as AnomalyArgs;
  assert.deepEqual({ ...a }, {}, 'only the flags given (runAnomaly applies the defaults)');
  assert.deepEqual([ANOMALY_OPTIONS.data.default, ANOMALY_OPTIONS.seed.default, ANOMALY_OPTIONS.valFraction.default], ['synthetic', 0, 0.2]);
  assert.deepEqual([anomalyCategories('synthetic', undefined), anomalyCategories('fmnist', undefined)], [['grating'], ['5', '6', '7', '8', '9']]);
  assert.deepEqual((parseAnomaly(['--category', 'all']) as AnomalyArgs).categories, [...DEFECT_CATEGORIES]);
  assert.equal(parseAnomaly(['-h']), 'help');
  assert.deepEqual((parseAnomaly(['--data', 'fmnist', '--category', 'all']) as AnomalyArgs).categories, ['5', '6', '7', '8', '9']);
  const bad: [string[], RegExp][] = [
    [['--category', 'carpet'], /--category/], [['--data', 'mvtec'], /--root/], [['--data', 'mvtec', '--root', '/x'], /--category/],
    [['--to-end'], /--finetune/], [['--lr', '-1'], /--lr/], [['--val-fraction', '1'], /--val-fraction/], [['--objective', 'l1'], /--objective/],
    [['--size', '32'], /mvtec only/], [['--data', 'fmnist', '--category', '3'], /5\.\.9/], [['--data', 'fmnist', '--segment'], /masks/], [['--bogus'], /unknown flag --bogus/], [['x'], /positional/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseAnomaly(argv), (e: Error) => e instanceof CliError && re.test(e.message), argv.join(' '));
});

test('runAnomaly: a tiny synthetic run with fine-tuning and segmentation writes results and overlays', async () => {
  const out = mkdtempSync(join(tmpdir(), 'adaptune-anomaly-cli-'));
  const argv = ['anomaly', '--finetune', '--segment', '--baselines', '--epochs', '2', '--lr', '1e-3', '--train-size', '20', '--test-good', '6', '--test-defect', '6', '--overlays', '2', '--batch-size', '8', '--threads', '1', '--out', out];
  const a = parseAnomaly(argv.slice(1)) as AnomalyArgs;
  const r = await runAnomaly(a, { argv, quiet: true });
  const row = r.rows[0]!;
  assert.equal(row.category, 'grating');
  assert.deepEqual([row.trainImages, row.valImages, row.testImages], [20, 4, 12]);
  for (const v of [row.gaussianAD.auroc, row.finetune!.selected.auroc, row.finetune!.last.auroc, row.segmentation!.pretrained.pixelAuroc, row.segmentation!.finetuned!.pro]) {
    assert.ok(v >= 0 && v <= 1, String(v));
  }
  assert.deepEqual(Object.keys(row.gaussianAD.stages), ['stem', 'layer1', 'layer2', 'layer3']);
  // per defect kind: the synthetic set's kinds, each AUROC of the 6 good images against that kind's images alone
  const set = generateDefectSet({ category: 'grating', seed: 0, train: 20, testGood: 6, testDefect: 6 });
  const kinds = set.defects.filter((d) => d !== 'good');
  set.train.dispose(); set.test.dispose();
  for (const m of [row.gaussianAD, row.finetune!.selected, row.finetune!.last]) {
    assert.deepEqual(Object.keys(m.byType!).sort(), [...new Set(kinds)].sort());
    for (const v of Object.values(m.byType!)) assert.ok(v >= 0 && v <= 1, String(v));
  }
  assert.ok(Math.min(...Object.values(row.gaussianAD.byType!)) <= row.gaussianAD.auroc && row.gaussianAD.auroc <= Math.max(...Object.values(row.gaussianAD.byType!)), 'the overall AUROC lies between the per-kind ones');
  assert.deepEqual(Object.keys(row.baselines!), ['ledoit-wolf', 'ledoit-wolf-sum', 'empirical', 'npca-0.99', 'npca-0.95', 'pca-0.99', 'sed', 'l2']);
  assert.equal(r.config.method.combine, 'mean-distance', 'the official combination is the default');
  assert.equal(row.segmentation!.pretrained.channels, 11, "PaDiM's random subset: round(48 x 100/448) of layer1 + layer2's 48 channels");
  assert.equal(row.baselines!['ledoit-wolf']!.auroc, row.gaussianAD.auroc, 'the same features and fit give the same AUROC');
  assert.equal(row.finetune!.history[0]!.epoch, 0);
  assert.ok(row.finetune!.history.length >= 2);
  assert.equal(r.config.optim.name, 'adam');
  assert.equal(r.config.earlyStop.metric, 'val_auroc');
  const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { command: string };
  assert.equal(saved.command, `adaptune ${argv.join(' ')}`);
  assert.equal(readdirSync(join(out, 'grating', 'overlays')).filter((f) => f.endsWith('-defect.png')).length, 2);
  assert.ok(existsSync(join(out, 'grating', 'finetune', 'metrics.jsonl')));
  rmSync(out, { recursive: true, force: true });
  // the old combination and every PaDiM channel through --set
  const out2 = mkdtempSync(join(tmpdir(), 'adaptune-anomaly-cli-'));
  const argv2 = ['anomaly', '--segment', '--train-size', '20', '--test-good', '6', '--test-defect', '6', '--overlays', '0', '--threads', '1', '--set', 'method.combine=sum', '--set', 'method.padimChannels=all', '--out', out2];
  const r2 = await runAnomaly(parseAnomaly(argv2.slice(1)) as AnomalyArgs, { argv: argv2, quiet: true });
  assert.equal(r2.config.method.combine, 'sum');
  assert.equal(r2.rows[0]!.segmentation!.pretrained.channels, 48);
  assert.equal(r2.rows[0]!.gaussianAD.auroc, row.baselines!['ledoit-wolf-sum']!.auroc, 'combine sum = the ledoit-wolf-sum baseline on the same data');
  rmSync(out2, { recursive: true, force: true });
});

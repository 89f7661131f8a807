/** `adaptune adversarial` and `adaptune robustness` through their library entries on a width-4 backbone and tiny budgets; flag parsing and config layering. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../src/core/torch.js';
import { createModel, type FeatureModel } from '../../../src/models/index.js';
import { parseCli } from '../../../src/cli/args.js';
import { parseAdversarial, type AdversarialArgs } from '../../../src/cli/adversarial-args.js';
import { adversarialConfig, formatAdversarial, runAdversarial } from '../../../src/cli/adversarial.js';
import { parseRobustness, type RobustnessArgs } from '../../../src/cli/robustness-args.js';
import { formatRobustness, runRobustness } from '../../../src/cli/robustness.js';
import { writeWeights } from '../../../src/models/index.js';

const root = mkdtempSync(join(tmpdir(), 'adaptune-adv-cli-'));
const quiet = { quiet: true, handleSignals: false } as const;
const adv = (argv: string[]): AdversarialArgs => parseAdversarial(argv) as AdversarialArgs;

/** A width-4 cifar_resnet20 "pre-trained" on fmnist:source (random weights; the sidecar is what matters here). */
function tinyWeights(numClasses = 5): string {
  torch.manualSeed(3);
  const model = createModel('cifar_resnet20', { width: 4, inChannels: 1, numClasses } as never) as FeatureModel;
  const file = join(root, `tiny${numClasses}.safetensors`);
  writeWeights(model, file, {
    model: { name: 'cifar_resnet20', config: { width: 4, inChannels: 1, numClasses } }, task: { name: 'fmnist:source' },
    training: { steps: 10, batchSize: 8 }, sourceTestAccuracy: null, command: 'test', elapsedSec: 1,
  });
  model.dispose();
  return file;
}
const weights = tinyWeights();
const tiny = ['--weights', weights, '--labels-per-class', '10', '--batch-size', '8', '--steps', '2', '--val-images', '10', '--eval-steps', '2',
  '--test-limit', '20', '--test-steps', '2', '--threads', '1'];

test('flags: ranges and conflicts are refused naming the flag; help is the command table entry', () => {
  assert.equal(parseCli(['adversarial', '--help']).command, 'help');
  assert.equal(parseCli(['robustness', '--help']).command, 'help');
  const bad: [string[], RegExp][] = [
    [['--eps', '0'], /--eps must be a number > 0/], [['--init', 'random'], /--init must be one of finetune, scratch/],
    [['--schedule', 'step'], /--schedule must be one of/], [['--warmup-fraction', '1'], /--warmup-fraction must be a number >= 0 and < 1/],
    [['--schedule', 'piecewise', '--decay-rate', '3'], /--decay-rate shapes the slow-start-fast-decay schedule/],
    [['--start-factor', '2'], /--start-factor must be a number in \[0, 1\]/], [['--resume', 'x', '--eps', '0.1'], /cannot be combined with --eps/],
    [['--data', 'mnist:x'], /--data:/], [['--bogus'], /unknown flag --bogus/],
    [['--select', 'clean'], /--select must be one of robust, robust-then-clean/], [['--select', 'robust', '--val-images', '0'], /--select needs the monitor/],
    [['--train-per-class', '0'], /--train-per-class must be an integer/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseAdversarial(argv), re, argv.join(' '));
  assert.throws(() => parseRobustness(['--steps', '3,x']), /--steps must be an integer/);
  assert.throws(() => parseRobustness(['--split', 'val']), /--split must be one of test, train/);
  const r = parseRobustness(['--steps', '20,7,7', '--eps-sweep', 'none']) as RobustnessArgs;
  assert.deepEqual([r.steps, r.epsSweep], [[7, 20], []]);
});

test('config layering: flags over the file, a named schedule replaces the one below, values validated naming the field', async () => {
  const file = join(root, 'cfg.json');
  writeFileSync(file, JSON.stringify({ optim: { lr: 0.2 }, method: { eps: 0.2, schedule: { name: 'piecewise', boundaries: [0.3], factors: [1, 0.1] } } }));
  const c = await adversarialConfig(adv(['--config', file, '--eps', '0.05', '--schedule', 'cyclic']));
  assert.equal(c.optim.lr, 0.2);
  assert.deepEqual([(c.method as { eps: number }).eps, (c.method as { schedule: unknown }).schedule], [0.05, { name: 'cyclic', cycles: 1, peakAt: 0.4 }]);
  const kept = await adversarialConfig(adv(['--config', file]));
  assert.deepEqual((kept.method as { schedule: { boundaries: number[] } }).schedule.boundaries, [0.3]);
  const d = await adversarialConfig(adv(['--warmup-fraction', '0.3']));
  assert.deepEqual([(d.method as { schedule: { name: string; warmupFraction: number } }).schedule.name, (d.method as { schedule: { warmupFraction: number } }).schedule.warmupFraction], ['slow-start-fast-decay', 0.3]);
  await assert.rejects(adversarialConfig(adv(['--set', 'method.evalSteps=0'])), /'method\.evalSteps'/);
  assert.equal((await adversarialConfig(adv(['--val-images', '0']))).checkpoint.monitor, null);
  assert.equal((await adversarialConfig(adv([]))).checkpoint.monitor, 'robust_then_clean');
  assert.equal((await adversarialConfig(adv(['--select', 'robust']))).checkpoint.monitor, 'robust_accuracy');
});

test('adversarial: fine-tuning and scratch runs count passes exactly, monitor and select the best checkpoint, report the measured cost ratio; --resume keeps counting', async () => {
  const scratchDir = join(root, 'scratch');
  const s = await runAdversarial(adv([...tiny, '--init', 'scratch', '--schedule', 'piecewise', '--max-steps', '4', '--eval-every', '2', '--gap-images', '100', '--out', scratchDir]), quiet);
  assert.equal(s.status, 'completed');
  assert.equal(s.steps, 4);
  // PGD-2 training: 2 attack passes + 1 training pass, forward and backward, per example
  assert.deepEqual([s.cost.trainForwardPasses, s.cost.trainBackwardPasses], [4 * 8 * 3, 4 * 8 * 3]);
  assert.ok(s.cost.monitorForwardPasses > 0 && s.cost.wallSec > 0 && s.cost.monitorSec > 0);
  // seconds, not milliseconds: the training's wall time lies within the run's elapsed time, which is a few seconds here
  assert.ok(s.cost.wallSec <= s.elapsedSec + 1e-3 && s.elapsedSec < 600, `wallSec ${s.cost.wallSec}, elapsedSec ${s.elapsedSec}`);
  assert.deepEqual(s.monitor.map((m) => m.step), [2, 4]);
  // the default selection: best held-out robust accuracy, ties broken by clean accuracy (then the first)
  const top = Math.max(...s.monitor.map((m) => m.robustAccuracy));
  const clean = Math.max(...s.monitor.filter((m) => m.robustAccuracy === top).map((m) => m.accuracy));
  assert.equal(s.best!.robustAccuracy, top);
  assert.equal(s.best!.accuracy, clean);
  assert.equal(s.best!.step, s.monitor.find((m) => m.robustAccuracy === top && m.accuracy === clean)!.step);
  assert.equal(s.trainImages, 40, '50 labelled images less the 10 held out');
  assert.equal(s.train!.images, 40, '--gap-images above the training set attacks all of it');
  assert.equal(s.pretrain, null);
  assert.equal(s.test!.images, 20);
  assert.ok(s.test!.pgd <= s.test!.clean);

  // --val-images 0: no held-out set at all (every labelled image trains), no monitor
  const noVal = tiny.map((v, i) => (tiny[i - 1] === '--val-images' ? '0' : v));
  const z = await runAdversarial(adv([...noVal, '--init', 'scratch', '--max-steps', '1', '--out', join(root, 'noval')]), quiet);
  assert.deepEqual([z.valImages, z.trainImages, z.monitor.length, z.best], [0, 50, 0, null]);

  // a library call's imageSize: null means "not given": a run saved with --image-size 32 resumes
  const sizedDir = join(root, 'sized');
  const sized = await runAdversarial(adv([...noVal, '--init', 'scratch', '--image-size', '32', '--max-steps', '1', '--out', sizedDir]), quiet);
  const resumed = await runAdversarial({ ...adv(['--resume', sizedDir, '--max-steps', '2']), imageSize: null }, quiet);
  assert.deepEqual([resumed.steps, resumed.preprocessing], [2, sized.preprocessing]);
  assert.equal((JSON.parse(readFileSync(join(sizedDir, 'cli.json'), 'utf8')) as { imageSize: number }).imageSize, 32);

  const ftDir = join(root, 'ft');
  const f = await runAdversarial(adv([...tiny, '--max-steps', '2', '--eval-every', '1', '--gap-images', '8', '--train-per-class', '4', '--set', 'log.every=1', '--compare-to', scratchDir, '--out', ftDir]), quiet);
  assert.equal(f.head, 'kept');
  assert.equal(f.schedule, 'slow-start-fast-decay');
  assert.deepEqual(f.pretrain, { steps: 10, batchSize: 8, examplePasses: 160, elapsedSec: 1 });
  assert.equal(f.costRatio!.passes, (4 * 8 * 3 * 2) / (2 * 8 * 3 * 2));
  assert.equal(f.costRatio!.passesWithPretrain, (4 * 8 * 3 * 2) / (2 * 8 * 3 * 2 + 160));
  assert.equal(f.train!.images, 8);
  assert.deepEqual([f.trainPerClass, f.trainImages], [4, 20]);
  assert.match(formatAdversarial(f), /training images: 20 \(4 per class/);
  await assert.rejects(runAdversarial(adv([...tiny, '--max-steps', '1', '--train-per-class', '9', '--out', join(root, 'y')]), quiet), /--train-per-class 9: the training split after --val-images is too small \(labelBudget: class \d has 8 examples, fewer than perClass=9\)/);
  const lrs = readFileSync(join(ftDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"split":"train"')).map((l) => (JSON.parse(l) as { lr: number }).lr);
  assert.deepEqual(lrs.map((x) => +x.toFixed(10)), [0.05 * 0.01, 0.05 * 1].map((x) => +x.toFixed(10)), 'the slow-start-fast-decay lr the engine logged');
  assert.ok(existsSync(join(ftDir, 'weights.safetensors')) && existsSync(join(ftDir, 'weights.json')));
  const text = formatAdversarial(f);
  assert.match(text, /cost ratio vs from-scratch run .*: 2\.00x the passes/);
  await assert.rejects(runAdversarial(adv([...tiny, '--max-steps', '1', '--compare-to', ftDir, '--out', join(root, 'x')]), quiet), /init 'finetune'/);

  const again = await runAdversarial(adv(['--resume', ftDir]), quiet);
  assert.equal(again.steps, 2, 'a completed run resumes at its last step');
  assert.deepEqual([again.cost.trainForwardPasses, again.cost.monitorForwardPasses], [f.cost.trainForwardPasses, f.cost.monitorForwardPasses]);
  assert.ok(again.cost.wallSec >= f.cost.wallSec);
});

test('robustness: clean, FGSM and PGD rows on the weights own task (rows above clean flagged), JSON written; a head of another size is refused', async () => {
  const out = join(root, 'rob');
  const live = torch.liveTensors();
  const r = await runRobustness(parseRobustness(['--weights', join(root, 'ft', 'weights.safetensors'), '--limit', '20', '--steps', '1,3', '--eps-sweep', '0.3', '--threads', '1', '--out', out]) as RobustnessArgs);
  assert.equal(torch.liveTensors(), live, 'the limited subset, model and data are freed');
  assert.equal(r.data, 'fmnist:source');
  assert.equal(r.examples, 20);
  // --limit takes 20 examples spread over the split (several classes), not 20 copies of one: a near-chance model is neither always right nor always wrong
  assert.ok(r.clean > 0 && r.clean < 1, `clean accuracy ${r.clean}`);
  assert.deepEqual(r.pgd.map((p) => p.steps), [1, 3]);
  assert.deepEqual(r.epsSweep.map((e) => e.eps), [0.1, 0.3]);
  // a 2-step model is near chance, where an attack can turn a wrong answer right: every such row must be flagged
  assert.equal(r.maskingFlags.some((f) => /^FGSM accuracy .* is above clean/.test(f)), r.fgsm > r.clean, JSON.stringify(r));
  for (const p of r.pgd) assert.equal(r.maskingFlags.some((f) => f.startsWith(`PGD-${p.steps} accuracy`)), p.accuracy > r.clean, JSON.stringify(r));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'robustness.json'), 'utf8')).pgd, r.pgd);
  assert.match(formatRobustness(r), /PGD-3 eps 0\.1 /);
  await assert.rejects(runRobustness(parseRobustness(['--weights', tinyWeights(3), '--limit', '4']) as RobustnessArgs), /head has 3 classes, fmnist:source has 5/);
});

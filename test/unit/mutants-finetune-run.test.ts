/**
 * The quickstart's recipe (src/methods/finetune/recipes.ts) against docs/quickstart.md, which states each strategy's
 * budget, effective learning rate and regulariser: the page's tables and the code cannot drift apart. (The quickstart
 * itself runs for minutes: test/methods/library-examples runs it with --quick.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { QUICKSTART_BATCH, QUICKSTART_PLANS } from '../../src/methods/finetune/recipes.js';

const page = readFileSync('docs/quickstart.md', 'utf8');
const rowOf = (label: string): string[] => {
  const line = page.split('\n').find((l) => l.startsWith(`| ${label} |`) && l.split('|').length > 8);
  assert.ok(line, `docs/quickstart.md has a results row for '${label}'`);
  return line.split('|').slice(1, -1).map((c) => c.trim());
};

test('quickstart plans: labels, what trains, epochs, steps (7 per epoch) and elr as docs/quickstart.md states them; batch 32', () => {
  assert.equal(QUICKSTART_BATCH, 32);
  assert.match(page, /batch size 32\. An epoch is 7 steps/);
  assert.deepEqual(QUICKSTART_PLANS.map((p) => p.id), ['linear-probe', 'full', 'full-l2sp', 'adafilter', 'scratch']);
  for (const p of QUICKSTART_PLANS) {
    const [, trains, epochs, steps, lr] = rowOf(p.label);
    assert.equal(trains, p.trains, p.id);
    assert.equal(Number(epochs), p.epochs, `${p.id} epochs`);
    assert.equal(Number(steps), p.epochs * 7, `${p.id} steps`);
    const m = p.method as Record<string, unknown>;
    if (p.kind === 'adafilter') { assert.deepEqual(m, {}, 'AdaFilter runs with its defaults'); continue; }
    const [lrValue, elr] = lr!.match(/^([\d.]+) \(([\d.]+)\)$/)!.slice(1).map(Number);
    assert.equal(m['elr'], elr, `${p.id} elr`);
    assert.ok(Math.abs(lrValue! - elr! * (1 - (m['momentum'] as number))) < 1e-12, `${p.id}: lr = elr (1 - momentum)`);
    assert.equal(m['momentum'], 0.9);
  }
});

test('quickstart plans: each strategy and regulariser with the values the page gives (L2 1e-4; L2-SP alpha 0.01, beta 1e-4)', () => {
  const by = Object.fromEntries(QUICKSTART_PLANS.map((p) => [p.id, p.method as Record<string, unknown>]));
  assert.deepEqual(by['linear-probe'], { strategy: 'linear-probe', elr: 1, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 });
  assert.deepEqual(by['full'], { strategy: 'full', elr: 0.3, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 });
  assert.deepEqual(by['full-l2sp'], { strategy: 'full', elr: 1, momentum: 0.9, regularizer: 'l2-sp', alpha: 0.01, beta: 1e-4 });
  assert.deepEqual(by['scratch'], { strategy: 'scratch', elr: 0.3, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 });
  assert.match(page, /weight decay 1e-4 towards 0 \| 0\.3 \|/);
  assert.match(page, /α = 0\.01 towards the pre-trained weights, β\/2‖head‖² with β = 1e-4 \| 1 \|/);
  assert.match(page, /\| linear probe \| the head only; backbone frozen, BatchNorm in eval mode \| 1 \|/);
  assert.match(page, /\| from scratch \| same architecture, every weight re-initialised, weight decay 1e-4 \| 0\.3 \|/);
});

test('supervisedRun: a training set that is not in memory (no imprinting possible) trains with a new head; only head \'imprint\' is refused for it', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { finetuneTrainConfig, supervisedRun } = await import('../../src/methods/finetune/index.js');
  const { loaderOf, makeSet, tinyResNet } = await import('../methods/finetune-fixtures.js');
  const set = makeSet(16, 1);
  const streamed = { numBatches: 1 } as never; // stands for a streaming loader: not a DataLoader
  const run = (head: string) => {
    const model = tinyResNet(11);
    const config = finetuneTrainConfig({ head, numClasses: 3 } as never, { seed: 1, maxSteps: 1, checkpoint: { atEpochEnd: false }, log: { tensorboard: false } } as never);
    return supervisedRun({ model, config, train: loaderOf(set, 8), test: loaderOf(set, 8, false), val: null, plain: streamed, session: mkdtempSync(join(tmpdir(), 'adaptune-sr-')), onEvent: () => {}, handleSignals: false })
      .finally(() => model.dispose());
  };
  const r = await run('reinit');
  assert.equal(r.result.step, 1);
  assert.ok(r.test.accuracy >= 0 && r.test.accuracy <= 1);
  await assert.rejects(run('imprint'), /head 'imprint' needs the training images in memory/);
  set.dispose();
});

/**
 * @module Selects each quickstart strategy's effective learning rate without touching the test split:
 * for elr in {0.1, 0.3, 1}, fine-tune on a *different* seeded label draw of fmnist:target-mid (seed 1,
 * 50 labels per class) for 15 epochs and score on 1,000 held-out images of the training split (from the
 * unlabelled remainder of that draw). Usage: node dist/bench/quickstart-elr.js [seed]
 * Prints one JSON line per (strategy, elr) and the chosen elr per strategy.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../src/core/torch.js';
import { loadTask } from '../src/data/tasks/index.js';
import { LR_PAIR, QUICKSTART_BATCH, QUICKSTART_PLANS, resolveFinetune, supervisedRun } from '../src/methods/finetune/index.js';
import { bundledBackbonePath, loadPretrained } from '../src/models/index.js';
import { taskLoaders } from '../src/data/augment.js';
import { layerConfig } from '../src/train/index.js';

async function main(seed: number): Promise<void> {
  const task = loadTask('fmnist:target-mid', { labelsPerClass: 50, seed });
  const val = task.unlabelled.subset(Array.from({ length: 1000 }, (_, i) => i));
  const chosen: Record<string, number> = {};
  for (const plan of QUICKSTART_PLANS) {
    let best = { elr: 0, acc: -1 };
    for (const elr of [0.1, 0.3, 1]) {
      torch.manualSeed(seed);
      const { model } = loadPretrained(bundledBackbonePath(), { numClasses: task.numClasses });
      const config = resolveFinetune(await layerConfig({ exclusive: LR_PAIR, defaults: {
        seed, epochs: 15, scheduler: { name: 'cosine', interval: 'step' }, eval: { atEpochEnd: false },
        checkpoint: { atEpochEnd: false, keep: 1 }, log: { every: 50, tensorboard: false },
        method: { ...plan.method, elr, numClasses: task.numClasses, head: 'reinit' },
      } }));
      const loaders = taskLoaders({ train: task.train, test: val }, QUICKSTART_BATCH, seed);
      const r = await supervisedRun({ model, config, ...loaders, session: mkdtempSync(join(tmpdir(), 'qs-elr-')), onEvent: () => {}, handleSignals: false });
      process.stdout.write(JSON.stringify({ strategy: plan.id, elr, valAccuracy: r.test.accuracy }) + '\n');
      if (r.test.accuracy > best.acc) best = { elr, acc: r.test.accuracy };
      r.task.dispose(); model.dispose();
    }
    chosen[plan.id] = best.elr;
  }
  process.stdout.write(JSON.stringify({ chosen, protocol: 'label draw seed ' + seed + ', 15 epochs, 1000 held-out training images' }) + '\n');
}

main(Number(process.argv[2] ?? 1)).catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });

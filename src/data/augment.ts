/** @module The training augmentation of the supervised commands and the loaders of a benchmark task. */
import { DataLoader } from './loader.js';
import { Compose, RandomCrop, RandomHorizontalFlip } from './transforms/index.js';
import type { Dataset } from './dataset.js';

/** The training augmentation of every supervised run: random crop 28 with padding 2 (zeros), horizontal flip p=0.5. */
export function augmentation(): Compose {
  return new Compose([new RandomCrop({ padding: 2 }), new RandomHorizontalFlip()]);
}

/** Loaders of a task: train (shuffled, augmented), plain (train without augmentation, for imprinting), test (batches of 500). */
export function taskLoaders(task: { train: Dataset; test: Dataset }, batchSize: number, seed: number): { train: DataLoader; plain: DataLoader; test: DataLoader } {
  const bs = Math.min(batchSize, task.train.length);
  return {
    train: new DataLoader(task.train, { batchSize: bs, seed, shuffle: true, dropLast: task.train.length >= 2 * bs, transform: augmentation() }),
    plain: new DataLoader(task.train, { batchSize: 500, seed, shuffle: false, prefetch: false }),
    test: new DataLoader(task.test, { batchSize: 500, seed, shuffle: false, prefetch: false }),
  };
}

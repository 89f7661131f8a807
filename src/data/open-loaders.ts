/**
 * @module The loaders of an opened data spec, with its preprocessing: `train` (shuffled, the `augment` transform
 * and batch mix, drop-last when there are at least two batches), `plain` (the training images with the
 * evaluation transform, in order: imprinting, feature statistics), `val` and `test` (evaluation transform, in
 * order). In-memory splits get a DataLoader; streamed splits a StreamingLoader, which has DataLoader's iteration,
 * position and order but no synchronous batchAt (the evaluation helpers of src/train need batchAt, so streamed
 * val/test splits need an asynchronous evaluation loop).
 */
import { ConfigError } from '../core/errors.js';
import { DataLoader } from './loader.js';
import { Dataset } from './dataset.js';
import { FileImageSet, StreamingLoader } from './stream.js';
import { evalTransform, trainTransform, type Preprocessing } from './preprocess.js';
import type { ImageSet, OpenedData } from './open.js';

/** A loader of either kind. */
export type AnyLoader = DataLoader | StreamingLoader;

/** Loaders of OpenedData (see the module doc); null where the split is absent. */
export interface OpenedLoaders { train: AnyLoader; plain: AnyLoader; val: AnyLoader | null; test: AnyLoader }

function loader(set: ImageSet, o: { batchSize: number; seed: number; shuffle: boolean; dropLast: boolean }, p: Preprocessing, train: boolean): AnyLoader {
  const { transform, mix } = train ? trainTransform(p) : { transform: evalTransform(p), mix: null };
  const bs = Math.min(o.batchSize, set.length);
  const common = { batchSize: bs, seed: o.seed, shuffle: o.shuffle, dropLast: o.dropLast && set.length >= 2 * bs, transform, mix };
  if (set instanceof Dataset) return new DataLoader(set, { ...common, prefetch: train });
  if (set instanceof FileImageSet) return new StreamingLoader(set, common);
  throw new ConfigError('loadersFor: a split is neither a Dataset nor a FileImageSet');
}

/**
 * The evaluation batch of a preprocessing: 256 for images up to 64x64, else the training batch (an evaluation
 * keeps every intermediate of a batch's forward pass until the batch ends: ResNet-50 at 224x224 holds about 90 MB
 * per image, so 256 images would take over 20 GB; the training batch is known to fit).
 */
export function evalBatchFor(p: Preprocessing, batchSize: number): number {
  return p.imageSize[0] * p.imageSize[1] <= 64 * 64 ? 256 : batchSize;
}

/** Builds the loaders of `d` with its preprocessing; evalBatchSize defaults to evalBatchFor(d.preprocessing, batchSize). */
export function loadersFor(d: OpenedData, o: { batchSize: number; seed: number; evalBatchSize?: number }): OpenedLoaders {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new ConfigError(`loadersFor: batchSize must be an integer >= 1, got ${JSON.stringify(o.batchSize)}`);
  const eb = o.evalBatchSize ?? evalBatchFor(d.preprocessing, o.batchSize);
  const ev = (s: ImageSet): AnyLoader => loader(s, { batchSize: eb, seed: o.seed, shuffle: false, dropLast: false }, d.preprocessing, false);
  return {
    train: loader(d.train, { batchSize: o.batchSize, seed: o.seed, shuffle: true, dropLast: true }, d.preprocessing, true),
    plain: ev(d.train),
    val: d.val ? ev(d.val) : null,
    test: ev(d.test),
  };
}

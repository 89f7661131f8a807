/** @module What the training commands share: threads, the task's loaders, a run's progress and log, weights files with a sidecar. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as torch from '../core/torch.js';
import { saveSafetensors } from '../core/io/safetensors.js';
import { DataLoader } from '../data/loader.js';
import { Compose, RandomCrop, RandomHorizontalFlip } from '../data/transforms/index.js';
import type { BenchmarkTask } from '../data/tasks/index.js';
import type { FeatureModel } from '../models/index.js';
import { collectVersions, createProgress, type TrainEvent } from '../train/index.js';
import { sha256File as sha256Streamed } from '../train/atomic.js';

/** Sets libtorch's intra-op threads when asked (else ADAPTUNE_NUM_THREADS or the cores). */
export function applyThreads(n: number | undefined): void {
  if (n !== undefined) torch.setNumThreads(n);
}

/** The training augmentation of every command: random crop 28 with padding 2 (zeros), horizontal flip p=0.5. */
export function augmentation(): Compose {
  return new Compose([new RandomCrop({ padding: 2 }), new RandomHorizontalFlip()]);
}

/** Loaders of a benchmark task: train (shuffled, augmented), plain (train without augmentation, for imprinting), test. */
export function taskLoaders(task: Pick<BenchmarkTask, 'train' | 'test'>, batchSize: number, seed: number): { train: DataLoader; plain: DataLoader; test: DataLoader } {
  const bs = Math.min(batchSize, task.train.length);
  return {
    train: new DataLoader(task.train, { batchSize: bs, seed, shuffle: true, dropLast: task.train.length >= 2 * bs, transform: augmentation() }),
    plain: new DataLoader(task.train, { batchSize: 500, seed, shuffle: false, prefetch: false }),
    test: new DataLoader(task.test, { batchSize: 500, seed, shuffle: false, prefetch: false }),
  };
}

/** Progress on stderr (a bar on a TTY, plain lines otherwise) plus the same events as plain lines in `logFile`. */
export function runLogger(logFile: string | null, o: { quiet?: boolean; every?: number } = {}): (e: TrainEvent) => void {
  const screen = createProgress({ quiet: o.quiet ?? false, every: o.every ?? 50 });
  if (!logFile) return screen;
  const file = { write: (s: string) => { appendFileSync(logFile, s); return true; }, isTTY: false } as unknown as NodeJS.WritableStream;
  const plain = createProgress({ stream: file, tty: false, every: o.every ?? 50 });
  return (e) => { screen(e); plain(e); };
}

/** Appends one line to a log file. */
export function logLine(logFile: string, line: string): void { appendFileSync(logFile, line + '\n'); }

/** SHA-256 (hex) of a file's bytes. */
export function sha256File(file: string): string {
  // streamed in 4 MiB blocks (F2: reading a file of 2 GiB or more whole fails)
  return sha256Streamed(file).sha256;
}

/** The model description a sidecar records (enough to rebuild the architecture). */
export interface ModelSpec { name: string; config: Record<string, number> }

/** A weights file's sidecar JSON (`X.safetensors` -> `X.json`). */
export interface Sidecar {
  format: 'adaptune-backbone/1';
  weights: string;
  sha256: string;
  model: ModelSpec;
  task: Record<string, unknown>;
  training: Record<string, unknown>;
  sourceTestAccuracy: number | null;
  command: string;
  elapsedSec: number | null;
  versions: { adaptune: string; libtorch: string; node: string; git: { rev: string | null; dirty: boolean | null } };
  created: string;
}

/** The sidecar path of a weights file. */
export function sidecarPath(weights: string): string {
  return weights.replace(/\.safetensors$/, '') + '.json';
}

/** Writes the model's state dict as safetensors and the sidecar next to it (sha256 of the written file); returns the sidecar. */
export function writeWeights(model: FeatureModel, file: string, info: Omit<Sidecar, 'format' | 'weights' | 'sha256' | 'versions' | 'created'>): Sidecar {
  saveSafetensors(file, model.stateDict(), { format: 'pt', model: info.model.name });
  // the head may have changed (a fine-tuned model): record the class count the weights hold
  const config = 'numClasses' in info.model.config ? { ...info.model.config, numClasses: model.numClasses } : info.model.config;
  const sidecar: Sidecar = {
    format: 'adaptune-backbone/1', weights: file.split('/').pop()!, sha256: sha256File(file), ...info, model: { ...info.model, config },
    versions: collectVersions(), created: new Date().toISOString(),
  };
  writeFileSync(sidecarPath(file), JSON.stringify(sidecar, null, 2) + '\n');
  return sidecar;
}

/** The command line as typed (for sidecars and summaries). */
export function commandLine(argv: readonly string[] = process.argv.slice(2)): string {
  const q = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['adaptune', ...argv].map(q).join(' ');
}

/**
 * @module Fixtures for the engine tests: a synthetic dataset, a tiny MLP task
 * (dropout = libtorch RNG, input jitter from ctx.rng = JS PRNG, an EMA of the
 * first layer as task state), hashing of weights, temp directories.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import * as nn from '../../src/core/nn/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { DataLoader, type Batch } from '../../src/data/loader.js';
import type { LossOutput, Task, StepContext, TaskState } from '../../src/train/index.js';

const made: string[] = [];
process.on('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
/** A fresh temp directory (removed when the process exits). */
export function tmp(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `adaptune-train-${tag}-`));
  made.push(d);
  return d;
}

/** N synthetic 1x2x2 uint8 images with 3 classes, fixed by `seed`. */
export function makeDataset(n = 40, seed = 7): Dataset {
  return torch.tidy(() => {
    const g = new torch.Generator(seed);
    const images = torch.randint(0, 256, [n, 1, 2, 2], { generator: g, dtype: 'int64' }).to('uint8');
    const labels = torch.randint(0, 3, [n], { generator: g, dtype: 'int64' });
    return new Dataset({ images, labels, classes: ['a', 'b', 'c'] });
  });
}

/** A loader over the dataset (the engine reseeds it from config.seed). */
export const makeLoader = (ds: Dataset, batchSize = 8): DataLoader => new DataLoader(ds, { batchSize, seed: 999, shuffle: true });

/** Options of the tiny task. */
export interface TinyOptions {
  /** Method id (default 'tiny-mlp'). */
  name?: string;
  dropout?: number;
  /** Add input jitter drawn from ctx.rng (default true). */
  jitter?: boolean;
  /** Return a NaN loss at this optimizer step (0-based step count when it happens). */
  nanAtStep?: number;
  /** Make one gradient Inf at this step (in beforeStep). */
  infGradAtStep?: number;
  /** Keep an EMA of the first layer as task state (default true). */
  ema?: boolean;
  /** Called after each optimizer step. */
  afterStep?: (ctx: StepContext) => void;
  /** evaluate() returns these values in turn (else the loss on a fixed set). */
  evalSequence?: number[];
  /** Hidden width (change it to get a shape mismatch). */
  hidden?: number;
}

/** A 2-layer MLP classification task with every random stream in use. */
export class TinyTask implements Task<Batch> {
  readonly name: string;
  readonly model: nn.Sequential;
  ema: Tensor | null = null;
  /** Dataset indices of every micro-batch seen, in order. */
  readonly seen: number[][] = [];
  /** The input jitter of every micro-batch (drawn from ctx.rng), in order. */
  readonly jitters: number[] = [];
  #evals = 0;
  constructor(readonly o: TinyOptions = {}) {
    this.name = o.name ?? 'tiny-mlp';
    torch.manualSeed(1234); // fixed init: runs differ only by what the engine seeds
    const h = o.hidden ?? 8;
    this.model = new nn.Sequential(new nn.Flatten(), new nn.Linear(4, h), new nn.ReLU(), new nn.Dropout(o.dropout ?? 0.2), new nn.Linear(h, 3));
    if (o.ema ?? true) this.ema = torch.keep(torch.tidy(() => this.first.weight.detach().clone()));
  }
  get first(): nn.Linear { return this.model.at(1) as nn.Linear; }
  paramGroups() {
    const ps = this.model.parameters();
    return [{ params: ps.slice(0, 2), name: 'body', lrScale: 0.5 }, { params: ps.slice(2), name: 'head' }];
  }
  loss(b: Batch, ctx: StepContext): LossOutput {
    this.seen.push([...b.indices]);
    const jitter = (this.o.jitter ?? true) ? (ctx.rng.float() - 0.5) * 0.01 : 0;
    this.jitters.push(jitter);
    const logits = this.model.call(b.x.add(jitter));
    let loss = torch.crossEntropy(logits, b.y);
    if (this.o.nanAtStep === ctx.step) loss = loss.mul(NaN);
    return { loss, output: logits, parts: { jitter } };
  }
  beforeStep(ctx: StepContext): void {
    if (this.o.infGradAtStep === ctx.step) torch.noGrad(() => { const g = this.first.weight.grad!; g.fill_(Infinity); g.dispose(); });
  }
  afterStep(ctx: StepContext): void {
    if (this.ema) torch.noGrad(() => this.ema!.mul_(0.9).add_(this.first.weight, 0.1));
    this.o.afterStep?.(ctx);
  }
  evaluate(): Record<string, number> {
    if (this.o.evalSequence) return { score: this.o.evalSequence[Math.min(this.#evals++, this.o.evalSequence.length - 1)]! };
    return torch.tidy(() => ({ loss: Number(this.model.call(torch.ones([4, 1, 2, 2])).pow(2).mean().item()) }));
  }
  stateDict(): TaskState { return { tensors: new Map(this.ema ? [['ema', this.ema]] : []), json: { evals: this.#evals } }; }
  loadStateDict(s: TaskState): void {
    const e = s.tensors.get('ema');
    if (e && this.ema) torch.noGrad(() => this.ema!.copy_(e));
    this.#evals = (s.json as { evals: number }).evals;
  }
  dispose(): void { this.model.dispose(); this.ema?.dispose(); }
}

/** SHA-256 over the bytes of every model tensor (and the EMA), in state-dict order. */
export function weightsHash(task: TinyTask): string {
  const h = createHash('sha256');
  for (const [k, t] of task.model.stateDict()) { h.update(k); h.update(t.bytes()); }
  if (task.ema) h.update(task.ema.bytes());
  return h.digest('hex');
}

/** True when every model tensor is exactly equal (torch.equal). */
export function sameWeights(a: TinyTask, b: TinyTask): boolean {
  const sb = b.model.stateDict();
  for (const [k, t] of a.model.stateDict()) if (!torch.equal(t, sb.get(k)!)) return false;
  return a.ema === null || torch.equal(a.ema, b.ema!);
}

/** A config for the tiny runs (5 batches per epoch with batch 8). */
export function tinyConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seed: 3, epochs: 3, accumulate: 2, clipGradNorm: 1.0,
    optim: { name: 'adam', lr: 0.01 }, scheduler: { name: 'cosine', interval: 'step' },
    checkpoint: { keep: 2 }, ...over,
  };
}

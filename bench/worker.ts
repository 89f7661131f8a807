#!/usr/bin/env node
/**
 * @module One adaptune measurement in its own process (clean peak RSS):
 * `node dist/bench/worker.js <model> <threads> <warmup> <repeats> [train|infer|both]`.
 * Thread env (OPENBLAS_NUM_THREADS, ADAPTUNE_NUM_THREADS) must be set by the
 * parent, since the addon reads it at load. Prints one JSON WorkerResult line.
 */
import { optim, torch, type Tensor } from '../src/index.js';
import { buildModel, MODEL_NAMES, type Model, type ModelName } from './models.js';
import { timeLoop } from './stats.js';

/** What a worker (adaptune or PyTorch) prints. Times in ms per step. */
export interface WorkerResult {
  framework: 'adaptune' | 'pytorch' | 'onnxruntime';
  model: string;
  batch: number;
  threads: number;
  blasThreads: string | null;
  train: number[];
  infer: number[];
  /**
   * Graph-mode inference: adaptune torch.jit.compile (trace + freeze + optimize_for_inference); PyTorch
   * torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x))). Empty when not measured.
   */
  inferGraph?: number[];
  /** Peak resident set size of the whole process, bytes. */
  maxRssBytes: number;
}

const BATCH = 128;

/** One training step as the trainer runs it: zeroGrad, forward, cross-entropy, backward, SGD step, in a tidy scope. */
function trainStep(model: Model, opt: optim.SGD, x: Tensor, y: Tensor): void {
  torch.tidy(() => {
    opt.zeroGrad();
    const loss = torch.crossEntropy(model.call(x), y);
    loss.backward();
    opt.step();
  });
}

/** Runs the measurement described by argv and returns the result. */
export async function runWorker(argv: string[]): Promise<WorkerResult> {
  const [model, threadsS, warmupS, repeatsS, what = 'both'] = argv;
  if (!MODEL_NAMES.includes(model as ModelName)) throw new Error(`worker: unknown model ${model}`);
  const threads = Number(threadsS), warmup = Number(warmupS), repeats = Number(repeatsS);
  torch.setNumThreads(threads);
  torch.manualSeed(0);
  const m = buildModel(model as ModelName);
  const opt = new optim.SGD(m.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.randn([BATCH, 1, 28, 28]);
  const y = torch.randint(0, 10, [BATCH]);
  let train: number[] = [], infer: number[] = [], inferGraph: number[] = [];
  if (what !== 'infer') {
    m.train();
    train = await timeLoop(() => trainStep(m, opt, x, y), warmup, repeats);
  }
  if (what !== 'train') {
    m.eval();
    infer = await timeLoop(() => torch.noGrad(() => torch.tidy(() => { m.call(x); })), warmup, repeats);
    // Graph mode: traced, frozen and optimised once (untimed); the profiling executor needs 2 runs to settle.
    const compiled = torch.jit.compile(m, x);
    inferGraph = await timeLoop(() => torch.tidy(() => { compiled.forward(x); }), Math.max(warmup, 2), repeats);
    compiled.dispose();
    m.train();
  }
  return {
    framework: 'adaptune', model, batch: BATCH, threads, blasThreads: process.env.OPENBLAS_NUM_THREADS ?? null,
    train, infer, inferGraph, maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

runWorker(process.argv.slice(2)).then(
  (r) => { process.stdout.write(JSON.stringify(r) + '\n'); },
  (e: unknown) => { process.stderr.write(`worker: ${(e as Error).stack ?? e}\n`); process.exit(1); },
);

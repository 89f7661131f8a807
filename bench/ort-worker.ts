#!/usr/bin/env node
/**
 * @module One ONNX Runtime measurement in its own process:
 * `node dist/bench/ort-worker.js <model> <threads> <warmup> <repeats>`. Builds the benchmark model as the adaptune
 * worker does (seed 0, eval mode), exports it with adaptune's exporter (BatchNorm nodes, which ONNX Runtime folds
 * itself at its default graph optimisation level 'all'), checks ONNX Runtime's logits against adaptune's on the
 * timed batch, and times session.run on that batch (intra-op threads = <threads>, inter-op 1). Prints one JSON
 * WorkerResult line whose `infer` holds ONNX Runtime's times.
 */
import { torch, type Tensor } from '../src/index.js';
import { exportOnnx } from '../src/export/index.js';
import { buildModel, MODEL_NAMES, type ModelName } from './models.js';
import './onnx.js';
import type { WorkerResult } from './worker.js';
import { timeLoop } from './stats.js';

const BATCH = 128;

/** Runs the measurement described by argv and returns the result. */
export async function runOrtWorker(argv: string[]): Promise<WorkerResult & { maxAbsDiff: number }> {
  const [model, threadsS, warmupS, repeatsS] = argv;
  if (!MODEL_NAMES.includes(model as ModelName)) throw new Error(`ort-worker: unknown model ${model}`);
  const threads = Number(threadsS), warmup = Number(warmupS), repeats = Number(repeatsS);
  torch.setNumThreads(threads);
  torch.manualSeed(0);
  const m = buildModel(model as ModelName);
  m.eval();
  const x = torch.randn([BATCH, 1, 28, 28]);
  const { bytes, inputName, outputNames } = exportOnnx(m, x);
  const want = torch.noGrad(() => torch.tidy(() => (m.call(x) as Tensor).contiguous().data() as Float32Array));
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const feed = { [inputName]: new ort.Tensor('float32', x.contiguous().data() as Float32Array, x.shape) };
  const first = await session.run(feed);
  const got = first[outputNames[0]!]!.data as Float32Array;
  let maxAbsDiff = 0;
  for (let i = 0; i < want.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i]! - want[i]!));
  if (!(maxAbsDiff < 1e-3)) throw new Error(`ort-worker: ONNX Runtime's logits differ from adaptune's by ${maxAbsDiff}`);
  const infer = await timeLoop(async () => { await session.run(feed); }, warmup, repeats);
  await session.release();
  return {
    framework: 'onnxruntime', model, batch: BATCH, threads, blasThreads: process.env.OPENBLAS_NUM_THREADS ?? null,
    train: [], infer, maxRssBytes: process.resourceUsage().maxRSS * 1024, maxAbsDiff,
  };
}

runOrtWorker(process.argv.slice(2)).then(
  (r) => { process.stdout.write(JSON.stringify(r) + '\n'); },
  (e: unknown) => { process.stderr.write(`ort-worker: ${(e as Error).stack ?? e}\n`); process.exit(1); },
);

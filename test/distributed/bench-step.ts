/**
 * @module Benchmark (not a test): the data-parallel training step of a bench
 * model (default ResNet-18, bench/models.ts 'resnet18-w64') on synthetic
 * 1x28x28 batches, 1 process vs N processes at the same global batch.
 *   node dist/test/distributed/bench-step.js [--nproc N] [--model M] [--batch GLOBAL] [--steps S] [--warmup W] [--threads T]
 *     [--overlap on|off] [--bucket-mb MB] [--sync-bn on|off]
 * Prints one JSON line: median step time, median backward time, median exposed
 * all-reduce time (DataParallel.reduce after backward returned: the time the JS
 * waits), the buckets started inside backward, samples/s. Threads per process
 * default to max(1, cores / N); --overlap defaults to on where the addon has the hooks.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/core/torch.js';
import * as dist from '../../src/core/distributed.js';
import { SGD } from '../../src/core/optim/sgd.js';
import { DataParallel } from '../../src/train/distributed.js';
import { buildModel, type ModelName } from '../../bench/models.js';
import { launch, lastJson } from './helpers.js';

const arg = (name: string, d: string): string => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : d; };
const nproc = Number(arg('--nproc', '1'));
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

if (nproc > 1 && process.env['RANK'] === undefined) {
  const threads = arg('--threads', String(Math.max(1, Math.floor(cpus().length / nproc))));
  const rs = await launch(fileURLToPath(import.meta.url), process.argv.slice(2), nproc, { ADAPTUNE_NUM_THREADS: threads });
  for (const r of rs) if (r.code !== 0) process.stderr.write(`rank ${r.rank} failed (${r.code}):\n${r.stderr}\n`);
  process.stdout.write(JSON.stringify(lastJson(rs[0]!)) + '\n');
} else {
  const grouped = process.env['RANK'] !== undefined;
  if (grouped) await dist.initProcessGroup();
  else torch.setNumThreads(Number(arg('--threads', String(cpus().length))));
  const world = grouped ? dist.getWorldSize() : 1;
  const model = arg('--model', 'resnet18-w64') as ModelName;
  const global = Number(arg('--batch', '32'));
  const steps = Number(arg('--steps', '8'));
  const warmup = Number(arg('--warmup', '2'));
  const local = global / world;
  torch.manualSeed(0);
  const net = buildModel(model);
  net.train();
  const params = net.parameters();
  const opt = new SGD([{ params }], { lr: 0.01, momentum: 0.9 });
  const overlapArg = arg('--overlap', dist.hasGradientHooks() ? 'on' : 'off');
  const dp = grouped ? new DataParallel({ overlap: overlapArg === 'on', bucketMb: Number(arg('--bucket-mb', '25')), syncBatchNorm: arg('--sync-bn', 'off') === 'on' }) : null;
  await dp?.start(net, params);
  const x = torch.keep(torch.randn([local, 1, 28, 28]));
  const y = torch.keep(torch.randint(0, 10, [local], { dtype: 'int64' }));
  const stepMs: number[] = [];
  const commMs: number[] = [];
  const backwardMs: number[] = [];
  const early: number[] = [];
  for (let s = 0; s < warmup + steps; s++) {
    const t0 = performance.now();
    let tb = 0;
    const loss = torch.tidy(() => {
      const l = torch.crossEntropy(net.call(x), y);
      tb = performance.now();
      if (dp) dp.backward(params, () => l.backward(), l);
      else l.backward();
      tb = performance.now() - tb;
      return Number(l.item());
    });
    const a = dp ? await dp.reduce(params, { bad: null, stop: false, lossSum: loss, count: 1 }) : null;
    opt.step();
    opt.zeroGrad();
    if (s >= warmup) { stepMs.push(performance.now() - t0); commMs.push(a?.commMs ?? 0); backwardMs.push(tb); early.push(a?.early ?? 0); }
  }
  dp?.dispose();
  const paramsM = params.reduce((n, p) => n + p.numel(), 0) / 1e6;
  const out = { model, paramsM: Number(paramsM.toFixed(2)), world, threads: torch.getNumThreads(), globalBatch: global, localBatch: local, steps,
    overlap: dp ? dp.overlap : null, syncBatchNorm: dp ? dp.syncBatchNorm : null, bucketMb: dp ? dp.bucketBytes / 1048576 : null,
    stepMs: Number(median(stepMs).toFixed(1)), backwardMs: Number(median(backwardMs).toFixed(1)), allReduceMs: Number(median(commMs).toFixed(1)),
    earlyBuckets: median(early), samplesPerSec: Number((global / (median(stepMs) / 1000)).toFixed(1)) };
  if (!grouped || dist.getRank() === 0) process.stdout.write(JSON.stringify(out) + '\n');
  if (grouped) dist.destroyProcessGroup();
}

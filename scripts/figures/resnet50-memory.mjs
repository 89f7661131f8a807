#!/usr/bin/env node
// Memory of fine-tuning a torchvision ResNet-50 state dict at 224x224 on a large generated ImageFolder
// (scripts/figures/big-folder.mjs): runFinetune with the given steps (2% validation, 2% test), printing the RSS at
// every step. The JS-side sampler misses peaks inside long synchronous native calls (the evaluation), so take
// the peak of the whole process from the kernel:
//   /usr/bin/time -v node scripts/figures/resnet50-memory.mjs DIR WEIGHTS.pth STEPS [BATCH=16]   # "Maximum resident set size"
import { runFinetune } from '../../dist/src/methods/finetune/index.js';

const [dir, weights, stepsArg, batchArg] = process.argv.slice(2);
if (!dir || !weights || !stepsArg) { console.error('usage: resnet50-memory.mjs DIR WEIGHTS.pth STEPS [BATCH]'); process.exit(2); }
let peak = 0;
const samples = [];
const t0 = Date.now();
const timer = setInterval(() => { const r = process.memoryUsage().rss; peak = Math.max(peak, r); samples.push([Date.now() - t0, r]); }, 100);
const mib = (b) => (b / 2 ** 20).toFixed(0);
const r = await runFinetune({
  data: `imagefolder:${dir}`, weights, model: 'resnet50', maxSteps: Number(stepsArg), batchSize: Number(batchArg ?? 16),
  valFraction: 0.02, testFraction: 0.02, out: `/tmp/resnet50-memory-${process.pid}`, quiet: true,
  onEvent: (e) => { if (e.type === 'step') process.stderr.write(`step ${e.step}: rss ${mib(process.memoryUsage().rss)} MiB (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`); },
});
clearInterval(timer);
console.log(JSON.stringify({ steps: r.steps, batch: Number(batchArg ?? 16), images: { train: null, val: r.val?.images, test: r.testImages }, preprocessing: r.preprocessing,
  sampledPeakRssMiB: Number(mib(peak)), seconds: (Date.now() - t0) / 1000, testAccuracy: r.testAccuracy, runDir: r.runDir }));

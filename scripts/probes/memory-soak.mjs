#!/usr/bin/env node
// Memory soak (reliability probe F5): a *synchronous* training loop (no await,
// so the event loop never turns) of ResNet-20 with SGD+momentum, one intra-op
// thread. Prints RSS growth per 1,000 steps after a warm-up, and liveTensors.
// Usage: node scripts/probes/memory-soak.mjs [steps=2000] [model=cifar_resnet20] [batch=8]
// Needs the compiled dist/ (npx tsc -p tsconfig.json) and the addon.
process.env.ADAPTUNE_NUM_THREADS ??= '1';
const { torch, models, optim, nn } = await import('../../dist/src/index.js');
const steps = Number(process.argv[2] ?? 2000);
const name = process.argv[3] ?? 'cifar_resnet20';
const batch = Number(process.argv[4] ?? 8);
torch.manualSeed(0);
const model = models.createModel(name, { numClasses: 10, ...(name === 'small_cnn' ? { inChannels: 3, inputSize: [32, 32] } : {}) });
model.train();
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const x = torch.randn([batch, 3, 32, 32]);
const y = torch.randint(0, 10, [batch]);
const step = () => torch.tidy(() => {
  opt.zeroGrad();
  const loss = nn.functional.crossEntropy(model.forward(x), y);
  loss.backward();
  opt.step();
  return loss.item();
});
const warm = Math.min(200, Math.floor(steps / 10));
for (let i = 0; i < warm; i++) step();
const rss = () => process.memoryUsage().rss / 2 ** 20;
const live0 = torch.liveTensors();
const rss0 = rss();
const t0 = Date.now();
const marks = [];
for (let i = 1; i <= steps; i++) {
  step();
  if (i % 500 === 0) marks.push(`${i}:${rss().toFixed(1)}`);
}
const grow = rss() - rss0;
const perK = grow / steps * 1000;
console.log(`memory-soak model=${name} batch=${batch} steps=${steps} sync=1 rss0=${rss0.toFixed(1)}MiB rss1=${rss().toFixed(1)}MiB ` +
  `growth_per_1000_steps=${perK.toFixed(2)}MiB liveTensors ${live0}->${torch.liveTensors()} ms_per_step=${((Date.now() - t0) / steps).toFixed(1)}`);
console.log(`rss marks: ${marks.join(' ')}`);

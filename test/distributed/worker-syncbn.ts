/**
 * @module Worker for syncbn.test.ts (2 ranks): a conv + BatchNorm2d + linear +
 * BatchNorm1d model trained 3 SGD steps on a global batch of 8, once in this
 * process alone (plain batch norm, the reference) and once data-parallel on
 * this rank's 4 examples, with SyncBatchNorm on or off (SYNCBN=1/0) and the
 * overlapped all-reduce on or off (OVERLAP=1/0). Prints { rank, maxDiff }
 * (weights and running statistics vs the reference) and whether dispose()
 * restored plain batch norm.
 */
import * as dist from '../../src/core/distributed.js';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import * as nn from '../../src/core/nn/index.js';
import { SGD } from '../../src/core/optim/sgd.js';
import { DataParallel } from '../../src/train/distributed.js';

await dist.initProcessGroup();
const rank = dist.getRank();
const sync = process.env['SYNCBN'] === '1';
const build = (): nn.Sequential => {
  torch.manualSeed(11);
  return new nn.Sequential(new nn.Conv2d(1, 4, 1), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Linear(16, 6), new nn.BatchNorm1d(6), new nn.ReLU(), new nn.Linear(6, 3));
};
const g = new torch.Generator(3);
const xs = torch.keep(torch.randn([3, 8, 1, 2, 2], { generator: g }).mul(3).add(1));
const ys = torch.keep(torch.randint(0, 3, [3, 8], { generator: g, dtype: 'int64' }));

async function run(model: nn.Sequential, dp: DataParallel | null): Promise<Map<string, Tensor>> {
  const params = model.parameters();
  const opt = new SGD([{ params }], { lr: 0.5, momentum: 0.9 });
  await dp?.start(model, params);
  model.train();
  for (let s = 0; s < 3; s++) {
    torch.tidy(() => {
      let x = xs.select(0, s);
      let y = ys.select(0, s);
      if (dp) { x = x.narrow(0, 4 * rank, 4); y = y.narrow(0, 4 * rank, 4); }
      const l = torch.crossEntropy(model.call(x), y);
      if (dp) dp.backward(params, () => l.backward());
      else l.backward();
    });
    if (dp) await dp.reduce(params, { bad: null, stop: false, lossSum: 0, count: 1 });
    opt.step();
    opt.zeroGrad();
  }
  dp?.dispose();
  opt.dispose();
  return model.stateDict();
}

const ref = await run(build(), null);
const model = build();
const dp = new DataParallel({ syncBatchNorm: sync, overlap: process.env['OVERLAP'] !== '0' });
const got = await run(model, dp);
let maxDiff = 0;
for (const [k, t] of ref) {
  const a = t.to('float64').data() as Float64Array;
  const b = got.get(k)!.to('float64').data() as Float64Array;
  a.forEach((v, i) => { maxDiff = Math.max(maxDiff, Math.abs(v - b[i]!)); });
}
// after dispose the layers are plain batch norm again: a training forward issues no collective (none is pending on the peer)
const restored = Object.hasOwn(model.at(1), 'forward') || Object.hasOwn(model.at(5), 'forward') ? 'no' : 'yes';
process.stdout.write(JSON.stringify({ rank, sync, maxDiff, restored }) + '\n');
dist.destroyProcessGroup();

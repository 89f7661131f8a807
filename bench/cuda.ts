/**
 * @module CUDA twin of the training/inference step benchmark, for the GPU machine
 * (scripts/device-check.sh). Usage: node dist/bench/cuda.js <model> [warmup] [repeats] [batch]
 * Prints one JSON line: median ms per training step and per inference step on 'cuda'.
 * Times are taken after torch.cuda.synchronize(), so they are device times plus launch overhead.
 */
import { torch, nn, optim } from '../src/index.js';
import { buildModel, type ModelName } from './models.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeLoop(fn: () => void, warmup: number, repeats: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) { fn(); await new Promise(setImmediate); }
  torch.cuda.synchronize();
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    fn();
    torch.cuda.synchronize();
    out.push(performance.now() - t);
    await new Promise(setImmediate);
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const name = (argv[0] ?? 'small') as ModelName;
  const warmup = Number(argv[1] ?? 10);
  const repeats = Number(argv[2] ?? 30);
  const batch = Number(argv[3] ?? 128);
  torch.manualSeed(0);
  const model = buildModel(name);
  model.to('cuda');
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.randn([batch, 1, 28, 28], { device: 'cuda' });
  const y = torch.randint(0, 10, [batch], { device: 'cuda' });
  model.train();
  const train = await timeLoop(() => torch.tidy(() => {
    opt.zeroGrad();
    nn.functional.crossEntropy(model.call(x), y).backward();
    opt.step();
  }), warmup, repeats);
  model.eval();
  const infer = await timeLoop(() => torch.noGrad(() => torch.tidy(() => { model.call(x); })), warmup, repeats);
  process.stdout.write(JSON.stringify({ framework: 'adaptune', device: 'cuda', model: name, batch, trainMs: median(train), inferMs: median(infer), liveTensors: torch.liveTensors() }) + '\n');
}

main(process.argv.slice(2)).catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });

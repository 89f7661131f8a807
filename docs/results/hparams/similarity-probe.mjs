// The probe behind the choice of T_near, T_noisy and T_sshift, and of T_shapes' drawing (docs/results/hparams.md):
// the domain similarity (pool features, gamma auto) of candidate targets made by transforming the images of existing
// tasks, without adding them as tasks. Run from the repository root after npx tsc: node docs/results/hparams/similarity-probe.mjs
// (about 2 min on one thread). Not a library feature; the chosen shifts are built-in tasks in src/data/tasks.
import * as torch from '../../../dist/src/core/torch.js';
import { DataLoader, Dataset, loadTask } from '../../../dist/src/data/index.js';
import { bundledBackbonePath, loadPretrained } from '../../../dist/src/models/index.js';
import { classStats, similarityFromStats } from '../../../dist/src/methods/finetune/similarity.js';
import { capPerClass } from '../../../dist/src/methods/finetune/run-similarity.js';
torch.setNumThreads(1);
const { model } = loadPretrained(bundledBackbonePath());
const base = (name) => { const t = loadTask(name, { labelsPerClass: 'all', seed: 0 }); const d = t.train.subset(capPerClass(t.train.labelArray(), 500)); return d; };
const stats = (ds) => classStats(model, new DataLoader(ds, { batchSize: 500, seed: 0, shuffle: false, prefetch: false }), 0, 'pool');
const mk = (ds, f) => torch.tidy(() => new Dataset({ images: f(ds.images).contiguous(), labels: ds.labels.clone(), classes: ds.classes, source: 'probe' }));
const src = stats(base('fmnist:source'));
const S = base('fmnist:source'), M = base('fmnist:target-mid'), T = base('textures:target-far'), SH = base('fmnist:target-shift'), P = base('shapes:target-far');
const g = new torch.Generator(1);
const noise = (x, s) => x.to('float32').add(torch.randn(x.shape, { generator: g }).mul(s)).clamp(0, 255).round().to('uint8');
const cands = {
  source: [S, (x) => x.clone()],
  'src flip-h': [S, (x) => x.flip([3])],
  'src roll 2': [S, (x) => x.roll([2, 2], [2, 3])],
  'src roll 4': [S, (x) => x.roll([4], [3])],
  'src dim 0.7': [S, (x) => x.to('float32').mul(0.7).round().to('uint8')],
  'src contrast 0.8': [S, (x) => x.to('float32').mul(0.8).add(25).round().to('uint8')],
  'src contrast 0.7': [S, (x) => x.to('float32').mul(0.7).add(38).round().to('uint8')],
  'src contrast 0.5': [S, (x) => x.to('float32').mul(0.5).add(64).round().to('uint8')],
  'src noise 32': [S, (x) => noise(x, 32)],
  'src noise 64': [S, (x) => noise(x, 64)],
  'src flip-v': [S, (x) => x.flip([2])],
  'src rot180': [S, (x) => x.rot90(2, [2, 3])],
  'src rot90': [S, (x) => x.rot90(1, [2, 3])],
  'src transpose': [S, (x) => x.transpose(2, 3)],
  'src invert': [S, (x) => x.bitwiseNot()],
  'src rot90+inv': [S, (x) => x.rot90(1, [2, 3]).bitwiseNot()],
  mid: [M, (x) => x.clone()],
  'mid noise 64': [M, (x) => noise(x, 64)],
  'mid noise 128': [M, (x) => noise(x, 128)],
  shift: [SH, (x) => x.clone()],
  'shift noise 64': [SH, (x) => noise(x, 64)],
  far: [T, (x) => x.clone()],
  'far invert': [T, (x) => x.bitwiseNot()],
  'far contrast x3': [T, (x) => x.to('float32').sub(128).mul(3).add(128).clamp(0, 255).round().to('uint8')],
  // fifth session: the shapes generator (shapes:target-far as built: noise-free black silhouettes on white) and variants
  shapes: [P, (x) => x.clone()],
  'shapes invert': [P, (x) => x.bitwiseNot()],
  'shapes noise 8': [P, (x) => noise(x, 8)],
  'shapes binarised': [P, (x) => x.gt(127).to('uint8').mul(255)],
  'shapes grey 40/215': [P, (x) => x.to('float32').mul(175 / 255).add(40).round().to('uint8')],
};
for (const [k, [ds, f]] of Object.entries(cands)) {
  const d = mk(ds, f);
  const r = similarityFromStats(src, stats(d), 'auto');
  console.log(`${k.padEnd(20)} EMD ${r.emd.toFixed(3)} sim ${r.similarity.toFixed(3)}`);
  d.dispose();
}
// Output of 2026-12-07 (EMD / similarity): source 0.000 / 1.000; src flip-h 0.091 / 0.985; src roll 2 0.754 / 0.881;
// src roll 4 0.768 / 0.879; src dim 0.7 0.680 / 0.892; src contrast 0.8 2.925 / 0.611; src contrast 0.7 3.298 / 0.574;
// src contrast 0.5 3.552 / 0.550; src noise 32 2.870 / 0.617; src noise 64 3.663 / 0.540; src flip-v 3.295 / 0.575;
// src rot180 3.286 / 0.575; src rot90 4.455 / 0.473; src transpose 4.414 / 0.476; src invert 3.537 / 0.552;
// src rot90+inv 5.624 / 0.388; mid 3.829 / 0.525; mid noise 64 4.023 / 0.508; mid noise 128 4.156 / 0.497;
// shift 4.470 / 0.472; shift noise 64 3.948 / 0.515; far 4.015 / 0.509; far invert 4.033 / 0.507; far contrast x3 3.871 / 0.522.
// (src flip-h is within the training augmentation, so not a shift.)
// Rerun of 2026-12-07, fifth session (commit fa465b2, T_shapes = shapes v2): every line above repeats to the printed
// digits except mid noise 64 (4.021 / 0.509 against 4.023 / 0.508); the shapes lines: shapes 6.839 / 0.317;
// shapes invert 4.535 / 0.466; shapes noise 8 4.533 / 0.467; shapes binarised 7.378 / 0.289; shapes grey 40/215
// 6.141 / 0.356. (A first draft of the generator, with pixel noise of std 0.03 and random grey levels, measured 0.49;
// v1, disk/square/triangle/cross/ring black on white, 0.345 with the similarity command, and was dropped as too easy.)

/**
 * @module A synthetic routing task on which per-example routing must help and the right routing is known: can
 * AdaFilter's gate learn it? (docs/results/adafilter.md, "Can the gate learn a routing?")
 *
 * Data: x [N, 2, 4, 4]; channel 0 = p + noise, p uniform on [-1, -0.1] U [0.1, 1]; channel 1 = m + noise, m = +1
 * for population A and -1 for population B (half each). Labels: A: 1[p > 0]; B: 1[p < 0].
 * Model ("pre-trained"): ONE bias-free 1x1 convolution filter S = (1, 0) (it reads p) -> global average pool ->
 * Linear(1, 2) (no nonlinearity: a ReLU lets F die on B) set to predict 1 when the pooled feature h > 0.05. It is right on A and wrong on B (50 %).
 * Why routing must help: with one filter bank (any F) the decision is 1[c * h > t] with h = a p + b m (up to
 * noise), a half-plane in (p, m); the labels are an XOR of sign(p) and m, so any single bank is
 * right on at most about 75 % of examples. Routing A -> S and B -> F with F = -S is right on all of them, so the
 * right routing is g = 1 for B and g = 0 for A. The head is kept and frozen (headLrScale 0 unless overridden): a
 * trainable head can flip, and then the mirrored routing (B -> S, A -> F) solves the task too (agreement near 0). Noise keeps the classes separable (|p| >= 0.1).
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { Rng } from '../../core/rng.js';
import { Conv2d, AdaptiveAvgPool2d } from '../../core/nn/layers/conv.js';
import { Linear } from '../../core/nn/layers/linear.js';
import { FeatureModel, type Stage } from '../../models/base.js';
import { train, type BatchSource, type SourceState } from '../../train/index.js';
import { adafilterTrainConfig, type AdafilterConfig } from './config.js';
import { createAdafilterTask, type AdafilterBatch } from './index.js';

/** The one-filter network of the routing task (see the module doc). */
export class RoutingNet extends FeatureModel {
  conv: Conv2d;
  readonly avgpool = new AdaptiveAvgPool2d([1, 1]);
  readonly featureDim = 1;
  readonly #stages: Stage[];

  /** The "pre-trained" network: S = (1, 0), head predicting 1 when the pooled feature exceeds 0.05. */
  constructor() {
    super();
    this.conv = this.registerModule('conv', new Conv2d(2, 1, 1, { bias: false }));
    this.registerModule('avgpool', this.avgpool);
    const head = this.setHead(new Linear(1, 2)) as Linear;
    torch.noGrad(() => {
      this.conv.weight.copy_(torch.tensor([1, 0]).reshape([1, 2, 1, 1]));
      head.weight.copy_(torch.tensor([-5, 5]).reshape([2, 1]));
      head.bias!.copy_(torch.tensor([0.25, -0.25]));
    });
    this.#stages = [
      { name: 'block', modules: ['conv'], run: (x) => this.conv.call(x) },
      { name: 'pool', modules: ['avgpool'], run: (x) => this.avgpool.call(x).flatten(1) },
      { name: 'logits', modules: [this.headName], run: (x) => this.runHead(x) },
    ];
  }
  protected stages(): Stage[] { return this.#stages; }
}

/** A split of the routing task: inputs, labels and population (1 = B, the one that needs the changed filter). */
export interface RoutingSplit { x: Tensor; y: Tensor; isB: Tensor; n: number }

/** n examples of the routing task drawn with `seed` (half A, half B; see the module doc). The caller owns the tensors. */
export function routingSplit(n: number, seed: number, noise = 0.1): RoutingSplit {
  const r = new Rng(seed);
  const x = new Float32Array(n * 32);
  const y = new BigInt64Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const isB = i % 2 === 1;
    const p = (r.float() < 0.5 ? -1 : 1) * r.uniform(0.1, 1);
    const m = isB ? -1 : 1;
    for (let k = 0; k < 16; k++) { x[i * 32 + k] = p + noise * r.normal(); x[i * 32 + 16 + k] = m + noise * r.normal(); }
    y[i] = BigInt(isB ? Number(p < 0) : Number(p > 0));
    b[i] = isB ? 1 : 0;
  }
  return { x: torch.tensor(x).reshape([n, 2, 4, 4]), y: torch.tensor(y), isB: torch.tensor(b), n };
}

/** Shuffled mini-batches of a split (a new permutation per epoch from (seed, epoch)). */
class SplitSource implements BatchSource<AdafilterBatch> {
  #st: SourceState;
  readonly numBatches: number;
  constructor(readonly s: RoutingSplit, readonly batchSize: number, seed: number) {
    this.numBatches = Math.floor(s.n / batchSize);
    this.#st = { epoch: 0, index: 0, seed };
  }
  state(): SourceState { return { ...this.#st }; }
  load(st: SourceState): void { this.#st = { ...st }; }
  async *[Symbol.asyncIterator](): AsyncIterator<AdafilterBatch> {
    const perm = new Rng(this.#st.seed * 1000 + this.#st.epoch).permutation(this.s.n);
    while (this.#st.index < this.numBatches) {
      const idx = torch.tensor(BigInt64Array.from(perm.slice(this.#st.index * this.batchSize, (this.#st.index + 1) * this.batchSize), BigInt));
      const batch = { x: this.s.x.indexSelect(0, idx), y: this.s.y.indexSelect(0, idx) };
      idx.dispose();
      this.#st.index++;
      yield batch;
    }
    this.#st = { ...this.#st, epoch: this.#st.epoch + 1, index: 0 };
  }
}

/** How the routing run routes: the gate network ('gate'), the known routing ('oracle'), or every filter fine-tuned ('all-ft'). */
export type RoutingRoute = 'gate' | 'oracle' | 'all-ft';

/** Options of runRouting. */
export interface RoutingOptions {
  seed: number;
  runDir: string;
  steps?: number;
  batchSize?: number;
  trainSize?: number;
  route?: RoutingRoute;
  /** AdaFilter options (lr 0.05, gateLrScale, gateWarmupSteps, ...; headLrScale 0 unless set); head 'keep' and 2 classes are fixed. */
  method?: Partial<AdafilterConfig>;
}

/** What runRouting reports, on a held-out split of 2,000 examples. */
export interface RoutingResult {
  accuracy: number; accuracyA: number; accuracyB: number;
  /** Fraction of held-out examples the gate routes the known way (B -> F, A -> S); near 0 would be the mirrored routing. */
  agreement: number;
  /** Fraction of A and of B examples routed to F. */
  ftA: number; ftB: number;
  /** ||F - S|| / ||S|| at the end. */
  ftDist: number;
}

/** Trains AdaFilter on the routing task (SGD, cosine per step) and measures accuracy and routing on held-out data. */
export async function runRouting(o: RoutingOptions): Promise<RoutingResult> {
  const tr = routingSplit(o.trainSize ?? 512, 2 * o.seed + 1);
  const te = routingSplit(2000, 2 * o.seed + 2);
  torch.manualSeed(o.seed);
  const model = new RoutingNet();
  const cfg = adafilterTrainConfig({ head: 'keep', numClasses: 2, lr: 0.05, headLrScale: 0, ...o.method }, {
    seed: o.seed, maxSteps: o.steps ?? 400, scheduler: { name: 'cosine', interval: 'step' }, log: { every: 10 },
    eval: { atEpochEnd: false }, checkpoint: { atEpochEnd: false, every: 0 },
  });
  const task = createAdafilterTask(model, cfg.method);
  const route = o.route ?? 'gate';
  let cur: Tensor | null = null; // population of the current batch, for the oracle
  if (route === 'all-ft') task.gates.force = 1;
  if (route === 'oracle') {
    task.gates.force = (_l, a) => cur!.reshape([-1, 1]).to(a.dtype).clone();
    const loss = task.loss.bind(task);
    task.loss = (b, ctx) => { cur = b.x.select(1, 1).mean([1, 2]).lt(0).to('float32'); return loss(b, ctx); };
  }
  try {
    await train(task, cfg, { data: new SplitSource(tr, o.batchSize ?? 64, o.seed), runDir: o.runDir, handleSignals: false });
    return torch.tidy(() => torch.noGrad(() => {
      model.eval();
      let g: Tensor | null = null;
      cur = te.isB;
      task.gates.onGate = (_l, gg) => { g = gg.reshape([-1]); };
      const pred = model.call(te.x).argmax(1);
      task.gates.onGate = null;
      const ok = pred.eq(te.y).to('float32');
      const mean = (t: Tensor, w: Tensor): number => Number(t.mul(w).sum().item()) / Number(w.sum().item());
      const isA = te.isB.rsub(1);
      const gate = g! as Tensor;
      const known = gate.eq(te.isB).to('float32');
      return {
        accuracy: Number(ok.mean().item()), accuracyA: mean(ok, isA), accuracyB: mean(ok, te.isB),
        agreement: Number(known.mean().item()),
        ftA: mean(gate, isA), ftB: mean(gate, te.isB), ftDist: task.filterDistance().overall,
      };
    }));
  } finally {
    task.dispose(); model.dispose(); torch.dispose([tr.x, tr.y, tr.isB, te.x, te.y, te.isB]);
  }
}

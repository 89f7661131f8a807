/**
 * @module adafilter: AdaFilter (Guo, Li, Wang, Rosing, AAAI 2020, arXiv 1911.09659), per-example adaptive
 * filter fine-tuning. Every gated convolution keeps its frozen pre-trained filters S and a trainable copy F;
 * a gate network (globally pooled previous activations -> per-layer projection -> ONE recurrent cell shared
 * by all gated layers -> per-layer head + sigmoid) decides, per example and per output filter, which one
 * produces the channel; gated BN normalises the two kinds of channels separately. See README.md for the
 * equations, shapes and which details are reconstructions. Entry: createAdafilterTask(model, config, data).
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { crossEntropy } from '../../core/nn/losses.js';
import type { FeatureModel } from '../../models/index.js';
import { classificationMetrics, evaluateClassifier, gradNorm, type AnyLabelledBatches, type ClassificationMetrics, type EvaluateOptions, type LossOutput, type ParamGroupSpec, type StepContext, type Task } from '../../train/index.js';
import { validateAdafilterConfig, type AdafilterConfig } from './config.js';
import type { GateForce, GateNetwork } from './gate.js';
import type { GatedConv } from './gated.js';
import { GateStats, type GateSummary } from './stats.js';
import { wrapModel } from './wrap.js';
import { AdafilterEvalModule } from './eval-module.js';

export { defaultAdafilterConfig, validateAdafilterConfig, adafilterTrainConfig, type AdafilterConfig, type GateKind } from './config.js';
export { GateNetwork, binarize, straightThrough, type GateSpec, type GateForce } from './gate.js';
export { GatedConv, maskedBatchNorm, copyConv, copyBn, type GatedConvOptions } from './gated.js';
export { wrapModel, replaceChild, stagesOf, type Wrapped } from './wrap.js';
export { GateStats, type GateSummary } from './stats.js';

/** A training batch: images and labels. */
export interface AdafilterBatch { x: Tensor; y: Tensor }

/** Labelled batches for evaluation (a DataLoader fits); the caller of batchAt owns the tensors. */
export interface LabelledSource {
  readonly numBatches: number;
  batchAt(epoch: number, i: number): { x: Tensor; y: Tensor };
}

/** Data the task needs besides the training stream. */
export interface AdafilterData {
  /** Held-out data for evaluate() (accuracy, cross entropy and the gate statistics). */
  eval?: LabelledSource;
}

/**
 * The route during the gate warm-up: every filter fine-tuned (g = 1 exactly in the forward pass), with the
 * gradient of sigmoid(a) (straight-through), so that the gate's gradient is still computed and logged; the gate
 * is not stepped (beforeStep drops its gradients).
 */
const WARM_FORCE: GateForce = (_l, a) => { const p = torch.sigmoid(a); return p.sub(p.detach()).add(1); };

/** ||F - S|| / ||S|| of the fine-tuned convolution weights against the pre-trained ones: over all gated layers and per layer. */
export interface FilterDistance { overall: number; perLayer: number[] }

/** The AdaFilter Task (see the module doc). Wraps `model` in place on construction. */
export class AdafilterTask implements Task<AdafilterBatch> {
  readonly name = 'adafilter';
  readonly config: AdafilterConfig;
  readonly layers: GatedConv[];
  /** Dotted paths of the gated convolutions in the original model (forward order). */
  readonly paths: string[];
  readonly gates: GateNetwork;
  readonly filters: Tensor[];
  readonly head: Tensor[];
  /** Whether the last evaluate() ran in graph mode (false: eagerly, e.g. with a gate override). */
  lastEvalGraph = false;
  /** The gate statistics of the last evaluate() (null before). */
  lastGateSummary: GateSummary | null = null;

  constructor(readonly model: FeatureModel, config: Partial<AdafilterConfig> | Record<string, unknown> = {}, readonly data: AdafilterData = {}) {
    const c = (this.config = validateAdafilterConfig(config));
    const k = c.numClasses ?? model.numClasses;
    if (c.head === 'reinit') model.resetClassifier(k);
    else if (k !== model.numClasses) throw new ConfigError(`adafilter config field 'method.numClasses' (${k}) differs from the kept head's ${model.numClasses} outputs; use head 'reinit'`);
    model.requiresGrad_(c.ungated === 'train');
    const w = wrapModel(model, c);
    this.layers = w.layers;
    this.paths = w.paths;
    this.gates = w.gates;
    for (const l of this.layers) {
      l.frozen.requiresGrad_(false);
      l.tuned.requiresGrad_(true);
      l.bnTuned?.requiresGrad_(true);
      l.bnFrozen?.requiresGrad_(c.frozenBnAffine === 'trainable');
      l.bn?.requiresGrad_(true);
    }
    this.gates.requiresGrad_(true);
    model.getClassifier().requiresGrad_(true);
    const gateSet = new Set(this.gates.parameters());
    const headSet = new Set(model.getClassifier().parameters());
    this.head = [...headSet];
    this.filters = model.parameters().filter((p) => p.requiresGrad && !gateSet.has(p) && !headSet.has(p));
  }

  /** filters (lr scale 1, weightDecay), gate network (gateLrScale, gateWeightDecay), head (headLrScale, weightDecay). */
  paramGroups(): ParamGroupSpec[] {
    const c = this.config;
    return [
      { name: 'filters', params: this.filters, lrScale: 1, weightDecay: c.weightDecay },
      { name: 'gate', params: this.gates.parameters(), lrScale: c.gateLrScale, weightDecay: c.gateWeightDecay },
      { name: 'head', params: this.head, lrScale: c.headLrScale, weightDecay: c.weightDecay },
    ].filter((g) => g.params.length > 0);
  }

  /** True while the gate warm-up lasts: for the step after `step` optimizer steps (undefined: after training, false). */
  inWarmup(step: number | undefined): boolean { return step !== undefined && step < this.config.gateWarmupSteps; }

  /** Sets the warm-up route (every filter fine-tuned) or clears it; a force set by the caller (tests, ablations) is left alone. */
  #route(step: number | undefined): void {
    if (this.inWarmup(step)) this.gates.force = WARM_FORCE;
    else if (this.gates.force === WARM_FORCE) this.gates.force = null;
  }

  /** The relative distance of the fine-tuned filters F from the pre-trained S (convolution weights; BN^F not counted). */
  filterDistance(): FilterDistance {
    return torch.noGrad(() => torch.tidy(() => {
      const d = this.layers.map((l) => l.tuned.weight.sub(l.frozen.weight).pow(2).sum());
      const s = this.layers.map((l) => l.frozen.weight.pow(2).sum());
      const v = torch.stack([...d, ...s]).to('float64').data() as Float64Array;
      const n = this.layers.length;
      let dd = 0, ss = 0;
      for (let i = 0; i < n; i++) { dd += v[i]!; ss += v[n + i]!; }
      return { overall: Math.sqrt(dd / ss), perLayer: this.layers.map((_, i) => Math.sqrt(v[i]! / v[n + i]!)) };
    }));
  }

  /**
   * Cross entropy + usagePenalty * mean(g); parts: ce, gate_mean, usage (when rho > 0), ft/<layer path> (fraction
   * fine-tuned in this batch), ft_dist and ft_dist/<layer path> (filterDistance() when the batch ran, i.e. before this
   * step's update). During the gate warm-up (ctx.step < gateWarmupSteps) every filter is fine-tuned.
   */
  loss(batch: AdafilterBatch, ctx?: StepContext): LossOutput {
    this.#route(ctx?.step);
    const gs: Tensor[] = [];
    this.gates.onGate = (_l, g) => { gs.push(g); };
    let out: Tensor;
    try { out = this.model.call(batch.x); } finally { this.gates.onGate = null; }
    const ce = crossEntropy(out, batch.y);
    const total = this.layers.reduce((a, l) => a + l.outChannels, 0);
    const meanG = torch.cat(gs.map((g) => g.sum(1))).sum().div(total * batch.x.size(0));
    const perLayer = torch.stack(gs.map((g) => g.detach().mean())).data() as Float32Array;
    const parts: Record<string, Tensor | number> = { ce, gate_mean: meanG.detach() };
    this.paths.forEach((p, i) => { parts[`ft/${p}`] = perLayer[i]!; });
    const dist = this.filterDistance();
    parts['ft_dist'] = dist.overall;
    this.paths.forEach((p, i) => { parts[`ft_dist/${p}`] = dist.perLayer[i]!; });
    const rho = this.config.usagePenalty;
    if (rho > 0) parts['usage'] = meanG.mul(rho);
    return { loss: rho > 0 ? ce.add(parts['usage'] as Tensor) : ce, output: out, parts };
  }

  /**
   * The gate's gradient norm (logged as gate_grad_norm with the step); during the warm-up it then drops the
   * gate's gradients, so the optimizer neither steps nor decays the gate.
   */
  beforeStep(ctx: StepContext): Record<string, number> {
    const params = this.gates.parameters();
    const n = gradNorm(params);
    if (this.inWarmup(ctx.step)) torch.noGrad(() => { for (const p of params) p.grad = null; });
    return { gate_grad_norm: n };
  }

  /**
   * Accuracy and mean cross entropy over data.eval, plus the gate statistics: ft_fraction, gate_entropy,
   * ft/<layer path> and ft_class/<k>. {} when no eval data was given. The full summary is kept in lastGateSummary.
   * Routes as the next training step would (the warm-up route while ctx.step < gateWarmupSteps; without ctx, the gate).
   */
  evaluate(ctx?: StepContext): Record<string, number> {
    const src = this.data.eval;
    if (!src) return {};
    this.#route(ctx?.step);
    const { stats, opts } = this.#gateFeed();
    const r = evaluateClassifier(this.evalModule, src, undefined, opts);
    this.lastEvalGraph = r.graph;
    const s = (this.lastGateSummary = stats.summary());
    const out: Record<string, number> = { accuracy: r.accuracy, loss: r.loss, ft_fraction: s.fraction, gate_entropy: s.entropy };
    this.paths.forEach((p, i) => { out[`ft/${p}`] = s.perLayer[i]!; });
    s.perClass.forEach((v, k) => { if (v !== null) out[`ft_class/${k}`] = v; });
    return out;
  }

  /**
   * One pass over a labelled split (graph mode unless a gate override is set): its classification metrics and the
   * gate statistics, which also become lastGateSummary.
   */
  async evaluateSplit(src: AnyLabelledBatches): Promise<{ metrics: ClassificationMetrics; gates: GateSummary }> {
    const { stats, opts } = this.#gateFeed();
    const metrics = await classificationMetrics(this.evalModule, src, this.model.numClasses, opts);
    const gates = (this.lastGateSummary = stats.summary());
    return { metrics, gates };
  }

  /**
   * Fresh gate statistics and the evaluation options that feed them: in graph mode the gates are outputs of the
   * traced evalModule (onExtras), each batch closed by its labels (onBatch); a gate override (gates.force: tests,
   * ablations, the warm-up route) runs eagerly.
   */
  #gateFeed(): { stats: GateStats; opts: EvaluateOptions & { onBatch: (y: Tensor) => void } } {
    const stats = new GateStats(this.layers.map((l) => l.outChannels), this.model.numClasses);
    return {
      stats,
      opts: { graph: this.gates.force === null, onExtras: (gs) => gs.forEach((g, l) => stats.addLayer(l, g)), onBatch: (y) => stats.endBatch(y.data() as BigInt64Array) },
    };
  }

  #evalModule: AdafilterEvalModule | null = null;
  /** The model and the gates as one module whose forward returns [logits, ...gates] (evaluation in graph mode). */
  get evalModule(): AdafilterEvalModule { return (this.#evalModule ??= new AdafilterEvalModule(this.model, this.gates)); }

  /** Nothing of its own to free: every tensor lives in the model (the caller's). */
  dispose(): void { this.gates.onGate = null; this.gates.force = null; }
}

/** Builds the AdaFilter Task: validates the config, resets the head, wraps the model's convolutions (in place). */
export function createAdafilterTask(model: FeatureModel, config: Partial<AdafilterConfig> | Record<string, unknown> = {}, data: AdafilterData = {}): AdafilterTask {
  return new AdafilterTask(model, config, data);
}

export { runAdafilter, adafilterConfig, adafilterRun, resolveAdafilter, ADAFILTER_DEFAULTS, type AdafilterOptions, type AdafilterReport, type GateReport } from './run.js';

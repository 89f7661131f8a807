/**
 * @module Fine-tuning a representation for Gaussian AD (Rippel, Chavan, Lei, Merhof 2021) as an engine Task
 * [R: no official code; the loop follows spec 2(b)]: the Gaussian of each stage is fitted to the normal training
 * images at the start and refitted every `refitEvery` epochs (model in eval mode, no gradients); each step
 * minimises the mean over the batch of the detector's combined score of normal images under that Gaussian
 * (default: mean_l d_l, the non-squared Mahalanobis distances; combine 'sum': sum_l d_l^2; 'euclidean': squared
 * distance to the mean); BatchNorm stays in eval mode by default. The
 * forgetting-aware validation scores held-out normal images and one synthetic anomaly made from each
 * (augment.ts) under the refitted Gaussian; its AUROC ('val_auroc') drives early stopping, and the task keeps
 * the weights of the best epoch (epoch 0 = the pre-trained model included) for restoreBest().
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { BatchNorm1d, BatchNorm2d } from '../../core/nn/layers/norm.js';
import type { AnyModule } from '../../core/nn/module.js';
import { Rng } from '../../data/rng.js';
import type { FeatureModel } from '../../models/index.js';
import type { LossOutput, ParamGroupSpec, StepContext, Task, TaskState } from '../../train/index.js';
import { GaussianAD } from './detector.js';
import { makeAnomalous } from './augment.js';
import { auroc } from './stats.js';
import { validateAnomalyFinetuneConfig, type AnomalyFinetuneConfig } from './config.js';

/** A synchronous batch source (a DataLoader fits): x float [B, C, H, W], y 0/1 where labelled. */
export interface SyncSource { readonly numBatches: number; batchAt(epoch: number, i: number): { x: Tensor; y?: Tensor | null } }
/** Data of the task: normal training images for fitting (no augmentation), held-out normal images, optional labelled test. */
export interface AnomalyFinetuneData { fit: SyncSource; val: SyncSource; test?: SyncSource }
/** One row of the history: epoch 0 is the pre-trained model. */
export interface EpochRecord { epoch: number; valAuroc: number; testAuroc: number | null }

const isBn = (m: AnyModule): boolean => m instanceof BatchNorm1d || m instanceof BatchNorm2d;

/** All x (and y) of a source concatenated; the caller owns the tensors. */
export function collect(src: SyncSource): { x: Tensor; y: Tensor | null } {
  const xs: Tensor[] = [];
  const ys: Tensor[] = [];
  for (let i = 0; i < src.numBatches; i++) {
    const { x, y, ...rest } = src.batchAt(0, i);
    xs.push(x);
    if (y) ys.push(y);
    torch.dispose(rest);
  }
  const out = torch.tidy(() => ({ x: torch.cat(xs, 0), y: ys.length === xs.length ? torch.cat(ys, 0) : null }));
  torch.dispose(xs, ys);
  return out;
}

/** The Task; see the module doc. */
export class AnomalyFinetuneTask implements Task<{ x: Tensor }> {
  readonly name = 'anomaly-finetune';
  readonly config: AnomalyFinetuneConfig;
  /** The detector (validation and test scores); `lossAd` is the objective's Gaussian (the same one for 'mahalanobis'). */
  readonly ad: GaussianAD;
  readonly lossAd: GaussianAD;
  readonly history: EpochRecord[] = [];
  readonly frozenBn: AnyModule[];
  #trainable: Tensor[];
  #val: { x: Tensor; y: Int32Array };
  #best: { epoch: number; valAuroc: number; weights: Map<string, Tensor> } | null = null;

  constructor(readonly model: FeatureModel, config: Partial<AnomalyFinetuneConfig> | Record<string, unknown>, readonly data: AnomalyFinetuneData) {
    const c = (this.config = validateAnomalyFinetuneConfig(config));
    const opts = { covariance: c.covariance, eps: c.eps, projection: c.projection, varianceThreshold: c.varianceThreshold, combine: c.combine, ...(c.stages ? { stages: c.stages } : {}) };
    this.ad = new GaussianAD(model, opts);
    this.lossAd = c.objective === 'euclidean' ? new GaussianAD(model, { ...opts, covariance: 'identity', projection: 'none', combine: 'sum' }) : this.ad;
    model.requiresGrad_(true);
    model.getClassifier().requiresGrad_(false);
    this.frozenBn = c.bn === 'frozen' ? model.modules().filter(isBn) : [];
    this.#trainable = model.parameters().filter((p) => p.requiresGrad);
    const normal = collect(data.val);
    if (normal.x.size(0) < 2) throw new RangeError(`AnomalyFinetuneTask: the validation source needs at least 2 normal images, got ${normal.x.size(0)}`);
    const anomalous = makeAnomalous(normal.x, c.augmentations, Rng.derive(c.validationSeed, 'anomaly-validation'));
    const n = normal.x.size(0);
    this.#val = { x: torch.keep(torch.tidy(() => torch.cat([normal.x, anomalous.x], 0))), y: Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? 0 : 1)) };
    torch.dispose(normal.x, normal.y, anomalous.x);
    this.refit();
    this.#record(0);
  }

  /** Keeps frozen BatchNorm layers in eval mode whatever the engine asks. */
  setTrainMode(training: boolean): void {
    this.model.train(training);
    for (const m of this.frozenBn) m.training = false;
  }

  /** Refits the Gaussians on data.fit under the current weights (eval mode, no grad), restoring the mode. */
  refit(): void {
    const was = this.model.training;
    this.model.eval();
    try {
      const feats = new Map<string, Tensor[]>();
      torch.noGrad(() => {
        for (let i = 0; i < this.data.fit.numBatches; i++) {
          const b = this.data.fit.batchAt(0, i);
          try {
            const f = torch.tidy(() => this.ad.features(b.x));
            for (const [k, v] of f) { if (!feats.has(k)) feats.set(k, []); feats.get(k)!.push(v); }
          } finally { torch.dispose(b); }
        }
      });
      const all = torch.tidy(() => new Map([...feats].map(([k, v]) => [k, torch.cat(v, 0)])));
      try {
        this.ad.fitFeatures(all);
        if (this.lossAd !== this.ad) this.lossAd.fitFeatures(all);
      } finally { torch.dispose([...all.values()], [...feats.values()].flat()); }
    } finally { this.setTrainMode(was); }
  }

  paramGroups(): ParamGroupSpec[] { return [{ name: 'backbone', params: this.#trainable }]; }

  /** Mean over the batch of the combined score (see `combine`); parts: each stage's mean d^2. */
  loss(batch: { x: Tensor }): LossOutput {
    const scores = this.lossAd.scoreFeatures(this.lossAd.features(batch.x));
    const parts: Record<string, Tensor> = {};
    for (const [s, d] of scores.stages) parts[`d2_${s}`] = d.mean();
    return { loss: scores.combined.mean().to('float32'), parts };
  }

  onEpochEnd(ctx: StepContext): void {
    if ((ctx.epoch + 1) % this.config.refitEvery === 0) this.refit();
  }

  /** Combined scores of images x, in chunks (eval mode, no grad). */
  scoreImages(x: Tensor): Float64Array {
    const out: number[] = [];
    for (let i = 0; i < x.size(0); i += 256) {
      torch.tidy(() => { out.push(...(this.ad.score(x.narrow(0, i, Math.min(256, x.size(0) - i))).combined.data() as Float64Array)); });
    }
    return Float64Array.from(out);
  }

  /** Validation AUROC (normal vs synthetic anomalies) under the current Gaussian. */
  validationAuroc(): number { return auroc(this.scoreImages(this.#val.x), this.#val.y); }

  /** Image AUROC on a labelled source (y: 0 normal, 1 anomalous) under the current Gaussian. */
  testAuroc(src: SyncSource): number {
    const { x, y } = collect(src);
    try {
      if (!y) throw new RangeError('testAuroc: the source has no labels');
      return auroc(this.scoreImages(x), Int32Array.from(y.data() as ArrayLike<number | bigint>, Number));
    } finally { torch.dispose(x, y); }
  }

  #record(epoch: number): EpochRecord {
    const r: EpochRecord = { epoch, valAuroc: this.validationAuroc(), testAuroc: this.data.test ? this.testAuroc(this.data.test) : null };
    this.history.push(r);
    if (!this.#best || r.valAuroc > this.#best.valAuroc) {
      const weights = torch.noGrad(() => new Map(this.model.namedParameters().concat(this.model.namedBuffers()).map(([k, t]) => [k, torch.keep(t.detach().clone())])));
      if (this.#best) torch.dispose([...this.#best.weights.values()]);
      this.#best = { epoch, valAuroc: r.valAuroc, weights };
    }
    return r;
  }

  /** val_auroc (and test_auroc when data.test is given, for reporting only) after the epoch's refit. */
  evaluate(ctx: StepContext): Record<string, number> {
    const r = this.#record(ctx.epoch);
    return { val_auroc: r.valAuroc, ...(r.testAuroc !== null ? { test_auroc: r.testAuroc } : {}), best_epoch: this.#best!.epoch };
  }

  /** The epoch whose weights restoreBest() loads, and its validation AUROC. */
  get best(): { epoch: number; valAuroc: number } { return { epoch: this.#best!.epoch, valAuroc: this.#best!.valAuroc }; }

  /** Loads the best epoch's weights into the model and refits the Gaussians. */
  restoreBest(): void {
    const w = this.#best!.weights;
    torch.noGrad(() => { for (const [k, t] of this.model.namedParameters().concat(this.model.namedBuffers())) t.copy_(w.get(k)!); });
    this.refit();
  }

  /** The best weights and the history, so that a resumed run keeps selecting over all epochs. */
  stateDict(): TaskState {
    return { tensors: new Map([...this.#best!.weights].map(([k, t]) => [`best.${k}`, t])), json: { bestEpoch: this.#best!.epoch, bestValAuroc: this.#best!.valAuroc, history: this.history } };
  }
  loadStateDict(state: TaskState): void {
    const j = state.json as { bestEpoch: number; bestValAuroc: number; history: EpochRecord[] };
    torch.noGrad(() => { for (const [k, t] of this.#best!.weights) t.copy_(state.tensors.get(`best.${k}`)!); });
    this.#best!.epoch = j.bestEpoch;
    this.#best!.valAuroc = j.bestValAuroc;
    this.history.splice(0, this.history.length, ...j.history);
    this.refit();
  }

  dispose(): void {
    if (this.#best) torch.dispose([...this.#best.weights.values()]);
    this.#val.x.dispose();
    this.ad.dispose();
    if (this.lossAd !== this.ad) this.lossAd.dispose();
  }
}

/** Builds the task (validates the config, fits the Gaussian, builds the validation set, records epoch 0). */
export function createAnomalyFinetuneTask(model: FeatureModel, config: Partial<AnomalyFinetuneConfig> | Record<string, unknown>, data: AnomalyFinetuneData): AnomalyFinetuneTask {
  return new AnomalyFinetuneTask(model, config, data);
}

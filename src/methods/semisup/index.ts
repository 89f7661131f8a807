/**
 * @module semisup: semi-supervised transfer learning with Adaptive Knowledge Consistency (AKC) and Adaptive
 * Representation Consistency (ARC) (Abuduweili, Li, Shi, Xu, Dou, CVPR 2021), after the official code
 * SHI-Labs/Semi-Supervised-Transfer-Learning, and the SSL baselines as peers: supervised, Pseudo Label,
 * Mean Teacher, FixMatch, MixMatch and ICT (the official "MixMatch"), each combinable with AKC and ARC.
 * Entry: createSemisupTask(model, config, data); batches come from SemisupSource.
 *
 * Per step t (1-based): L = CE(labelled) + coef(t) L_ssl + lambda_ARC(t) L_ARC + lambda_AKC(t) L_AKC, every
 * weight with a linear warm-up. The labelled, weak and (where used) second views go through the model in one
 * forward (as the official code, so BatchNorm sees them together); AKC compares its pooled features of the
 * labelled + weak unlabelled images with those of the frozen source model (eval mode, source head for the gate).
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { BatchNorm1d, BatchNorm2d } from '../../core/nn/layers/norm.js';
import { crossEntropy } from '../../core/nn/losses.js';
import { FeatureExtractor, type FeatureModel } from '../../models/index.js';
import type { LossOutput, ParamGroupSpec, StepContext, Task, TaskState } from '../../train/index.js';
import { validateSemisupConfig, linearWarmup, type ResolvedSemisupConfig, type SemisupConfig } from './config.js';
import { EmaModel, emaDecayAt } from './ema.js';
import { akcLoss, entropyGate, mmd2 } from './losses.js';
import { ictLoss, meanTeacherLoss, mixmatchLoss, pseudoLabelLoss, type SslTerm } from './algorithms.js';
import { FeatureTable } from './table.js';
import type { SemisupBatch } from './source.js';

export * from './config.js';
export { entropy, entropyGate, akcLoss, gaussianKernel, mmd2, maskedCrossEntropy, softCrossEntropy, softmaxMse, sharpen, pseudoLabels } from './losses.js';
export { pseudoLabelLoss, meanTeacherLoss, ictLoss, mixmatchLoss, withBatchStatsOnly, type SslTerm } from './algorithms.js';
export { EmaModel, emaDecayAt } from './ema.js';
export { FeatureTable } from './table.js';
export { SemisupSource, type SemisupBatch, type SemisupSourceOptions } from './source.js';
export { weakAugment, strongAugment, type ViewConfig } from './views.js';
export { pooledFeatures, evaluateAccuracy, type LabelledBatches } from './evaluate.js';
import { pooledFeatures, evaluateAccuracy, type LabelledBatches } from './evaluate.js';

/** What the task needs besides the batches. */
export interface SemisupData {
  /** The labelled set without augmentation (head imprinting). */
  labelled?: LabelledBatches;
  /** Held-out data for evaluate(). */
  eval?: LabelledBatches;
  /** The frozen source model with its source head (AKC). */
  source?: FeatureModel;
  /** A fresh model of the same architecture (the EMA copy; its weights are overwritten). */
  makeModel?: () => FeatureModel;
}

const isBn = (m: unknown): boolean => m instanceof BatchNorm1d || m instanceof BatchNorm2d;

/** Extra unlabelled views each algorithm needs besides the weak one (mixmatch: K - 1). */
export function extraViews(c: Pick<SemisupConfig, 'algorithm' | 'mixmatchK'>): { count: number; strong: boolean } {
  switch (c.algorithm) {
    case 'fixmatch': return { count: 1, strong: true };
    case 'pseudo-label': case 'mean-teacher': return { count: 1, strong: false };
    case 'mixmatch': return { count: c.mixmatchK - 1, strong: false };
    default: return { count: 0, strong: false };
  }
}

/** Whether a run reads unlabelled data at all. */
export function usesUnlabelled(c: Pick<SemisupConfig, 'algorithm' | 'akc' | 'arc'>): boolean {
  return c.algorithm !== 'supervised' || c.akc || c.arc;
}

/** The semi-supervised transfer task; see the module doc and README.md. */
export class SemisupTask implements Task<SemisupBatch> {
  readonly name = 'semisup';
  readonly config: ResolvedSemisupConfig;
  readonly numClasses: number;
  readonly ema: EmaModel | null = null;
  readonly source: FeatureModel | null = null;
  /** The source model's pool and logits taps, in graph mode (it is frozen and in eval mode; FeatureExtractor). */
  readonly #sourceTaps: FeatureExtractor | null = null;
  readonly tableL: FeatureTable;
  readonly tableU: FeatureTable;

  constructor(readonly model: FeatureModel, config: Partial<SemisupConfig> | Record<string, unknown> = {}, readonly data: SemisupData = {}) {
    const c = (this.config = validateSemisupConfig(config));
    this.numClasses = c.numClasses ?? model.numClasses;
    if (c.imprint) {
      if (!data.labelled) throw new ConfigError(`semisup config field 'method.imprint' is true but no labelled data was given (createSemisupTask(model, config, { labelled }))`);
      const { features, labels } = pooledFeatures(model, data.labelled);
      // inside tidy: imprintClassifier leaves two scalar temporaries (labels.max()/min()) to the caller's scope
      try { torch.tidy(() => { model.imprintClassifier(features, labels, { numClasses: this.numClasses, normalizeFeatures: false }); }); } finally { torch.dispose(features, labels); }
    } else if (model.numClasses !== this.numClasses) torch.noGrad(() => model.resetClassifier(this.numClasses));
    model.requiresGrad_(true);
    if (c.akc) {
      if (!data.source) throw new ConfigError(`semisup config field 'method.akc' is true but no source model was given (createSemisupTask(model, config, { source }))`);
      this.source = data.source;
      this.source.requiresGrad_(false);
      this.source.eval();
      this.#sourceTaps = new FeatureExtractor(this.source, ['pool', 'logits']);
    }
    const teacher = c.algorithm === 'mean-teacher' || c.algorithm === 'ict';
    if (c.ema || teacher) {
      if (!data.makeModel) throw new ConfigError(`semisup: ${teacher ? `algorithm '${c.algorithm}' needs an EMA teacher` : `'method.ema' is true`} but no makeModel was given (createSemisupTask(model, config, { makeModel }))`);
      this.ema = new EmaModel(data.makeModel(), model);
    }
    this.tableL = new FeatureTable(c.tableSizeL);
    this.tableU = new FeatureTable(c.tableSizeU);
  }

  /** Whether the EMA copy is a training teacher (targets from it, buffers averaged): Mean Teacher and ICT. */
  get teacherTrains(): boolean { return this.config.algorithm === 'mean-teacher' || this.config.algorithm === 'ict'; }

  /** Two groups: weights with weight decay, BatchNorm parameters and biases without. */
  paramGroups(): ParamGroupSpec[] {
    const noDecay = new Set(this.model.modules().filter(isBn).flatMap((m) => m.parameters()));
    const named = this.model.namedParameters().filter(([, p]) => p.requiresGrad);
    const plain = named.filter(([n, p]) => !noDecay.has(p) && !n.endsWith('bias')).map((e) => e[1]);
    const rest = named.filter(([n, p]) => noDecay.has(p) || n.endsWith('bias')).map((e) => e[1]);
    return [{ name: 'decay', params: plain, weightDecay: this.config.weightDecay }, { name: 'no_decay', params: rest, weightDecay: 0 }];
  }

  /** The model (and the EMA teacher) in train or eval mode; the source model always in eval mode. */
  setTrainMode(training: boolean): void {
    if (training) { this.model.train(); this.ema?.copy.train(); } else { this.model.eval(); this.ema?.copy.eval(); }
    this.source?.eval();
  }

  loss(batch: SemisupBatch, ctx: StepContext): LossOutput {
    const c = this.config;
    const t = ctx.step + 1;
    const B = batch.xl.size(0);
    const [uw, ...more] = batch.u;
    if (usesUnlabelled(c) && !uw) throw new ConfigError(`semisup: algorithm '${c.algorithm}'${c.akc || c.arc ? ' with AKC/ARC' : ''} needs unlabelled batches (SemisupSource with an unlabelled set)`);
    const U = uw ? uw.size(0) : 0;
    const views = c.algorithm === 'mixmatch' ? (c.akc || c.arc ? [uw!] : []) : batch.u.slice(0, 1 + (extraViews(c).count > 0 ? 1 : 0));
    const plain = c.algorithm !== 'mixmatch' || c.akc || c.arc;
    const parts: Record<string, Tensor | number> = {};
    let feats: Tensor | null = null;
    let logits: Tensor | null = null;
    if (plain) {
      const out = this.model.forwardFeatures(views.length ? torch.cat([batch.xl, ...views], 0) : batch.xl, ['pool', 'logits']);
      [feats, logits] = [out.get('pool')!, out.get('logits')!];
    }
    let sup: Tensor;
    let ssl: SslTerm | null = null;
    if (c.algorithm === 'mixmatch') {
      const mm = mixmatchLoss(this.model, batch.xl, batch.yl, [uw!, ...more.slice(0, c.mixmatchK - 1)], this.numClasses, c.sharpenT, c.mixupAlpha, ctx.rng);
      sup = mm.lx;
      ssl = mm.lu;
    } else {
      sup = crossEntropy(logits!.narrow(0, 0, B), batch.yl);
      ssl = this.#ssl(batch, logits!, views, ctx);
    }
    let total = sup;
    parts['ce'] = sup;
    if (ssl) {
      const coef = linearWarmup(c.coef, c.warmupIter, t);
      total = total.add(ssl.loss.mul(coef));
      Object.assign(parts, { ssl: ssl.loss, ssl_mask: ssl.mask, coef });
    }
    if (c.arc) {
      const arc = this.#arc(feats!, logits!, B, U, ctx.step, parts);
      const lam = linearWarmup(c.lambdaArc, c.regWarmupIter, t);
      total = total.add(arc.mul(lam));
      Object.assign(parts, { arc, lambda_arc: lam });
    }
    if (c.akc) {
      const akc = this.#akc(batch.xl, uw!, feats!.narrow(0, 0, B + U), parts);
      const lam = linearWarmup(c.lambdaAkc, c.regWarmupIter, t);
      total = total.add(akc.mul(lam));
      Object.assign(parts, { akc, lambda_akc: lam });
    }
    return { loss: total, parts };
  }

  /** The SSL term of the one-forward algorithms (null for supervised). */
  #ssl(batch: SemisupBatch, logits: Tensor, views: Tensor[], ctx: StepContext): SslTerm | null {
    const c = this.config;
    const B = batch.xl.size(0);
    if (c.algorithm === 'supervised') return null;
    const U = views[0]!.size(0);
    const weak = logits.narrow(0, B, U);
    if (c.algorithm === 'pseudo-label' || c.algorithm === 'fixmatch') return pseudoLabelLoss(weak, logits.narrow(0, B + U, U), c.threshold);
    const teacher = torch.noGrad(() => this.ema!.copy.call(torch.cat([batch.xl, ...views], 0))).narrow(0, B, U);
    if (c.algorithm === 'mean-teacher') return meanTeacherLoss(logits.narrow(0, B + U, U), teacher);
    return ictLoss(this.model, views[0]!, teacher, c.mixupAlpha, ctx.rng);
  }

  /** ARC: gate both parts on the target's entropy, push the selected features into the FIFO tables, MMD^2 between them. */
  #arc(feats: Tensor, logits: Tensor, B: number, U: number, step: number, parts: Record<string, Tensor | number>): Tensor {
    const c = this.config;
    const mL = entropyGate(logits.narrow(0, 0, B), c.arcThreshold);
    const mU = entropyGate(logits.narrow(0, B, U), c.arcThreshold);
    const [nL, nU] = [Number(mL.sum().item()), Number(mU.sum().item())];
    Object.assign(parts, { gate_arc: nU / U, gate_arc_l: nL / B });
    if (nL === 0 || nU === 0) return torch.zeros([]);
    const sel = (f: Tensor, m: Tensor): Tensor => f.indexSelect(0, m.nonzero().flatten());
    const tl = this.tableL.push(sel(feats.narrow(0, 0, B), mL));
    const tu = this.tableU.push(sel(feats.narrow(0, B, U), mU));
    if (step > c.regWarmup && tl.size(0) > c.arcMinTable) return mmd2(tl, tu);
    return torch.zeros([]);
  }

  /** AKC: the frozen source model's pooled features and gate on labelled + weak unlabelled images. */
  #akc(xl: Tensor, uw: Tensor, target: Tensor, parts: Record<string, Tensor | number>): Tensor {
    const c = this.config;
    const src = torch.noGrad(() => this.#sourceTaps!.run(torch.cat([xl, uw], 0)));
    const mask = entropyGate(src.get('logits')!, c.akcThreshold);
    parts['gate_akc'] = Number(mask.mean().item());
    return akcLoss(target, src.get('pool')!, mask, c.akcScale);
  }

  afterStep(ctx: StepContext): void {
    this.ema?.update(this.model, emaDecayAt(this.config.emaDecay, ctx.step, this.config.emaWarmup), this.teacherTrains);
  }

  /** Accuracy and loss of the evaluated model (the EMA copy when config.ema), plus the raw model's accuracy with config.evalRaw. */
  evaluate(): Record<string, number> {
    const src = this.data.eval;
    if (!src) return {};
    const main = evaluateAccuracy(this.config.ema && this.ema ? this.ema.copy : this.model, src);
    if (!(this.config.ema && this.ema && this.config.evalRaw)) return main;
    return { ...main, rawAccuracy: evaluateAccuracy(this.model, src).accuracy };
  }

  /** The EMA copy and the FIFO tables, so that a resumed run continues from the same state. */
  stateDict(): TaskState {
    const tensors = new Map<string, Tensor>(this.ema ? this.ema.named().map(([n, t]) => [`ema.${n}`, t]) : []);
    if (this.tableL.rows) tensors.set('table.l', this.tableL.rows);
    if (this.tableU.rows) tensors.set('table.u', this.tableU.rows);
    return { tensors, json: { algorithm: this.config.algorithm, tableL: this.tableL.length, tableU: this.tableU.length } };
  }

  loadStateDict(state: TaskState): void {
    if (this.ema) {
      torch.noGrad(() => { for (const [n, t] of this.ema!.named()) {
        const s = state.tensors.get(`ema.${n}`);
        if (!s) throw new ConfigError(`semisup: the checkpoint has no EMA tensor 'ema.${n}'`);
        t.copy_(s);
      } });
    }
    this.tableL.load(state.tensors.get('table.l') ?? null);
    this.tableU.load(state.tensors.get('table.u') ?? null);
  }

  /** Frees the task's own tensors (EMA copy, tables, the source model's graphs); the model and the source model stay the caller's. */
  dispose(): void {
    this.#sourceTaps?.dispose();
    this.ema?.copy.dispose();
    this.tableL.dispose();
    this.tableU.dispose();
  }
}

/** Builds the task: validates the config, imprints the head (in place), freezes the source model, makes the EMA copy. */
export function createSemisupTask(model: FeatureModel, config: Partial<SemisupConfig> | Record<string, unknown> = {}, data: SemisupData = {}): SemisupTask {
  return new SemisupTask(model, config, data);
}
export { runSemisup, semisupConfig, SEMISUP_DEFAULTS, SEMISUP_DATA, LAST_EVALS, type SemisupOptions, type SemisupReport } from './run.js';

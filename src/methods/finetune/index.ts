/**
 * @module finetune: standard fine-tuning done right (Li et al., ICLR 2020, "Rethinking the Hyperparameters
 * for Fine-tuning"): full / linear-probe / partial / from-scratch strategies, discriminative lr for the head,
 * BatchNorm train or frozen, head re-init / imprint / keep, plain L2 or L2-SP, the effective learning rate
 * lr = elr * (1 - momentum), cross entropy with label smoothing, accuracy as the metric, and the EMD domain
 * similarity of Cui et al. 2018 (similarity.ts). Entry: createFinetuneTask(model, config, data).
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import type { AnyModule } from '../../core/nn/module.js';
import { BatchNorm1d, BatchNorm2d } from '../../core/nn/layers/norm.js';
import { crossEntropy } from '../../core/nn/losses.js';
import type { FeatureModel } from '../../models/index.js';
import { classificationMetrics, type AnyLabelledBatches, type LossOutput, type ParamGroupSpec, type StepContext, type Task, type TaskState } from '../../train/index.js';
import { validateFinetuneConfig, type FinetuneConfig, type ResolvedFinetuneConfig } from './config.js';
import { l2Penalty, l2spPenalty } from './losses.js';
import { pooledFeatures, type LabelledSource } from './similarity.js';

export { defaultFinetuneConfig, validateFinetuneConfig, finetuneTrainConfig, type FinetuneConfig, type ResolvedFinetuneConfig, type Strategy } from './config.js';
export { l2spPenalty, l2Penalty, squaredDistance } from './losses.js';
export { emd, euclideanDistances, type EmdResult } from './emd.js';
export { domainSimilarity, similarityFromStats, classStats, classSpread, autoGamma, pooledFeatures, type Gamma, type LabelledSource, type ClassStats, type SimilarityOptions, type SimilarityResult } from './similarity.js';

/** A training batch: images, labels, and (with MixUp/CutMix) the partner labels and lambda. */
export interface FinetuneBatch { x: Tensor; y: Tensor; yB?: Tensor | null; lambda?: number | null }

/** Data the task needs besides the training stream (synchronous sources; a DataLoader fits). */
export interface FinetuneData {
  /** The labelled training set without augmentation, for head 'imprint'. */
  imprint?: LabelledSource;
  /** Held-out data for evaluate() (accuracy, cross entropy, macro-F1): the validation split of a run; a StreamingLoader fits. */
  eval?: AnyLabelledBatches | null;
}

const isBn = (m: AnyModule): boolean => m instanceof BatchNorm1d || m instanceof BatchNorm2d;

/** Re-initialises every weight with the layers' own init, then the model's (torchvision's for ResNets). */
function reinitAll(model: FeatureModel): void {
  torch.noGrad(() => {
    for (const m of model.modules()) (m as { resetParameters?: () => void }).resetParameters?.();
    (model as unknown as { resetBackbone?: () => void }).resetBackbone?.();
  });
}

/** A Task for standard fine-tuning; see the module doc and README.md. */
export class FinetuneTask implements Task<FinetuneBatch> {
  readonly name = 'finetune';
  readonly config: ResolvedFinetuneConfig;
  /** Stage names whose parameters are frozen (all backbone stages for linear-probe). */
  readonly frozenStages: string[] = [];
  /** [name, parameter] of the trainable backbone parameters and of the head. */
  readonly backbone: [string, Tensor][];
  readonly head: [string, Tensor][];
  /** BatchNorm modules kept in eval mode while training (setTrainMode). */
  readonly frozenBn: AnyModule[] = [];
  /** L2-SP reference w^0 (detached copies of the trainable backbone parameters at creation), in backbone order. */
  readonly reference: Tensor[] = [];

  constructor(readonly model: FeatureModel, config: Partial<FinetuneConfig> | ResolvedFinetuneConfig | Record<string, unknown> = {}, readonly data: FinetuneData = {}) {
    const c = (this.config = validateFinetuneConfig(config));
    if (c.strategy === 'scratch') reinitAll(model);
    this.#setHead();
    model.requiresGrad_(true);
    const headSet = new Set(model.getClassifier().parameters());
    const frozenMods: AnyModule[] = [];
    const stages = model.stageModules.filter((s) => s.name !== 'pool' && s.name !== 'logits');
    if (c.strategy === 'linear-probe') this.frozenStages.push(...stages.map((s) => s.name));
    if (c.strategy === 'partial') {
      const k = stages.findIndex((s) => s.name === c.freezeUpTo);
      if (k < 0) throw new ConfigError(`finetune config field 'method.freezeUpTo' must be one of ${stages.map((s) => `'${s.name}'`).join(', ')} for ${model.constructor.name}, got '${c.freezeUpTo}'`);
      this.frozenStages.push(...stages.slice(0, k + 1).map((s) => s.name));
    }
    for (const s of stages.filter((st) => this.frozenStages.includes(st.name))) {
      for (const name of s.modules) { try { frozenMods.push(model.getSubmodule(name)); } catch { /* optional module absent */ } }
    }
    if (c.strategy === 'linear-probe') frozenMods.push(...model.children().filter((m) => m !== model.getClassifier()));
    for (const m of new Set(frozenMods)) { m.requiresGrad_(false); for (const b of m.modules().filter(isBn)) if (!this.frozenBn.includes(b)) this.frozenBn.push(b); }
    if (c.bn === 'frozen') {
      for (const m of model.modules().filter(isBn)) {
        if (!this.frozenBn.includes(m)) this.frozenBn.push(m);
        if (c.freezeBnAffine) m.requiresGrad_(false);
      }
    }
    this.backbone = model.namedParameters().filter(([, p]) => p.requiresGrad && !headSet.has(p));
    this.head = model.namedParameters().filter(([, p]) => headSet.has(p));
    if (c.regularizer === 'l2-sp') for (const [, p] of this.backbone) this.reference.push(torch.keep(torch.noGrad(() => torch.tidy(() => p.detach().clone()))));
    this.setTrainMode(model.training);
  }

  #setHead(): void {
    const { model, config: c } = this;
    const k = c.numClasses ?? model.numClasses;
    if (c.head === 'reinit') { model.resetClassifier(k); return; }
    if (c.head === 'keep') {
      if (k !== model.numClasses) throw new ConfigError(`finetune config field 'method.numClasses' (${k}) differs from the kept head's ${model.numClasses} outputs; use head 'reinit' or 'imprint'`);
      return;
    }
    if (!this.data.imprint) throw new ConfigError(`finetune config field 'method.head' is 'imprint' but no labelled data was given (createFinetuneTask(model, config, { imprint: loader }))`);
    const { features, labels } = pooledFeatures(model, this.data.imprint);
    try { model.imprintClassifier(features, labels, { numClasses: k, scale: c.imprintScale }); } finally { torch.dispose(features, labels); }
  }

  /** The engine's mode hook: model.train() / model.eval(), then the frozen BatchNorm layers back in eval mode (running statistics fixed). */
  setTrainMode(training: boolean): void {
    if (training) this.model.train();
    else this.model.eval();
    for (const m of this.frozenBn) m.training = false;
  }

  /** Backbone (lr scale 1) and head (headLrScale); each group's weight decay is the plain-L2 coefficient with l2Mode 'optimizer', else 0. */
  paramGroups(): ParamGroupSpec[] {
    const c = this.config;
    const weightDecay = c.regularizer === 'l2' && c.l2Mode === 'optimizer' ? c.weightDecay : 0;
    const groups: ParamGroupSpec[] = [];
    if (this.backbone.length) groups.push({ name: 'backbone', params: this.backbone.map((e) => e[1]), lrScale: 1, weightDecay });
    if (this.head.length) groups.push({ name: 'head', params: this.head.map((e) => e[1]), lrScale: c.headLrScale, weightDecay });
    return groups;
  }

  /** The explicit penalty of the config (L2-SP, or plain L2 with l2Mode 'penalty'), or null; parts name its terms. */
  penalty(): { total: Tensor; parts: Record<string, Tensor> } | null {
    const c = this.config;
    const bb = this.backbone.map((e) => e[1]);
    const hd = this.head.map((e) => e[1]);
    if (c.regularizer === 'l2-sp') {
      const r = l2spPenalty(bb, this.reference, hd, c.alpha, c.beta);
      return { total: r.total, parts: { l2sp: r.total, l2sp_backbone: r.sp, l2sp_head: r.head } };
    }
    if (c.regularizer === 'l2' && c.l2Mode === 'penalty') {
      const t = l2Penalty([...bb, ...hd], c.weightDecay);
      return { total: t, parts: { l2: t } };
    }
    return null;
  }

  /** Cross entropy (label smoothing; MixUp/CutMix pairs when the batch has them) plus the penalty. */
  loss(batch: FinetuneBatch, _ctx?: StepContext): LossOutput {
    const ls = this.config.labelSmoothing;
    const out = this.model.call(batch.x);
    let ce = crossEntropy(out, batch.y, { labelSmoothing: ls });
    if (batch.yB && batch.lambda !== null && batch.lambda !== undefined) {
      ce = ce.mul(batch.lambda).add(crossEntropy(out, batch.yB, { labelSmoothing: ls }).mul(1 - batch.lambda));
    }
    const pen = this.penalty();
    return { loss: pen ? ce.add(pen.total) : ce, output: out, parts: { ce, ...(pen?.parts ?? {}) } };
  }

  /** Top-1 accuracy, mean cross entropy (no smoothing) and macro-F1 over data.eval; {} when none was given. */
  async evaluate(): Promise<Record<string, number>> {
    if (!this.data.eval) return {};
    const { accuracy, loss, macroF1 } = await classificationMetrics(this.model, this.data.eval);
    return { accuracy, loss, macro_f1: macroF1 };
  }

  /** The L2-SP reference, so that a resumed run regularises towards the same w^0. */
  stateDict(): TaskState {
    return { tensors: new Map(this.reference.map((t, i) => [`reference.${this.backbone[i]![0]}`, t])), json: { strategy: this.config.strategy } };
  }
  loadStateDict(state: TaskState): void {
    torch.noGrad(() => this.reference.forEach((t, i) => {
      const key = `reference.${this.backbone[i]![0]}`;
      const src = state.tensors.get(key);
      if (!src) throw new ConfigError(`finetune: the checkpoint has no L2-SP reference '${key}'`);
      t.copy_(src);
    }));
  }

  /** Frees the task's own tensors (the reference); the model stays the caller's. */
  dispose(): void { for (const t of this.reference.splice(0)) t.dispose(); }
}

/** Builds the fine-tuning Task: validates the config, applies the strategy/head/BN choices to the model (in place) and returns the task. */
export function createFinetuneTask(model: FeatureModel, config: Partial<FinetuneConfig> | ResolvedFinetuneConfig | Record<string, unknown> = {}, data: FinetuneData = {}): FinetuneTask {
  return new FinetuneTask(model, config, data);
}

export { runFinetune, finetuneConfig, supervisedRun, resolveFinetune, FINETUNE_DEFAULTS, LR_PAIR, type FinetuneOptions, type FinetuneReport, type RunPlacement, type SavedRunArgs, type SupervisedRun } from './run.js';
export { runPretrain, PRETRAIN_DEFAULTS, type PretrainOptions, type PretrainReport } from './pretrain.js';
export { QUICKSTART_PLANS, QUICKSTART_BATCH, type QuickstartPlan } from './recipes.js';
export { runHparams, runHparams as runGrid, cellId, gridTable, type HparamsGridOptions, type GridRegularizer, type CellResult, type GridResult } from './grid.js';
export { runSimilarity, capPerClass, type SimilarityRunOptions, type SimilarityReport, type SimilarityRow } from './run-similarity.js';
export { runCollect, runRecommend, readStudy, adviseTarget, recommendFromStudy, readCells, buildStudy, formatRecommendation, defaultStudyPath, studySvgPath, STUDY_FORMAT, type Study, type StudyCell, type StudyTarget, type CollectArgs, type RecommendArgs, type Recommendation, type TargetAdvice, type ElrScore } from './study.js';

/**
 * @module adversarial: adversarial training and fine-tuning (Jeddi, Shafiee, Wong 2020, "A Simple Fine-tuning
 * Is All You Need"): Madry PGD-AT on examples generated in loss(), from scratch or from pre-trained weights,
 * TRADES and "fast" FGSM baselines, a natural (clean, no attack) control, the slow-start-fast-decay schedule (and piecewise, cyclic, constant)
 * as a LambdaLR handed to the engine (TrainOptions.scheduler = task.lrScheduler), pass counting, and a
 * held-out robust-accuracy monitor. Entry: createAdversarialTask.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import type { AnyModule } from '../../core/nn/module.js';
import { crossEntropy } from '../../core/nn/losses.js';
import { LambdaLR, type LRScheduler } from '../../core/optim/lr_scheduler.js';
import type { Optimizer, ParamGroup } from '../../core/optim/optimizer.js';
import type { LossOutput, ParamGroupSpec, StepContext, Task, TaskState } from '../../train/index.js';
import { newCounter, pgd, type AttackObjective, type PassCounter } from './attacks.js';
import { validateAdversarialConfig, type AdversarialConfig } from './config.js';
import { evaluateRobustness, type RobustnessSource } from './robustness.js';
import { lambdaFor, type ScheduleSpec } from './schedules.js';

export { fgsm, pgd, project, newCounter, ceObjective, checkAttackOptions, withAttackState, accuracyOn, type AttackOptions, type AttackObjective, type BnMode, type NormKind, type PassCounter } from './attacks.js';
export { scheduleFn, lambdaFor, resolveSchedule, scheduleDefaults, type ScheduleFn, type ScheduleSpec, type ScheduleName, type SlowStartFastDecay, type Piecewise, type Cyclic, type Constant } from './schedules.js';
export { evaluateRobustness, maskingFlags, type RobustnessOptions, type RobustnessReport, type RobustnessSource } from './robustness.js';
export { defaultAdversarialConfig, validateAdversarialConfig, type AdversarialConfig } from './config.js';

/** A training batch: inputs in [0, 1] and labels (a DataLoader batch fits). */
export interface AdversarialBatch { x: Tensor; y: Tensor }
/** Extra inputs: a held-out source for evaluate(), and a normalisation applied before the model. */
export interface AdversarialData { eval?: RobustnessSource | null; normalize?: ((x: Tensor) => Tensor) | null }

/** TRADES inner objective: KL(p_clean || p_adv) per example, with the clean probabilities fixed. */
const tradesObjective = (pClean: Tensor): AttackObjective => (logits) => torch.klDiv(logits.logSoftmax(1), pClean, 'none').sum(1);

/** The adversarial-training Task; see the module doc and README.md. */
export class AdversarialTask implements Task<AdversarialBatch> {
  readonly name = 'adversarial';
  readonly config: AdversarialConfig;
  /** Passes spent so far by this task (attacks + the training forward/backward), in batches and examples. */
  readonly cost: PassCounter = newCounter();
  /** Passes and seconds spent by the held-out monitor (evaluate()), kept apart from the training cost. */
  readonly evalCost: PassCounter = newCounter();
  evalSeconds = 0;
  readonly #schedule: ScheduleSpec | null;
  #installed = false;

  constructor(readonly model: AnyModule, config: Partial<AdversarialConfig> | Record<string, unknown> = {}, readonly data: AdversarialData = {}) {
    const c = (this.config = validateAdversarialConfig(config));
    this.#schedule = c.schedule.name === 'engine' ? null : c.schedule;
    if (c.init === 'scratch') torch.noGrad(() => { for (const m of model.modules()) (m as { resetParameters?: () => void }).resetParameters?.(); });
    model.requiresGrad_(true);
  }

  #fwd(x: Tensor): Tensor { return this.model.call(this.data.normalize ? this.data.normalize(x) : x) as Tensor; }
  #count(b: number, fwd: number, bwd: number): void {
    this.cost.forward += fwd; this.cost.backward += bwd; this.cost.forwardExamples += fwd * b; this.cost.backwardExamples += bwd * b;
  }

  /** Every trainable parameter in one group. */
  paramGroups(): ParamGroupSpec[] { return [{ name: 'all', params: this.model.parameters().filter((p) => p.requiresGrad) }]; }

  /**
   * The method's lr schedule for train()'s `scheduler` option: a LambdaLR with factor f(step / T), where T is
   * method.totalSteps or the run's length; undefined with schedule 'engine' (config.scheduler applies).
   */
  get lrScheduler(): ((optimizer: Optimizer<ParamGroup>, length: { totalSteps: number }) => LRScheduler) | undefined {
    const spec = this.#schedule;
    if (!spec) return undefined;
    return (optimizer, length) => {
      this.#installed = true;
      return new LambdaLR(optimizer, lambdaFor(spec, this.config.totalSteps ?? length.totalSteps));
    };
  }

  /** Loss on adversarial examples made now (PGD, TRADES or fast FGSM), or on the clean batch ('natural'); parts: the loss terms, clean/adv accuracy of the batch and cumulative passes. */
  loss(batch: AdversarialBatch, ctx?: StepContext): LossOutput {
    const c = this.config;
    if (ctx && this.#schedule) this.#checkSchedule(ctx);
    const x = batch.x.detach();
    const y = batch.y.to('int64');
    const b = x.size(0);
    const counter = newCounter();
    const common = { eps: c.eps, norm: c.norm, bnMode: c.bnMode, normalize: this.data.normalize ?? null, counter } as const;
    let loss: Tensor;
    let parts: Record<string, Tensor | number>;
    if (c.loss === 'natural') {
      const out = this.#fwd(x);
      loss = crossEntropy(out, y);
      this.#count(b, 1, 1);
      parts = { ce_clean: loss, clean_acc: out.detach().argmax(1).eq(y).to('float32').mean() };
    } else if (c.loss === 'trades') {
      const pClean = torch.noGrad(() => { const m = this.model.modules().map((mm) => mm.training); this.model.train(c.bnMode === 'train'); try { return this.#fwd(x).softmax(1); } finally { this.model.modules().forEach((mm, i) => { mm.training = m[i]!; }); } });
      this.#count(b, 1, 0);
      const xa = pgd(this.model, x, y, { ...common, steps: c.steps, stepSize: c.stepSize ?? c.eps / 4, randomStart: { normal: 0.001 }, restarts: c.restarts, objective: tradesObjective(pClean) });
      const outC = this.#fwd(x);
      const outA = this.#fwd(xa);
      const ce = crossEntropy(outC, y);
      const kl = torch.klDiv(outA.logSoftmax(1), outC.softmax(1), 'sum').div(b); // batchmean
      loss = ce.add(kl.mul(c.tradesBeta));
      this.#count(b, 2, 1);
      parts = { ce_clean: ce, kl, adv_acc: outA.detach().argmax(1).eq(y).to('float32').mean(), clean_acc: outC.detach().argmax(1).eq(y).to('float32').mean() };
    } else {
      const xa = c.loss === 'fast'
        ? pgd(this.model, x, y, { ...common, steps: 1, stepSize: c.fastStepScale * c.eps, randomStart: true, restarts: 1 })
        : pgd(this.model, x, y, { ...common, steps: c.steps, stepSize: c.stepSize ?? c.eps / 4, randomStart: c.randomStart, restarts: c.restarts });
      const out = this.#fwd(xa);
      loss = crossEntropy(out, y);
      this.#count(b, 1, 1);
      parts = { ce_adv: loss, adv_acc: out.detach().argmax(1).eq(y).to('float32').mean() };
    }
    this.#count(0, counter.forward, counter.backward);
    this.cost.forwardExamples += counter.forwardExamples; this.cost.backwardExamples += counter.backwardExamples;
    return { loss, parts: { ...parts, fwd_passes: this.cost.forwardExamples, bwd_passes: this.cost.backwardExamples } };
  }

  /** A task schedule must be installed as the engine's scheduler, stepped per step, with no config.scheduler beside it. */
  #checkSchedule(ctx: StepContext): void {
    const name = this.config.schedule.name;
    const sch = ctx.config.scheduler;
    if (sch.name !== 'none') throw new ConfigError(`adversarial config field 'method.schedule' ('${name}') conflicts with the engine's scheduler '${sch.name}'; set scheduler.name 'none' or method.schedule { name: 'engine' }`);
    if (sch.interval !== 'step') throw new ConfigError(`config field 'scheduler.interval' must be 'step' with method.schedule '${name}' (it is a per-step schedule), got '${sch.interval}'`);
    if (!this.#installed) throw new ConfigError(`adversarial config field 'method.schedule' ('${name}') needs the task's scheduler: pass { scheduler: task.lrScheduler } to train()/resume(), or set method.schedule { name: 'engine' }`);
  }

  /**
   * Clean and PGD-evalSteps accuracy on data.eval (robust_accuracy: the robust-overfitting monitor), and the passes so far.
   * robust_then_clean ranks like robust_accuracy and breaks its ties by clean accuracy (a monitor key that never picks
   * a constant predictor over a better model at equal robust accuracy).
   */
  evaluate(): Record<string, number> {
    const cost = { train_fwd_passes: this.cost.forwardExamples, train_bwd_passes: this.cost.backwardExamples };
    if (!this.data.eval) return cost;
    const c = this.config;
    const r = evaluateRobustness(this.model, this.data.eval, { eps: c.eps, norm: c.norm, steps: [c.evalSteps], restarts: c.evalRestarts, normalize: this.data.normalize ?? null, bnMode: 'eval' });
    for (const k of Object.keys(this.evalCost) as (keyof PassCounter)[]) this.evalCost[k] += r.cost[k];
    this.evalSeconds += r.seconds;
    const robust = r.pgd[0]!.accuracy;
    // robust accuracy is a multiple of 1/n: adding clean / (n + 1) < 1/n orders checkpoints by robust accuracy, ties by clean accuracy
    return { ...cost, accuracy: r.clean, fgsm_accuracy: r.fgsm, robust_accuracy: robust, robust_then_clean: robust + r.clean / (r.examples + 1), masking_flags: r.maskingFlags.length };
  }

  /** The pass counts and monitor seconds, so a resumed run keeps counting. */
  stateDict(): TaskState { return { tensors: new Map(), json: { cost: { ...this.cost }, evalCost: { ...this.evalCost }, evalSeconds: this.evalSeconds } }; }
  loadStateDict(state: TaskState): void {
    const j = state.json as { cost?: PassCounter; evalCost?: PassCounter; evalSeconds?: number } | null;
    if (j?.cost) Object.assign(this.cost, j.cost);
    if (j?.evalCost) Object.assign(this.evalCost, j.evalCost);
    if (typeof j?.evalSeconds === 'number') this.evalSeconds = j.evalSeconds;
  }
}

/** Builds the adversarial-training Task: validates the config (errors name 'method.<field>'), re-initialises for init 'scratch'. */
export function createAdversarialTask(model: AnyModule, config: Partial<AdversarialConfig> | Record<string, unknown> = {}, data: AdversarialData = {}): AdversarialTask {
  return new AdversarialTask(model, config, data);
}
export { runRobustness, type RobustnessRunOptions, type RobustnessRunReport } from './run-robustness.js';
export { runAdversarial, adversarialConfig, resolveAdversarial, type AdversarialReport, type RobustRow } from './run.js';
export { ADVERSARIAL_DEFAULTS, ROBUSTNESS_DEFAULTS, type AdversarialOptions } from './defaults.js';
export { costRatio, pretrainCost, readRunCost, trainPasses, type CostRatio, type PretrainCost, type RunCost } from './cost.js';

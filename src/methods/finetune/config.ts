/**
 * @module FinetuneConfig: the options of standard fine-tuning (Li et al., ICLR 2020), their defaults, one
 * validator (ConfigError naming the field, the allowed range and the value), the effective-learning-rate
 * resolution lr = elr * (1 - momentum), and finetuneTrainConfig(), which writes the resolved optimiser
 * settings and the method options into an engine TrainConfig (one config object for library and CLI).
 */
import { ConfigError } from '../../core/errors.js';
import { checkMethodFields, isFiniteNumber, isPlainObject, nonNegative, type FieldCheck } from '../../train/method-config.js';
import { makeConfig, mergeConfig, withMethod, type TrainConfig } from '../../train/index.js';

/** Which parameters train. */
export type Strategy = 'full' | 'linear-probe' | 'partial' | 'scratch';

/** Options of standard fine-tuning. Fields marked [R] are reconstructions with a chosen default (see README). */
export interface FinetuneConfig {
  /** full: every weight trains; linear-probe: backbone frozen (requiresGrad false, BN eval); partial: stages up to freezeUpTo frozen; scratch: every weight re-initialised, then full training. */
  strategy: Strategy;
  /** partial only: the last frozen stage (a tap name before 'pool', e.g. 'layer2'); all earlier stages freeze too. */
  freezeUpTo: string | null;
  /** Classes of the target task (null: keep the head's output size). */
  numClasses: number | null;
  /** The head: 'reinit' a new Linear (PyTorch init), 'imprint' it from class means of pooled features, or 'keep' it. */
  head: 'reinit' | 'imprint' | 'keep';
  /** Scale of imprinted unit-norm class weights [R: default 1]. */
  imprintScale: number;
  /** lr multiplier of the head group (discriminative lr; backbone scale 1) [R: default 1]. */
  headLrScale: number;
  /** BatchNorm of trainable stages: 'train' (batch stats, running stats update) or 'frozen' (eval mode) [R: default 'train']. */
  bn: 'train' | 'frozen';
  /** With bn 'frozen': also freeze BN weight/bias (requiresGrad false) [R: default false]. */
  freezeBnAffine: boolean;
  /** 'l2': decay towards 0; 'l2-sp': towards the pre-trained weights (Li et al. 2018); 'none'. */
  regularizer: 'l2' | 'l2-sp' | 'none';
  /** Plain L2 coefficient lambda (every trainable parameter, biases and BN included) [default 1e-4, Li et al.'s default]. */
  weightDecay: number;
  /** How plain L2 is applied: 'optimizer' (the optimizer's weight decay: exact L2 gradient lambda*w for SGD/Adam, NOT for AdamW) or 'penalty' (lambda/2 ||w||^2 added to the loss, logged as part 'l2'). */
  l2Mode: 'optimizer' | 'penalty';
  /** L2-SP alpha: alpha/2 ||w_S - w_S^0||^2 over the trainable transferred backbone parameters [R: default 0.01]. */
  alpha: number;
  /** L2-SP beta: beta/2 ||w_head||^2 over the head [R: default 1e-4]. */
  beta: number;
  /** Label smoothing of the cross entropy, in [0, 1). */
  labelSmoothing: number;
  /** Effective learning rate eta' = lr / (1 - momentum) (null: give lr instead). */
  elr: number | null;
  /** Plain SGD lr (null: resolved from elr). Exactly one of elr and lr is set. */
  lr: number | null;
  /** SGD momentum in [0, 1) (unused by adam/adamw). */
  momentum: number;
  /** 'sgd' (with momentum; lr from elr or lr), 'adam' or 'adamw' (lr must be given: method.lr; betas from optim.betas). */
  optimizer: 'sgd' | 'adam' | 'adamw';
}

/** Defaults: full fine-tuning, new head, plain L2 1e-4 through the optimizer, elr 0.1 with momentum 0.9 (lr 0.01, the common default). */
export const defaultFinetuneConfig: FinetuneConfig = {
  strategy: 'full', freezeUpTo: null, numClasses: null, head: 'reinit', imprintScale: 1, headLrScale: 1,
  bn: 'train', freezeBnAffine: false, regularizer: 'l2', weightDecay: 1e-4, l2Mode: 'optimizer', alpha: 0.01, beta: 1e-4,
  labelSmoothing: 0, elr: 0.1, lr: null, momentum: 0.9, optimizer: 'sgd',
};

/** The validated config with the optimiser settings resolved (both lr and elr recorded). */
export interface ResolvedFinetuneConfig extends FinetuneConfig {
  /** lr = elr * (1 - momentum) (or elr = lr / (1 - momentum)): both recorded. */
  resolved: { lr: number; elr: number; momentum: number };
}

type Check = FieldCheck;
const num = isFiniteNumber;
const oneOf = (...xs: string[]): Check => [(v) => typeof v === 'string' && xs.includes(v), `one of ${xs.map((x) => `'${x}'`).join(', ')}`];
const RULES: Record<keyof FinetuneConfig, Check> = {
  strategy: oneOf('full', 'linear-probe', 'partial', 'scratch'),
  freezeUpTo: [(v) => v === null || (typeof v === 'string' && v.length > 0), 'a stage name (string) or null'],
  numClasses: [(v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 1), 'an integer >= 1 or null'],
  head: oneOf('reinit', 'imprint', 'keep'),
  imprintScale: [(v) => num(v) && v > 0, 'a finite number > 0'],
  headLrScale: [(v) => num(v) && v >= 0, 'a finite number >= 0'],
  bn: oneOf('train', 'frozen'),
  freezeBnAffine: [(v) => typeof v === 'boolean', 'true or false'],
  regularizer: oneOf('l2', 'l2-sp', 'none'),
  weightDecay: [(v) => num(v) && v >= 0, 'a finite number >= 0'],
  l2Mode: oneOf('optimizer', 'penalty'),
  alpha: [(v) => num(v) && v >= 0, 'a finite number >= 0'],
  beta: [(v) => num(v) && v >= 0, 'a finite number >= 0'],
  labelSmoothing: [(v) => num(v) && v >= 0 && v < 1, 'a number in [0, 1)'],
  elr: [(v) => v === null || (num(v) && v > 0), 'a finite number > 0 or null'],
  lr: [(v) => v === null || (num(v) && v > 0), 'a finite number > 0 or null'],
  momentum: [(v) => num(v) && v >= 0 && v < 1, 'a number in [0, 1)'],
  optimizer: oneOf('sgd', 'adam', 'adamw'),
};

const isPlain = isPlainObject;

/** Fills defaults, checks every field and the cross-field rules, and resolves lr = elr * (1 - momentum) (or elr = lr / (1 - momentum)). */
export function validateFinetuneConfig(partial: unknown = {}): ResolvedFinetuneConfig {
  if (!isPlain(partial)) throw new ConfigError(`finetune config must be an object, got ${JSON.stringify(partial)}`);
  const given = { ...partial };
  delete given['resolved']; // written by finetuneTrainConfig; recomputed here
  if ('lr' in given && given['lr'] !== null && !('elr' in given)) given['elr'] = null; // giving lr alone replaces the default elr
  const c = checkMethodFields('finetune', given, defaultFinetuneConfig, RULES);
  const f: FinetuneConfig = c;
  if ((f.elr === null) === (f.lr === null)) {
    throw new ConfigError(`finetune config fields 'method.elr' and 'method.lr': give exactly one (got elr=${f.elr}, lr=${f.lr}); lr = elr * (1 - momentum)`);
  }
  if (f.optimizer !== 'sgd' && f.lr === null) throw new ConfigError(`finetune config field 'method.lr' must be given with optimizer '${f.optimizer}' (the effective learning rate method.elr is SGD's; e.g. lr 1e-3), got elr=${f.elr}`);
  if (f.strategy === 'partial' && f.freezeUpTo === null) throw new ConfigError(`finetune config field 'method.freezeUpTo' must name a stage (e.g. 'layer2') when strategy is 'partial'`);
  if (f.strategy !== 'partial' && f.freezeUpTo !== null) throw new ConfigError(`finetune config field 'method.freezeUpTo' is only used with strategy 'partial' (strategy is '${f.strategy}'); set it to null`);
  if (f.strategy === 'scratch' && f.regularizer === 'l2-sp') throw new ConfigError(`finetune config field 'method.regularizer' cannot be 'l2-sp' with strategy 'scratch' (there is no pre-trained reference); use 'l2'`);
  if (f.strategy === 'scratch' && f.head === 'imprint') throw new ConfigError(`finetune config field 'method.head' cannot be 'imprint' with strategy 'scratch' (random features); use 'reinit'`);
  if (f.freezeBnAffine && f.bn !== 'frozen') throw new ConfigError(`finetune config field 'method.freezeBnAffine' needs method.bn 'frozen'`);
  const lr = f.lr ?? f.elr! * (1 - f.momentum);
  const elr = f.optimizer !== 'sgd' ? lr : f.elr ?? f.lr! / (1 - f.momentum);
  return { ...f, resolved: { lr, elr, momentum: f.momentum } };
}

/**
 * The engine config of a fine-tuning run: base (a partial TrainConfig) with optim.name = method.optimizer, optim.lr =
 * the resolved lr, optim.momentum, optim.weightDecay 0 (every group carries its own decay, see paramGroups),
 * and method = the finetune options plus `resolved: { lr, elr, momentum }` for the record.
 * Throws if base sets an optimiser or momentum that contradicts the finetune config.
 */
export function finetuneTrainConfig(ft: Partial<FinetuneConfig> = {}, base: Record<string, unknown> = {}): TrainConfig<ResolvedFinetuneConfig> {
  const r = validateFinetuneConfig({ ...(isPlain(base['method']) ? base['method'] : {}), ...ft });
  if (base['optim'] !== undefined && base['optim'] !== null && !isPlain(base['optim'])) {
    throw new ConfigError(`config field 'optim' is a section, not a value (got ${JSON.stringify(base['optim'])}); set its fields instead, e.g. optim.lr`);
  }
  const o = isPlain(base['optim']) ? base['optim'] : {};
  if (o['name'] !== undefined && o['name'] !== r.optimizer) {
    throw new ConfigError(`config field 'optim.name' (${JSON.stringify(o['name'])}) contradicts method.optimizer '${r.optimizer}'; choose the optimizer with method.optimizer (--optimizer)`);
  }
  const { lr, momentum } = r.resolved;
  for (const [k, v] of (r.optimizer === 'sgd' ? [['lr', lr], ['momentum', momentum]] : [['lr', lr]]) as [string, number][]) {
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k]))) {
      throw new ConfigError(`config field 'optim.${k}' must be a finite number, got ${JSON.stringify(o[k])} (not a number)`);
    }
    if (o[k] !== undefined && o[k] !== v) throw new ConfigError(`config field 'optim.${k}' (${String(o[k])}) contradicts the finetune config (it resolves to ${v}); set it under method`);
  }
  return withMethod(makeConfig(mergeConfig(base, { optim: { name: r.optimizer, lr, ...(r.optimizer === 'sgd' ? { momentum } : {}), weightDecay: 0 }, method: r })), r);
}

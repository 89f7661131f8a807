/**
 * @module AdafilterConfig: the options of AdaFilter (Guo et al., AAAI 2020), their defaults, one validator
 * (ConfigError naming the field, the allowed range and the value), and adafilterTrainConfig(), which writes
 * the optimiser settings and the method options into an engine TrainConfig. Options marked [R] or [M] are
 * reconstructions (the paper gives no code and few details); README.md lists them with their defaults.
 */
import { ConfigError } from '../../core/errors.js';
import { checkMethodFields, isFiniteNumber, isPlainObject, nonNegative, type FieldCheck } from '../../train/method-config.js';
import { makeConfig, mergeConfig, withMethod, type TrainConfig } from '../../train/index.js';

/** The gate network's core: one LSTMCell or GRUCell shared by every gated layer, or a per-layer MLP (no recurrence). */
export type GateKind = 'lstm' | 'gru' | 'mlp';

/** Options of AdaFilter. */
export interface AdafilterConfig {
  /** Stages whose convolutions are gated (tap names such as 'stem', 'layer1'; null: every backbone stage). */
  stages: string[] | null;
  /** Gate core [V: shared recurrent gate; LSTM is R]: 'lstm' (default), 'gru', or 'mlp' (per-layer, non-recurrent ablation). */
  gate: GateKind;
  /** Width d of the per-layer input projections ReLU(W_in GAP(x)) [R: default 16]. */
  projSize: number;
  /** Hidden width of the shared cell (or of each per-layer MLP) [R: default 32]. */
  hiddenSize: number;
  /** Initial bias of every output head: sigmoid(b) is the starting probability of fine-tuning a filter [R: default 0, p = 0.5 +- noise]. */
  gateBias: number;
  /** Training-time binarisation [R]: 'st' hard threshold 1[p > 0.5] with the gradient of p (default), or 'gumbel' Gumbel-sigmoid straight-through. */
  binarize: 'st' | 'gumbel';
  /** Temperature of the Gumbel-sigmoid (binarize 'gumbel') [C: SpotTune uses 5]. */
  temperature: number;
  /** Gated BN [V]: separate BN for fine-tuned and frozen channels (true), or one BN after the mix (false, the ablation). */
  gatedBn: boolean;
  /** Affine parameters of the frozen branch's BN [R]: 'frozen' (strict reuse, default) or 'trainable'. */
  frozenBnAffine: 'frozen' | 'trainable';
  /** Batch statistics of the gated BNs in training [R]: 'batch' (each BN sees the whole batch, default) or 'masked' (only the examples whose gate selects its branch). */
  bnStats: 'batch' | 'masked';
  /** Parameters outside the gated convolutions (ungated stages, BNs of ungated convs): 'train' (default) or 'frozen' [R]. */
  ungated: 'train' | 'frozen';
  /** Usage penalty rho * mean(g) added to the loss [R/M: default 0, plain AdaFilter]. */
  usagePenalty: number;
  /** Classes of the target task (null: keep the head's output size). */
  numClasses: number | null;
  /** The head: 'reinit' (a new Linear) or 'keep'. */
  head: 'reinit' | 'keep';
  /** SGD lr of the fine-tuned filters (and every other trainable backbone parameter) [R: 0.01]. */
  lr: number;
  /** SGD momentum in [0, 1). */
  momentum: number;
  /** lr multiplier of the gate network [R: 10, i.e. 0.1 with lr 0.01]. */
  gateLrScale: number;
  /** lr multiplier of the head [R: 10]. */
  headLrScale: number;
  /** L2 coefficient of the filters and the head (through the optimiser) [default 1e-4]. */
  weightDecay: number;
  /** L2 coefficient of the gate network [C: SpotTune's policy network 1e-3]. */
  gateWeightDecay: number;
  /**
   * Gate warm-up [ours, not in the paper]: for the first K optimizer steps every filter is fine-tuned (g = 1) and the
   * gate is not trained, so F moves away from S before the gate learns (its gradient is 0 while F = S). 0: off.
   */
  gateWarmupSteps: number;
}

/** Defaults: every stage gated, shared LSTM (d 16, hidden 32), straight-through threshold, gated BN, SGD lr 0.01 (gate and head 0.1). */
export const defaultAdafilterConfig: AdafilterConfig = {
  stages: null, gate: 'lstm', projSize: 16, hiddenSize: 32, gateBias: 0, binarize: 'st', temperature: 5,
  gatedBn: true, frozenBnAffine: 'frozen', bnStats: 'batch', ungated: 'train', usagePenalty: 0,
  numClasses: null, head: 'reinit', lr: 0.01, momentum: 0.9, gateLrScale: 10, headLrScale: 10, weightDecay: 1e-4, gateWeightDecay: 1e-3,
  gateWarmupSteps: 0,
};

type Check = FieldCheck;
const num = isFiniteNumber;
const oneOf = (...xs: string[]): Check => [(v) => typeof v === 'string' && xs.includes(v), `one of ${xs.map((x) => `'${x}'`).join(', ')}`];
const posInt: Check = [(v) => Number.isSafeInteger(v) && (v as number) >= 1, 'an integer >= 1'];
const nonNeg = nonNegative;
const RULES: Record<keyof AdafilterConfig, Check> = {
  stages: [(v) => v === null || (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0)), 'a non-empty array of stage names or null'],
  gate: oneOf('lstm', 'gru', 'mlp'),
  projSize: posInt,
  hiddenSize: posInt,
  gateBias: [num, 'a finite number'],
  binarize: oneOf('st', 'gumbel'),
  temperature: [(v) => num(v) && v > 0, 'a finite number > 0'],
  gatedBn: [(v) => typeof v === 'boolean', 'true or false'],
  frozenBnAffine: oneOf('frozen', 'trainable'),
  bnStats: oneOf('batch', 'masked'),
  ungated: oneOf('train', 'frozen'),
  usagePenalty: nonNeg,
  numClasses: [(v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 1), 'an integer >= 1 or null'],
  head: oneOf('reinit', 'keep'),
  lr: [(v) => num(v) && v > 0, 'a finite number > 0'],
  momentum: [(v) => num(v) && v >= 0 && v < 1, 'a number in [0, 1)'],
  gateLrScale: nonNeg,
  headLrScale: nonNeg,
  weightDecay: nonNeg,
  gateWeightDecay: nonNeg,
  gateWarmupSteps: [(v) => Number.isSafeInteger(v) && (v as number) >= 0, 'an integer >= 0'],
};

const isPlain = isPlainObject;

/** Fills defaults and checks every field; errors name 'method.<field>', the allowed range and the value. */
export function validateAdafilterConfig(partial: unknown = {}): AdafilterConfig {
  const c = checkMethodFields('adafilter', partial, defaultAdafilterConfig, RULES);
  const f: AdafilterConfig = c;
  if (f.bnStats === 'masked' && !f.gatedBn) throw new ConfigError(`adafilter config field 'method.bnStats' 'masked' needs method.gatedBn true (there is one BN without gated BN)`);
  return { ...f, stages: f.stages ? [...f.stages] : null };
}

/**
 * The engine config of an AdaFilter run: base (a partial TrainConfig) with optim SGD at method.lr and
 * method.momentum, optim.weightDecay 0 (each parameter group carries its own decay), method = the validated options.
 * Throws if base sets an optimiser, lr or momentum that contradicts the method options.
 */
export function adafilterTrainConfig(af: Partial<AdafilterConfig> = {}, base: Record<string, unknown> = {}): TrainConfig<AdafilterConfig> {
  const r = validateAdafilterConfig({ ...(isPlain(base['method']) ? base['method'] : {}), ...af });
  const o = isPlain(base['optim']) ? base['optim'] : {};
  if (o['name'] !== undefined && o['name'] !== 'sgd') throw new ConfigError(`config field 'optim.name' must be 'sgd' for adafilter, got ${JSON.stringify(o['name'])}`);
  for (const k of ['lr', 'momentum'] as const) {
    if (o[k] !== undefined && o[k] !== r[k]) throw new ConfigError(`config field 'optim.${k}' (${String(o[k])}) contradicts method.${k} (${r[k]}); set it under method`);
  }
  return withMethod(makeConfig(mergeConfig(base, { optim: { name: 'sgd', lr: r.lr, momentum: r.momentum, weightDecay: 0 }, method: r })), r);
}

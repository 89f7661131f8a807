/** @module JadceConfig: scenario, baselines, the proposed network and its training schedule; defaults and one validator whose errors name the field. [R] marks reconstructions (README). */
import { ConfigError } from '../../core/errors.js';

/** The grant-free access scenario Y = Phi X + W (spec 6(b) system model). */
export interface ScenarioConfig {
  /** Potential devices N. */
  devices: number;
  /** BS antennas M. */
  antennas: number;
  /** Pilot length L. */
  pilotLength: number;
  /** Activity probability epsilon (a_n ~ Bernoulli(epsilon)). */
  activity: number;
  /** SNR in dB of an active device at the reference gain (beta = 1). */
  snrDb: number;
  /** [R] 'per-symbol': sigma_w^2 = 1 / (L SNR) (pilot entries have power 1/L); 'per-slot': sigma_w^2 = 1 / SNR (whole pilot energy 1). */
  snrMode: 'per-symbol' | 'per-slot';
  /** 'fixed': one pilot matrix Phi per experiment (drawn from the seed); 'resampled': a fresh Phi per slot. */
  pilots: 'fixed' | 'resampled';
  /** false: beta_n = 1 (unit Rayleigh); true: beta_n = (d_n / cellRadius)^-pathLossExponent, devices uniform in the annulus. */
  pathLoss: boolean;
  /** Inner radius of the device annulus as a fraction of the cell radius (path loss only). */
  innerRadius: number;
  /** Path-loss exponent (3.76 as in -128.1 - 37.6 log10 d). */
  pathLossExponent: number;
}

/** The baselines (spec 6(e) items 1-3). */
export interface BaselineConfig {
  /** MMV-AMP and EM-MMV-AMP iterations [C: 50; default 100 with the damping below]. */
  ampIterations: number;
  /** Weight of the new iterate in X <- rho X_new + (1 - rho) X_old [C: 0.95; default 0.6: at N = 500 lighter damping oscillates (README)]. */
  ampDamping: number;
  /** AMP detection: 'posterior' = pi_n >= 0.5 with the (oracle or EM-fitted) prior (default); 'llr' = the code's equal-prior LLR threshold [C]. */
  ampDetect: 'llr' | 'posterior';
  /** AMP's Onsager coefficient: 'scalar' = (1/D) tr of the mean Jacobian (default: tracks state evolution), 'matrix' = the full D x D mean Jacobian (README). */
  ampOnsager: 'scalar' | 'matrix';
  /** Run AMP on unit-norm pilot columns (an exact reparametrisation; default true: tracks the finite-N state evolution, README "Finite size"). */
  ampColumnNorm: boolean;
  /** EM-AMP initial activity guess (the EM then learns lambda, the channel scale and sigma_w^2) [R]. */
  emInitActivity: number;
  /** Group-ISTA / FISTA iterations [R: 200]. */
  istaIterations: number;
  /** [R] group-LASSO weight kappa = istaReg * sigma_w * (sqrt(M) + sqrt(2 ln N)) (oracle noise level). */
  istaReg: number;
  /** [R] ISTA/LISTA detection: active iff ||x_n||^2 >= rowThreshold * M * beta_n. */
  rowThreshold: number;
  /** LISTA-GS layers [R: 10]. */
  listaLayers: number;
  /** [R] 'full': a learned complex W_t (N x L) per layer (needs fixed pilots); 'tied': W_t = gamma_t Phi^H. */
  listaWeights: 'full' | 'tied';
}

/** The proposed feature-aided adaptive-tuning network (spec 6(b), all [R]). */
export interface NetConfig {
  /** Unrolled AMP layers T [R: 8]. */
  layers: number;
  /** Inner EM sweeps per layer [R: 2]; 0 disables EM (fixed learned prior: the "no EM" ablation). */
  emSweeps: number;
  /** [R] 'noise-floor': SVD, rank = #singular values above margin * sigma_w (sqrt(L) + sqrt(M)); 'none': no reduction (ablation). */
  dimReduction: 'noise-floor' | 'none';
  /** Multiplier on the noise-floor threshold [R: 1.2]. */
  rankMargin: number;
  /** [R] learn the damping rho_t per layer (else fixed at the AMP value). */
  learnDamping: boolean;
  /** The layers' Onsager coefficient, as baselines.ampOnsager (default 'scalar'). */
  onsager: 'scalar' | 'matrix';
  /** Detection: pi_n >= detectThreshold [R: 0.5]. */
  detectThreshold: number;
  /** Channel estimate: 'lmmse' / 'ls' re-estimate on the detected support from the full Y, or 'network' (X_r V_r^H). */
  channel: 'lmmse' | 'ls' | 'network';
}

/** The training schedule shared by LISTA-GS and the network [R]. */
export interface TrainSchedule {
  /** 'layerwise': inner (layer t alone) then outer (layers 1..t) per added layer, then end-to-end; 'end-to-end': only end-to-end, same total step count (ablation). */
  schedule: 'layerwise' | 'end-to-end';
  /** Steps training layer t alone (inner layer-by-layer). */
  innerSteps: number;
  /** Steps fine-tuning layers 1..t (outer layer-by-layer). */
  outerSteps: number;
  /** Final end-to-end steps. */
  finalSteps: number;
  batch: number;
  /** Adam lr of the inner stage [spec: 1e-3; default 0.03, chosen on validation slots]. */
  lr: number;
  /** Adam lr of the outer and end-to-end stages [spec: 1e-4; default 0.01, chosen on validation slots (docs/results/jadce.md)]. */
  lrFine: number;
  /** Validation slots (a separate seeded stream, same pilots) for early stopping of the final stage; 0 = no validation. */
  valSlots: number;
  /** Validate every evalEvery steps of the final stage; stop after `patience` checks without improvement and keep the best. */
  evalEvery: number;
  patience: number;
}

export interface JadceConfig {
  scenario: ScenarioConfig;
  baselines: BaselineConfig;
  net: NetConfig;
  train: TrainSchedule;
}

export const defaultJadceConfig: JadceConfig = {
  scenario: {
    devices: 200, antennas: 16, pilotLength: 40, activity: 0.05, snrDb: 10, snrMode: 'per-slot', pilots: 'fixed',
    pathLoss: false, innerRadius: 0.2, pathLossExponent: 3.76,
  },
  baselines: {
    ampIterations: 100, ampDamping: 0.6, ampDetect: 'posterior', ampOnsager: 'scalar', ampColumnNorm: true, emInitActivity: 0.1, istaIterations: 200, istaReg: 1,
    rowThreshold: 0.1, listaLayers: 10, listaWeights: 'full',
  },
  net: { layers: 8, emSweeps: 2, dimReduction: 'noise-floor', rankMargin: 1.2, learnDamping: true, onsager: 'scalar', detectThreshold: 0.5, channel: 'lmmse' },
  train: { schedule: 'layerwise', innerSteps: 40, outerSteps: 20, finalSteps: 100, batch: 64, lr: 0.03, lrFine: 0.01, valSlots: 256, evalEvery: 20, patience: 4 },
};

type Check = [(v: unknown) => boolean, string];
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const int = (min: number): Check => [(v) => Number.isSafeInteger(v) && (v as number) >= min, `an integer >= ${min}`];
const pos: Check = [(v) => num(v) && v > 0, 'a finite number > 0'];
const open01: Check = [(v) => num(v) && v > 0 && v < 1, 'a number in (0, 1)'];
const half01: Check = [(v) => num(v) && v > 0 && v <= 1, 'a number in (0, 1]'];
const bool: Check = [(v) => typeof v === 'boolean', 'true or false'];
const oneOf = (...xs: string[]): Check => [(v) => typeof v === 'string' && xs.includes(v), `one of ${xs.map((x) => `'${x}'`).join(', ')}`];

const RULES: { [S in keyof JadceConfig]: Record<keyof JadceConfig[S], Check> } = {
  scenario: {
    devices: int(2), antennas: int(1), pilotLength: int(1), activity: open01, snrDb: [(v) => num(v) && v >= -30 && v <= 60, 'a number of dB in [-30, 60]'],
    snrMode: oneOf('per-symbol', 'per-slot'), pilots: oneOf('fixed', 'resampled'), pathLoss: bool, innerRadius: open01, pathLossExponent: pos,
  },
  baselines: {
    ampIterations: int(1), ampDamping: half01, ampDetect: oneOf('llr', 'posterior'), ampOnsager: oneOf('scalar', 'matrix'), ampColumnNorm: bool, emInitActivity: open01, istaIterations: int(1), istaReg: pos,
    rowThreshold: pos, listaLayers: int(1), listaWeights: oneOf('full', 'tied'),
  },
  net: {
    layers: int(1), emSweeps: int(0), dimReduction: oneOf('noise-floor', 'none'), rankMargin: pos, learnDamping: bool, onsager: oneOf('scalar', 'matrix'), detectThreshold: open01,
    channel: oneOf('lmmse', 'ls', 'network'),
  },
  train: { schedule: oneOf('layerwise', 'end-to-end'), innerSteps: int(0), outerSteps: int(0), finalSteps: int(0), batch: int(1), lr: pos, lrFine: pos, valSlots: int(0), evalEvery: int(1), patience: int(1) },
};

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Fills defaults section by section and checks every field (ConfigError naming 'section.field' and the allowed range). */
export function validateJadceConfig(partial: unknown = {}): JadceConfig {
  if (!isPlain(partial)) throw new ConfigError(`jadce config must be an object, got ${JSON.stringify(partial)}`);
  for (const k of Object.keys(partial)) if (!(k in RULES)) throw new ConfigError(`unknown jadce config section '${k}' (known: ${Object.keys(RULES).join(', ')})`);
  /** One section: its defaults under the given fields, every field checked. */
  const section = <K extends keyof JadceConfig>(name: K): JadceConfig[K] => {
    const given = partial[name] ?? {};
    if (!isPlain(given)) throw new ConfigError(`jadce config section '${name}' must be an object, got ${JSON.stringify(given)}`);
    const rules: Record<string, Check> = RULES[name];
    for (const k of Object.keys(given)) if (!(k in rules)) throw new ConfigError(`unknown jadce config field '${name}.${k}' (known: ${Object.keys(rules).join(', ')})`);
    const merged = { ...defaultJadceConfig[name], ...given };
    for (const [k, [ok, range]] of Object.entries(rules)) {
      const v = (merged as Record<string, unknown>)[k];
      if (!ok(v)) throw new ConfigError(`jadce config field '${name}.${k}' must be ${range}, got ${JSON.stringify(v)}`);
    }
    return merged;
  };
  const c: JadceConfig = { scenario: section('scenario'), baselines: section('baselines'), net: section('net'), train: section('train') };
  if (c.scenario.pilotLength >= c.scenario.devices) throw new ConfigError(`jadce config field 'scenario.pilotLength' must be < scenario.devices (${c.scenario.devices}), got ${c.scenario.pilotLength}`);
  if (c.baselines.listaWeights === 'full' && c.scenario.pilots === 'resampled') {
    throw new ConfigError(`jadce config field 'baselines.listaWeights' must be 'tied' when scenario.pilots is 'resampled' (a learned W_t needs a fixed Phi)`);
  }
  return c;
}

/** Noise variance sigma_w^2 of a scenario (reference gain 1). */
export function noiseVariance(s: Pick<ScenarioConfig, 'snrDb' | 'snrMode' | 'pilotLength'>): number {
  const snr = 10 ** (s.snrDb / 10);
  return s.snrMode === 'per-symbol' ? 1 / (s.pilotLength * snr) : 1 / snr;
}

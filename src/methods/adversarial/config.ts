/** @module AdversarialConfig: options of adversarial training / fine-tuning, defaults, and one validator whose errors name the field. */
import { ConfigError } from '../../core/errors.js';
import { resolveSchedule, type ScheduleSpec } from './schedules.js';

/** Options of createAdversarialTask. [M]/[R] mark unverified choices (see README). */
export interface AdversarialConfig {
  /** 'pgd': Madry PGD-AT; 'trades': CE(clean) + beta KL(clean || adv); 'fast': FGSM with random start (Wong et al.);
   *  'natural': CE on the clean inputs, no attack (the natural control of the same pipeline). */
  loss: 'pgd' | 'trades' | 'fast' | 'natural';
  /** 'finetune': start from the given weights (Jeddi et al.); 'scratch': re-initialise every layer first. */
  init: 'finetune' | 'scratch';
  norm: 'linf' | 'l2';
  /** Radius [M: 8/255, the usual CIFAR value; the FMNIST plan uses 0.1]. */
  eps: number;
  /** PGD steps in training [M: 7]. */
  steps: number;
  /** Step size (null: eps / 4, i.e. 2/255 at 8/255) [M]. */
  stepSize: number | null;
  randomStart: boolean;
  /** Restarts in training (1 is standard). */
  restarts: number;
  /** BN mode while generating [R: 'eval'; Madry used 'train' for convenience]. */
  bnMode: 'eval' | 'train';
  /** TRADES beta (Zhang et al.: 6). */
  tradesBeta: number;
  /** 'fast': step size = fastStepScale * eps (Wong et al.: 1.25). */
  fastStepScale: number;
  /** The lr schedule (peak = optim.lr), a LambdaLR from task.lrScheduler; 'engine' leaves the lr to config.scheduler. */
  schedule: ScheduleSpec | { name: 'engine' };
  /** Optimizer steps the schedule spans (null: the run's length, maxSteps or epochs x steps per epoch). */
  totalSteps: number | null;
  /** Held-out robust evaluation: PGD steps and restarts (robust-overfitting monitor). */
  evalSteps: number;
  evalRestarts: number;
}

/** Defaults: PGD-7 L-inf 8/255 fine-tuning under slow-start-fast-decay. */
export const defaultAdversarialConfig: AdversarialConfig = {
  loss: 'pgd', init: 'finetune', norm: 'linf', eps: 8 / 255, steps: 7, stepSize: null, randomStart: true, restarts: 1, bnMode: 'eval',
  tradesBeta: 6, fastStepScale: 1.25, schedule: { name: 'slow-start-fast-decay' } as ScheduleSpec, totalSteps: null,
  evalSteps: 20, evalRestarts: 1,
};

type Check = [(v: unknown) => boolean, string];
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const int = (min: number): Check => [(v) => Number.isSafeInteger(v) && (v as number) >= min, `an integer >= ${min}`];
const intOrNull = (min: number): Check => [(v) => v === null || (Number.isSafeInteger(v) && (v as number) >= min), `an integer >= ${min} or null`];
const oneOf = (...xs: string[]): Check => [(v) => typeof v === 'string' && xs.includes(v), `one of ${xs.map((x) => `'${x}'`).join(', ')}`];
const RULES: Record<Exclude<keyof AdversarialConfig, 'schedule'>, Check> = {
  loss: oneOf('pgd', 'trades', 'fast', 'natural'), init: oneOf('finetune', 'scratch'), norm: oneOf('linf', 'l2'),
  eps: [(v) => num(v) && v > 0, 'a finite number > 0'], steps: int(1),
  stepSize: [(v) => v === null || (num(v) && v > 0), 'a finite number > 0 or null'],
  randomStart: [(v) => typeof v === 'boolean', 'true or false'], restarts: int(1), bnMode: oneOf('eval', 'train'),
  tradesBeta: [(v) => num(v) && v >= 0, 'a finite number >= 0'], fastStepScale: [(v) => num(v) && v > 0, 'a finite number > 0'],
  totalSteps: intOrNull(1), evalSteps: int(1), evalRestarts: int(1),
};

/** Fills defaults and checks every field (ConfigError naming 'method.<field>'). */
export function validateAdversarialConfig(partial: unknown = {}): AdversarialConfig {
  if (!partial || typeof partial !== 'object' || Array.isArray(partial)) throw new ConfigError(`adversarial config must be an object, got ${JSON.stringify(partial)}`);
  const given = partial as Record<string, unknown>;
  for (const k of Object.keys(given)) if (k !== 'schedule' && !(k in RULES)) throw new ConfigError(`unknown adversarial config field 'method.${k}' (known: ${[...Object.keys(RULES), 'schedule'].join(', ')})`);
  const c: AdversarialConfig = { ...defaultAdversarialConfig, ...given };
  const values = new Map(Object.entries(c));
  for (const [k, [ok, range]] of Object.entries(RULES)) if (!ok(values.get(k))) throw new ConfigError(`adversarial config field 'method.${k}' must be ${range}, got ${JSON.stringify(values.get(k))}`);
  const s = values.get('schedule');
  return { ...c, schedule: s && typeof s === 'object' && (s as { name?: unknown }).name === 'engine' ? { name: 'engine' } : resolveSchedule(s) };
}

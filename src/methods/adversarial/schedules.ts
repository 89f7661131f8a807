/**
 * @module Learning-rate schedules of adversarial training as factor functions of progress p = step / total in
 * [0, 1] (lr = peak lr x factor): slow-start-fast-decay (Jeddi et al. 2020; shape reconstructed [R]),
 * piecewise, cyclic/triangular (Wong et al. / Rice et al.), constant. lambdaFor() adapts one to a LambdaLR
 * (step -> factor); the adversarial task hands the engine a LambdaLR built from it (TrainOptions.scheduler).
 */
import { ConfigError } from '../../core/errors.js';

/** Factor of the peak lr at progress p in [0, 1]. */
export type ScheduleFn = (progress: number) => number;

/** Slow start, fast decay [R]: warm-up from startFactor to 1 over warmupFraction, then a decay to the end. */
export interface SlowStartFastDecay {
  name: 'slow-start-fast-decay';
  /** t_w / T [R: 0.5; sweep 0.3, 0.5, 0.7]. */
  warmupFraction: number;
  /** Warm-up shape [R: 'linear']. */
  warmupShape: 'linear' | 'cosine';
  /** eta_0 / eta_max at p = 0 [R: 0.01]. */
  startFactor: number;
  /** Decay shape [R: 'exponential', exp(-kappa u)]; 'linear' reaches minFactor after decayFraction of the rest; 'cosine' half-cosine to minFactor. */
  decayShape: 'exponential' | 'linear' | 'cosine';
  /** kappa of the exponential decay [R: 5, ends at about 1/150]. */
  decayRate: number;
  /** Floor of the linear/cosine decay [R: 0]. */
  minFactor: number;
  /** Linear decay: fraction of (T - t_w) it takes to reach minFactor [R: 1]. */
  decayFraction: number;
}
/** Piecewise constant: factors[i] holds from boundaries[i-1] to boundaries[i] (Rice et al.: 1, 0.1, 0.01 at 0.5, 0.75). */
export interface Piecewise { name: 'piecewise'; boundaries: number[]; factors: number[] }
/** Triangular cycles: 0 -> 1 at peakAt of each cycle -> 0 ("superconverge": one cycle, peak at 0.4). */
export interface Cyclic { name: 'cyclic'; cycles: number; peakAt: number }
/** Constant factor 1. */
export interface Constant { name: 'constant' }
/** Any schedule spec. */
export type ScheduleSpec = SlowStartFastDecay | Piecewise | Cyclic | Constant;
export type ScheduleName = ScheduleSpec['name'];

/** Defaults of each schedule (slow-start-fast-decay: the spec's reconstruction [R]). */
export const scheduleDefaults: { [K in ScheduleName]: Extract<ScheduleSpec, { name: K }> } = {
  'slow-start-fast-decay': { name: 'slow-start-fast-decay', warmupFraction: 0.5, warmupShape: 'linear', startFactor: 0.01, decayShape: 'exponential', decayRate: 5, minFactor: 0, decayFraction: 1 },
  piecewise: { name: 'piecewise', boundaries: [0.5, 0.75], factors: [1, 0.1, 0.01] },
  cyclic: { name: 'cyclic', cycles: 1, peakAt: 0.4 },
  constant: { name: 'constant' },
};

const fail = (field: string, want: string, v: unknown): never => { throw new ConfigError(`schedule field 'method.schedule.${field}' must be ${want}, got ${JSON.stringify(v)}`); };
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const in01 = (v: unknown): boolean => num(v) && v >= 0 && v <= 1;

/** Fills defaults by name and checks every field (errors name it). */
export function resolveSchedule(spec: unknown = {}): ScheduleSpec {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) fail('', 'an object', spec);
  const given = spec as Record<string, unknown>;
  const name = given['name'] ?? 'slow-start-fast-decay';
  if (typeof name !== 'string' || !(name in scheduleDefaults)) fail('name', Object.keys(scheduleDefaults).map((k) => `'${k}'`).join(', '), name);
  const base: ScheduleSpec = scheduleDefaults[name as ScheduleName];
  for (const k of Object.keys(given)) if (!(k in base)) throw new ConfigError(`unknown schedule field 'method.schedule.${k}' for '${String(name)}' (known: ${Object.keys(base).join(', ')})`);
  const s = { ...base, ...given } as ScheduleSpec;
  if (s.name === 'slow-start-fast-decay') {
    if (!(num(s.warmupFraction) && s.warmupFraction >= 0 && s.warmupFraction < 1)) fail('warmupFraction', 'a number in [0, 1)', s.warmupFraction);
    if (s.warmupShape !== 'linear' && s.warmupShape !== 'cosine') fail('warmupShape', "'linear' or 'cosine'", s.warmupShape);
    if (!in01(s.startFactor)) fail('startFactor', 'a number in [0, 1]', s.startFactor);
    if (!['exponential', 'linear', 'cosine'].includes(s.decayShape)) fail('decayShape', "'exponential', 'linear' or 'cosine'", s.decayShape);
    if (!(num(s.decayRate) && s.decayRate >= 0)) fail('decayRate', 'a finite number >= 0', s.decayRate);
    if (!in01(s.minFactor)) fail('minFactor', 'a number in [0, 1]', s.minFactor);
    if (!(num(s.decayFraction) && s.decayFraction > 0 && s.decayFraction <= 1)) fail('decayFraction', 'a number in (0, 1]', s.decayFraction);
  } else if (s.name === 'piecewise') {
    if (!Array.isArray(s.boundaries) || !s.boundaries.every((b, i) => in01(b) && (i === 0 || b > s.boundaries[i - 1]!))) fail('boundaries', 'increasing numbers in [0, 1]', s.boundaries);
    if (!Array.isArray(s.factors) || s.factors.length !== s.boundaries.length + 1 || !s.factors.every((f) => num(f) && f >= 0)) fail('factors', `${s.boundaries.length + 1} numbers >= 0 (one more than boundaries)`, s.factors);
  } else if (s.name === 'cyclic') {
    if (!(Number.isInteger(s.cycles) && s.cycles >= 1)) fail('cycles', 'an integer >= 1', s.cycles);
    if (!(num(s.peakAt) && s.peakAt > 0 && s.peakAt < 1)) fail('peakAt', 'a number in (0, 1)', s.peakAt);
  }
  return s;
}

/** The factor function of a spec (partial specs are resolved first). */
export function scheduleFn(spec: Partial<ScheduleSpec> | ScheduleSpec = {}): ScheduleFn {
  const s = resolveSchedule(spec);
  const clampP = (p: number): number => Math.min(1, Math.max(0, p));
  switch (s.name) {
    case 'constant': return () => 1;
    case 'piecewise': return (p) => { const q = clampP(p); const i = s.boundaries.findIndex((b) => q < b); return s.factors[i < 0 ? s.factors.length - 1 : i]!; };
    case 'cyclic': return (p) => {
      const q = clampP(p) * s.cycles;
      const u = q >= s.cycles ? 1 : q - Math.floor(q);
      return u < s.peakAt ? u / s.peakAt : (1 - u) / (1 - s.peakAt);
    };
    case 'slow-start-fast-decay': return (p) => {
      const q = clampP(p);
      const tw = s.warmupFraction;
      if (q < tw) {
        const u = q / tw;
        const w = s.warmupShape === 'linear' ? u : (1 - Math.cos(Math.PI * u)) / 2;
        return s.startFactor + (1 - s.startFactor) * w;
      }
      const u = tw >= 1 ? 1 : (q - tw) / (1 - tw);
      if (s.decayShape === 'exponential') return Math.exp(-s.decayRate * u);
      if (s.decayShape === 'linear') return Math.max(s.minFactor, 1 - u / s.decayFraction);
      return s.minFactor + (1 - s.minFactor) * (1 + Math.cos(Math.PI * u)) / 2;
    };
  }
}

/** A LambdaLR-style function of the optimizer step for a run of totalSteps steps: step -> factor(step / totalSteps). */
export function lambdaFor(spec: Partial<ScheduleSpec> | ScheduleSpec, totalSteps: number): (step: number) => number {
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) throw new ConfigError(`schedule: totalSteps must be an integer >= 1, got ${totalSteps}`);
  const f = scheduleFn(spec);
  return (step) => f(step / totalSteps);
}

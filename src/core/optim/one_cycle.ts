/** @module OneCycleLR (torch.optim.lr_scheduler.OneCycleLR, PyTorch 1.13): warm-up to maxLr, then anneal to minLr. */
import { ConfigError } from '../errors.js';
import type { Optimizer, ParamGroup } from './optimizer.js';
import { LRScheduler } from './lr_scheduler.js';

/** OneCycleLR options (PyTorch's names in camelCase and defaults). */
export interface OneCycleOptions {
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}
interface Phase { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

/**
 * The 1cycle policy: lr rises from maxLr/divFactor to maxLr over pctStart of totalSteps, then falls to
 * initialLr/finalDivFactor; momentum (SGD) or beta1 (Adam) moves the opposite way when cycleMomentum.
 * Step it once per batch; stepping past totalSteps throws.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly cycleMomentum: boolean;
  readonly useBeta1: boolean;
  readonly annealStrategy: 'cos' | 'linear';
  private readonly phases: Phase[];

  constructor(optimizer: Optimizer<ParamGroup>, o: OneCycleOptions, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    const int = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;
    if (o.totalSteps === undefined && (o.epochs === undefined || o.stepsPerEpoch === undefined)) {
      throw new ConfigError('OneCycleLR: define either totalSteps or (epochs and stepsPerEpoch)');
    } else if (o.totalSteps !== undefined) {
      if (!int(o.totalSteps)) throw new ConfigError(`Invalid totalSteps: ${o.totalSteps} (totalSteps must be a positive integer)`);
      this.totalSteps = o.totalSteps;
    } else {
      if (!int(o.epochs)) throw new ConfigError(`Invalid epochs: ${o.epochs} (epochs must be a positive integer)`);
      if (!int(o.stepsPerEpoch)) {
        throw new ConfigError(`Invalid stepsPerEpoch: ${o.stepsPerEpoch} (stepsPerEpoch must be a positive integer)`);
      }
      this.totalSteps = o.epochs! * o.stepsPerEpoch!;
    }
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new ConfigError(`Invalid pctStart: ${pct} (pctStart must be in [0, 1])`);
    this.annealStrategy = o.annealStrategy ?? 'cos';
    if (this.annealStrategy !== 'cos' && this.annealStrategy !== 'linear') {
      throw new ConfigError(`Invalid annealStrategy: ${String(this.annealStrategy)} (annealStrategy must be 'cos' or 'linear')`);
    }
    const n = this.totalSteps;
    this.phases = o.threePhase ? [
      { endStep: pct * n - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
      { endStep: 2 * pct * n - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
      { endStep: n - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
    ] : [
      { endStep: pct * n - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
      { endStep: n - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
    ];
    const groups = this.groups as unknown as Record<string, unknown>[];
    const perGroup = (name: string, v: number | number[]): number[] => {
      if (!Array.isArray(v)) return groups.map(() => v);
      if (v.length !== groups.length) throw new ConfigError(`expected ${groups.length} values for ${name}, got ${v.length}`);
      return v;
    };
    const maxLrs = perGroup('maxLr', o.maxLr);
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g['initialLr'] = maxLrs[i]! / (o.divFactor ?? 25);
        g['maxLr'] = maxLrs[i]!;
        g['minLr'] = (g['initialLr'] as number) / (o.finalDivFactor ?? 1e4);
      });
      this.baseLrs = this.groups.map((g) => g.initialLr!);
    }
    this.cycleMomentum = o.cycleMomentum ?? true;
    const defaults = optimizer.defaults as unknown as Record<string, unknown>;
    this.useBeta1 = 'betas' in defaults;
    if (this.cycleMomentum) {
      if (!('momentum' in defaults) && !this.useBeta1) {
        throw new ConfigError('optimizer must support momentum with `cycleMomentum` option enabled');
      }
      const maxM = perGroup('maxMomentum', o.maxMomentum ?? 0.95);
      const baseM = perGroup('baseMomentum', o.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          this.setMomentum(g, maxM[i]!);
          g['maxMomentum'] = maxM[i]!;
          g['baseMomentum'] = baseM[i]!;
        });
      }
    }
    this.initialStep();
  }

  private setMomentum(g: Record<string, unknown>, m: number): void {
    if (this.useBeta1) g['betas'] = [m, ...(g['betas'] as number[]).slice(1)];
    else g['momentum'] = m;
  }
  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1);
  }

  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new ConfigError(`Tried to step ${step + 1} times. The specified number of total steps is ${this.totalSteps}`);
    }
    return (this.groups as unknown as Record<string, number>[]).map((g) => {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i]!;
        if (step <= ph.endStep || i === this.phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          if (this.cycleMomentum) {
            this.setMomentum(g, this.anneal(g[ph.startMomentum]!, g[ph.endMomentum]!, pct));
          }
          return this.anneal(g[ph.startLr]!, g[ph.endLr]!, pct);
        }
        start = ph.endStep;
      }
      throw new Error('unreachable');
    });
  }
}

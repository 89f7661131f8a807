/**
 * @module Robustness evaluation: clean, FGSM and PGD-k accuracies (with restarts) over a labelled source,
 * optional eps sweep, and a gradient-masking sanity check that flags accuracy not falling as steps and eps
 * grow, FGSM stronger than PGD, or robust accuracy above clean accuracy.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import type { AnyModule } from '../../core/nn/module.js';
import { fgsm, newCounter, pgd, type BnMode, type NormKind, type PassCounter } from './attacks.js';

/** Batches of inputs in [0, 1] and labels (a DataLoader fits). */
export interface RobustnessSource { readonly numBatches: number; batchAt(epoch: number, i: number): { x: Tensor; y: Tensor } }

/** Options of evaluateRobustness. */
export interface RobustnessOptions {
  eps: number;
  norm?: NormKind;
  /** PGD step counts to evaluate (default [20]). */
  steps?: number[];
  /** Restarts of every PGD attack (default 1). */
  restarts?: number;
  /** PGD step size (default 2.5 * eps / k for PGD-k). */
  stepSize?: number | null;
  /** Extra radii evaluated with the largest k (for the "accuracy falls with eps" check). */
  epsSweep?: number[];
  bnMode?: BnMode;
  normalize?: ((x: Tensor) => Tensor) | null;
  /** Evaluate only the first maxBatches batches. */
  maxBatches?: number | null;
  /** Tolerance of the monotonicity checks, as a fraction of examples (default 0: one example more is flagged). */
  tolerance?: number;
  /** Seed of libtorch's generator for the random starts (default: leave the generator alone). */
  seed?: number | null;
}

/** What evaluateRobustness returns. */
export interface RobustnessReport {
  examples: number;
  clean: number;
  fgsm: number;
  /** PGD-k accuracy by k (ascending). */
  pgd: { steps: number; accuracy: number }[];
  /** Accuracy under PGD-kmax by eps (ascending, including eps). */
  epsSweep: { eps: number; accuracy: number }[];
  /** Human-readable gradient-masking warnings (empty when none). */
  maskingFlags: string[];
  /** Passes spent by the attacks. */
  cost: PassCounter;
  seconds: number;
}

/** Clean / FGSM / PGD-k accuracies with a gradient-masking check; the model's modes and grads are left as found. */
export function evaluateRobustness(model: AnyModule, data: RobustnessSource, o: RobustnessOptions): RobustnessReport {
  if (!(Number.isFinite(o.eps) && o.eps > 0)) throw new ConfigError(`robustness option 'eps' must be a finite number > 0, got ${JSON.stringify(o.eps)}`);
  const steps = [...new Set(o.steps ?? [20])].sort((a, b) => a - b);
  if (!steps.length || !steps.every((k) => Number.isInteger(k) && k >= 1)) throw new ConfigError(`robustness option 'steps' must be a non-empty list of integers >= 1, got ${JSON.stringify(o.steps)}`);
  const sweep = [...new Set([...(o.epsSweep ?? []), o.eps])].sort((a, b) => a - b);
  if (!sweep.every((e) => Number.isFinite(e) && e >= 0)) throw new ConfigError(`robustness option 'epsSweep' must hold finite numbers >= 0, got ${JSON.stringify(o.epsSweep)}`);
  const nb = Math.min(data.numBatches, o.maxBatches ?? Infinity);
  if (!(nb >= 1)) throw new ConfigError(`robustness: the data source has ${data.numBatches} batches; it needs at least 1`);
  if (o.seed !== undefined && o.seed !== null) torch.manualSeed(o.seed);
  const t0 = Date.now();
  const cost = newCounter();
  const common = { norm: o.norm ?? 'linf', bnMode: o.bnMode ?? 'eval', normalize: o.normalize ?? null, counter: cost } as const;
  const kmax = steps[steps.length - 1]!;
  const pgdOpts = (eps: number, k: number) => ({ ...common, eps, steps: k, restarts: o.restarts ?? 1, ...(o.stepSize ? { stepSize: o.stepSize } : {}) });
  const mods = model.modules();
  const modes = mods.map((m) => m.training);
  let n = 0;
  let clean = 0;
  let fg = 0;
  const pg = steps.map(() => 0);
  const sw = sweep.map(() => 0);
  try {
    for (let i = 0; i < nb; i++) {
      const b = data.batchAt(0, i);
      try {
        torch.tidy(() => {
          const y = b.y.to('int64');
          const correct = (x: Tensor): number => {
            model.eval();
            const out = torch.noGrad(() => model.call(common.normalize ? common.normalize(x) : x) as Tensor);
            cost.forward++; cost.forwardExamples += x.size(0);
            return Number(out.argmax(1).eq(y).sum().item());
          };
          n += y.size(0);
          clean += correct(b.x);
          fg += correct(fgsm(model, b.x, y, { ...common, eps: o.eps }));
          steps.forEach((k, j) => { pg[j]! += correct(pgd(model, b.x, y, pgdOpts(o.eps, k))); });
          sweep.forEach((e, j) => {
            if (e === o.eps) return;
            sw[j]! += e === 0 ? correct(b.x) : correct(pgd(model, b.x, y, pgdOpts(e, kmax)));
          });
        });
      } finally { torch.dispose(b); }
    }
  } finally { mods.forEach((m, i) => { m.training = modes[i]!; }); }
  const acc = (c: number): number => c / n;
  const pgdRows = steps.map((k, j) => ({ steps: k, accuracy: acc(pg[j]!) }));
  const epsRows = sweep.map((e, j) => ({ eps: e, accuracy: e === o.eps ? pgdRows[pgdRows.length - 1]!.accuracy : acc(sw[j]!) }));
  const report: RobustnessReport = { examples: n, clean: acc(clean), fgsm: acc(fg), pgd: pgdRows, epsSweep: epsRows, maskingFlags: [], cost, seconds: (Date.now() - t0) / 1000 };
  report.maskingFlags = maskingFlags(report, o.tolerance ?? 0);
  return report;
}

/** The gradient-masking warnings of a report (tol: allowed rise, as a fraction of examples). */
export function maskingFlags(r: Pick<RobustnessReport, 'clean' | 'fgsm' | 'pgd' | 'epsSweep'>, tol = 0): string[] {
  const f: string[] = [];
  const eps = 1e-12 + tol;
  const pmin = Math.min(...r.pgd.map((p) => p.accuracy));
  if (r.fgsm > r.clean + eps) f.push(`FGSM accuracy ${r.fgsm.toFixed(4)} is above clean accuracy ${r.clean.toFixed(4)}`);
  for (const p of r.pgd) if (p.accuracy > r.clean + eps) f.push(`PGD-${p.steps} accuracy ${p.accuracy.toFixed(4)} is above clean accuracy ${r.clean.toFixed(4)}`);
  if (r.fgsm + eps < pmin) f.push(`FGSM (${r.fgsm.toFixed(4)}) is stronger than PGD (best ${pmin.toFixed(4)}): gradient masking suspected`);
  for (let j = 1; j < r.pgd.length; j++) {
    const a = r.pgd[j - 1]!;
    const b = r.pgd[j]!;
    if (b.accuracy > a.accuracy + eps) f.push(`accuracy rises with PGD steps: PGD-${a.steps} ${a.accuracy.toFixed(4)} < PGD-${b.steps} ${b.accuracy.toFixed(4)}`);
  }
  for (let j = 1; j < r.epsSweep.length; j++) {
    const a = r.epsSweep[j - 1]!;
    const b = r.epsSweep[j]!;
    if (b.accuracy > a.accuracy + eps) f.push(`accuracy rises with eps: eps ${a.eps} ${a.accuracy.toFixed(4)} < eps ${b.eps} ${b.accuracy.toFixed(4)}`);
  }
  return f;
}

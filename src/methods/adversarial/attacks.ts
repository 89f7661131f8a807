/**
 * @module Attacks: FGSM and PGD (L-infinity and L2; random start; step size; steps; restarts keeping the
 * per-example worst case; optional per-example early stop) on models whose inputs are in [0, 1]
 * (normalisation inside the model, or `normalize`). Gradients come from torch.autograd.grad with respect
 * to the perturbation only, so parameter .grad is never accumulated; the model's per-module train/eval
 * flags and every parameter's .grad are restored on exit (even on throw), and nothing leaks.
 */
import * as torch from '../../core/torch.js';
import type { Generator, Tensor } from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import type { AnyModule } from '../../core/nn/module.js';

/** Threat model: L-infinity or L2 ball of radius eps around the clean input. */
export type NormKind = 'linf' | 'l2';
/** BatchNorm (and dropout) mode while generating: 'eval' (default) or 'train' (Madry's convenience; running stats then move). */
export type BnMode = 'eval' | 'train';

/** Counts of batched forward and backward passes and of example passes (batch size x passes). */
export interface PassCounter { forward: number; backward: number; forwardExamples: number; backwardExamples: number }
/** A fresh zeroed PassCounter. */
export const newCounter = (): PassCounter => ({ forward: 0, backward: 0, forwardExamples: 0, backwardExamples: 0 });

/** Per-example objective the attack maximises: logits [B, K], labels [B] -> losses [B]. */
export type AttackObjective = (logits: Tensor, y: Tensor) => Tensor;

/** Options of pgd(); fgsm() fixes steps 1 and stepSize eps. */
export interface AttackOptions {
  /** Radius of the ball (in [0, 1] pixel units). */
  eps: number;
  norm?: NormKind;
  /** Iterations (default 10). */
  steps?: number;
  /** Step size alpha (default 2.5 * eps / steps, Madry et al.). */
  stepSize?: number;
  /** Start uniformly in the ball (true, default), at x (false), or at x + N(0, sigma^2) ({ normal: sigma }, TRADES). */
  randomStart?: boolean | { normal: number };
  /** Independent runs; each example keeps its worst case: misclassified first, then the higher loss (default 1). */
  restarts?: number;
  /** Stop updating an example once it is misclassified (default false). */
  earlyStop?: boolean;
  bnMode?: BnMode;
  /** Maps [0, 1] inputs to what the model expects (default identity). */
  normalize?: ((x: Tensor) => Tensor) | null;
  /** Objective per example (default cross entropy). */
  objective?: AttackObjective | null;
  /** Generator of the random start (default libtorch's global one). */
  generator?: Generator | null;
  /** Incremented with the passes spent. */
  counter?: PassCounter | null;
}

/** Per-example cross entropy. */
export const ceObjective: AttackObjective = (logits, y) => torch.crossEntropy(logits, y, null, 'none', -100, 0);

/** Checks attack options; errors name the field. */
export function checkAttackOptions(o: AttackOptions): void {
  const bad = (f: string, want: string, v: unknown): never => { throw new ConfigError(`attack option '${f}' must be ${want}, got ${JSON.stringify(v)}`); };
  if (!(Number.isFinite(o.eps) && o.eps >= 0)) bad('eps', 'a finite number >= 0', o.eps);
  if (o.norm !== undefined && o.norm !== 'linf' && o.norm !== 'l2') bad('norm', "'linf' or 'l2'", o.norm);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps >= 1)) bad('steps', 'an integer >= 1', o.steps);
  if (o.stepSize !== undefined && !(Number.isFinite(o.stepSize) && o.stepSize > 0)) bad('stepSize', 'a finite number > 0', o.stepSize);
  if (o.restarts !== undefined && !(Number.isInteger(o.restarts) && o.restarts >= 1)) bad('restarts', 'an integer >= 1', o.restarts);
  if (o.bnMode !== undefined && o.bnMode !== 'eval' && o.bnMode !== 'train') bad('bnMode', "'eval' or 'train'", o.bnMode);
}

/** Per-example L2 norms of [B, ...] as [B, 1, ..., 1] (for broadcasting). */
function rowNorms(t: Tensor): Tensor {
  const b = t.size(0);
  const shape = [b, ...new Array(t.dim() - 1).fill(1) as number[]];
  return t.reshape([b, -1]).norm(2, [1], true).reshape(shape);
}

/** Projects delta onto the eps-ball of the norm and keeps x + delta in [0, 1]. */
export function project(x: Tensor, delta: Tensor, eps: number, norm: NormKind): Tensor {
  return torch.tidy(() => {
    let d = norm === 'linf' ? delta.clamp(-eps, eps) : delta.mul(torch.clamp(rowNorms(delta).clamp(1e-12, null).reciprocal().mul(eps), null, 1));
    d = x.add(d).clamp(0, 1).sub(x);
    return d;
  });
}

/** A random start: uniform in the L-inf cube, uniform in the L2 ball (direction x radius^(1/n)), or small Gaussian. */
function initDelta(x: Tensor, eps: number, norm: NormKind, start: AttackOptions['randomStart'], g: Generator | null): Tensor {
  return torch.tidy(() => {
    if (start === false || eps === 0) return torch.zerosLike(x);
    if (typeof start === 'object') return torch.randn(x.shape, { generator: g }).mul(start.normal);
    if (norm === 'linf') return torch.rand(x.shape, { generator: g }).mul(2 * eps).sub(eps);
    const dir = torch.randn(x.shape, { generator: g });
    const n = x.numel() / x.size(0);
    const r = torch.rand([x.size(0)], { generator: g }).pow(1 / n).mul(eps).reshape(rowNorms(dir).shape);
    return dir.div(rowNorms(dir).clamp(1e-12, null)).mul(r);
  });
}

/** Runs fn with the model's flags set for generation, restoring per-module modes and parameter grads afterwards. */
export function withAttackState<R>(model: AnyModule, bnMode: BnMode, fn: () => R): R {
  const mods = model.modules();
  const modes = mods.map((m) => m.training);
  const params = model.parameters();
  const hadGrad = params.map((p) => torch.tidy(() => p.grad !== null));
  model.train(bnMode === 'train');
  try {
    return torch.enableGrad(fn);
  } finally {
    mods.forEach((m, i) => { m.training = modes[i]!; });
    params.forEach((p, i) => { if (!hadGrad[i] && torch.tidy(() => p.grad !== null)) p.grad = null; });
  }
}

/** One PGD run from a fresh start; returns the kept perturbation. */
function pgdRun(model: AnyModule, x: Tensor, y: Tensor, o: Required<Omit<AttackOptions, 'generator' | 'counter' | 'normalize' | 'objective'>> & AttackOptions): Tensor {
  const fwd = (xi: Tensor): Tensor => model.call(o.normalize ? o.normalize(xi) : xi) as Tensor;
  const obj = o.objective ?? ceObjective;
  const c = o.counter;
  const b = x.size(0);
  let delta = project(x, initDelta(x, o.eps, o.norm, o.randomStart, o.generator ?? null), o.eps, o.norm);
  for (let s = 0; s < o.steps; s++) {
    const next = torch.tidy(() => {
      const d = delta.detach().requiresGrad_(true);
      const logits = fwd(x.add(d));
      const losses = obj(logits, y);
      const [g] = torch.autograd.grad(losses.sum(), d, { retainGraph: false });
      if (c) { c.forward++; c.backward++; c.forwardExamples += b; c.backwardExamples += b; }
      const step = o.norm === 'linf' ? g!.sign() : g!.div(rowNorms(g!).clamp(1e-12, null));
      let nd = d.detach().add(step.mul(o.stepSize));
      if (o.earlyStop) {
        const active = logits.detach().argmax(1).eq(y).reshape(rowNorms(d).shape);
        nd = torch.where(active, nd, d.detach());
      }
      return project(x, nd, o.eps, o.norm);
    });
    delta.dispose();
    delta = next;
  }
  return delta;
}

/** PGD (Madry et al.): x_adv in the eps-ball around x and in [0, 1], detached; see AttackOptions for defaults. */
export function pgd(model: AnyModule, x: Tensor, y: Tensor, opts: AttackOptions): Tensor {
  checkAttackOptions(opts);
  const steps = opts.steps ?? 10;
  const o = {
    norm: 'linf' as NormKind, steps, stepSize: 2.5 * opts.eps / steps, randomStart: true, restarts: 1, earlyStop: false, bnMode: 'eval' as BnMode,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)), eps: opts.eps,
  } as Required<Omit<AttackOptions, 'generator' | 'counter' | 'normalize' | 'objective'>> & AttackOptions;
  const obj = o.objective ?? ceObjective;
  return withAttackState(model, o.bnMode, () => torch.tidy(() => {
    const xd = x.detach();
    const yl = y.to('int64');
    if (o.restarts === 1) return xd.add(pgdRun(model, xd, yl, o));
    let best: { xa: Tensor; key: Tensor } | null = null;
    for (let r = 0; r < o.restarts; r++) {
      const prev: { xa: Tensor; key: Tensor } | null = best;
      best = torch.tidy((): { xa: Tensor; key: Tensor } => {
        const xa = xd.add(pgdRun(model, xd, yl, o));
        const logits = torch.noGrad(() => model.call(o.normalize ? o.normalize(xa) : xa) as Tensor);
        if (o.counter) { o.counter.forward++; o.counter.forwardExamples += xd.size(0); }
        // key: misclassified examples rank above all correct ones, then by loss
        const loss = torch.noGrad(() => obj(logits, yl));
        const key = loss.add(logits.argmax(1).ne(yl).to('float32').mul(1e9));
        if (!prev) return { xa, key };
        const take = key.gt(prev.key);
        return { xa: torch.where(take.reshape(rowNorms(xa).shape), xa, prev.xa), key: torch.where(take, key, prev.key) };
      });
      if (prev) torch.dispose(prev);
    }
    torch.dispose(best!.key);
    return best!.xa;
  }));
}

/** FGSM (Goodfellow et al.): one step of size eps (L-inf sign step; L2 normalised step) from x; with randomStart and stepSize it is Wong et al.'s "fast" FGSM. */
export function fgsm(model: AnyModule, x: Tensor, y: Tensor, opts: Omit<AttackOptions, 'steps' | 'restarts' | 'earlyStop'>): Tensor {
  return pgd(model, x, y, { randomStart: false, stepSize: opts.eps, ...opts, steps: 1, restarts: 1, earlyStop: false });
}

/** Accuracy (fraction correct) of model on x under the given BN mode, without gradients; restores modes. */
export function accuracyOn(model: AnyModule, x: Tensor, y: Tensor, normalize?: ((x: Tensor) => Tensor) | null): number {
  const mods = model.modules();
  const modes = mods.map((m) => m.training);
  model.eval();
  try {
    return torch.noGrad(() => torch.tidy(() => {
      const out = model.call(normalize ? normalize(x) : x) as Tensor;
      return Number(out.argmax(1).eq(y.to('int64')).to('float32').mean().item());
    }));
  } finally { mods.forEach((m, i) => { m.training = modes[i]!; }); }
}

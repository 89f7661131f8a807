/** @module Autograd glue: grad modes (thread-local in libtorch; JS runs them on one thread) and torch.autograd.grad. */
import { native as N } from './tensor/native.js';
import { Tensor, hs, wrapAll } from './tensor/tensor.js';

function guardSync<R>(r: R, name: string): R {
  if (r && typeof (r as { then?: unknown }).then === 'function') {
    throw new TypeError(`${name}(fn): fn must be synchronous; the mode would leak into other async work`);
  }
  return r;
}

function withGradMode<R>(enabled: boolean, fn: () => R, name: string): R {
  const prev: boolean = N.isGradEnabled!();
  N.setGradEnabled!(enabled);
  try {
    return guardSync(fn(), name);
  } finally {
    N.setGradEnabled!(prev);
  }
}

/** Runs fn with gradient recording off (torch.no_grad). */
export const noGrad = <R>(fn: () => R): R => withGradMode(false, fn, 'noGrad');
/** Runs fn with gradient recording on, even inside noGrad (torch.enable_grad). */
export const enableGrad = <R>(fn: () => R): R => withGradMode(true, fn, 'enableGrad');
export const isGradEnabled = (): boolean => N.isGradEnabled!();
export const setGradEnabled = (enabled: boolean): void => { N.setGradEnabled!(enabled); };

/** Runs fn in inference mode (torch.inference_mode): faster than noGrad; its outputs can never join a graph. */
export function inferenceMode<R>(fn: () => R): R {
  N.enterInferenceMode!();
  try {
    return guardSync(fn(), 'inferenceMode');
  } finally {
    N.exitInferenceMode!();
  }
}
export const isInferenceModeEnabled = (): boolean => N.isInferenceMode!();

export interface GradOptions {
  /** Vector-Jacobian seeds, one per output (null for a scalar output). */
  gradOutputs?: (Tensor | null)[];
  /** Keep the graph for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Build a graph of the gradient itself, for higher-order derivatives. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/** Gradients of outputs with respect to inputs, without touching .grad (torch.autograd.grad). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], o: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const seeds = o.gradOutputs?.map((g) => (g ? g.handle : null)) ?? null;
  const res: unknown[] = N.autogradGrad!(hs(outs), hs(ins), seeds, o.retainGraph ?? null, o.createGraph ?? false,
    o.allowUnused ?? false);
  return res.map((x) => (x === null ? null : wrapAll([x])[0]!));
}

export const autograd = { grad, noGrad, enableGrad };

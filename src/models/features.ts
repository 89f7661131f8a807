/**
 * @module FeatureExtractor: a FeatureModel's taps at inference time, in graph mode where that cannot change the
 * result. Feature tables (anomaly Gaussians, PaDiM, domain similarity, AKC's source features) run the same frozen
 * network over many batches; graph mode (torch.jit.compile: traced, frozen, optimize_for_inference) runs them
 * without the JS forward's per-op overhead and with conv-BN folding.
 *
 * Graph mode is used for a call only when its semantics equal the eager forward's: gradients off (noGrad), every
 * module in eval mode and no forward hooks on the model. Otherwise (and after a forward that cannot be traced,
 * GraphModeError) the call runs eagerly, so a caller never gets a different kind of result, only a faster one.
 * The graphs follow the weights (re-traced when they change) and are freed by dispose().
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import type { FeatureModel } from './base.js';

/** Options of FeatureExtractor. */
export interface FeatureExtractorOptions {
  /** Graph mode where it is safe (default true); false: always the eager forwardFeatures. */
  graph?: boolean;
}

/** forwardFeatures(x, names) for inference, in graph mode where it is safe (see the module comment). */
export class FeatureExtractor {
  readonly model: FeatureModel;
  readonly names: readonly string[];
  readonly #fwd: torch.jit.GraphOrEager;
  /** Calls answered by the graph and by the eager forward (for tests and progress logs). */
  readonly calls = { graph: 0, eager: 0 };

  constructor(model: FeatureModel, names: readonly string[], opts: FeatureExtractorOptions = {}) {
    if (!Array.isArray(names) || names.length === 0) throw new RangeError(`FeatureExtractor: names must be a non-empty array of taps, got ${JSON.stringify(names)}`);
    if (opts.graph !== undefined && typeof opts.graph !== 'boolean') throw new TypeError(`FeatureExtractor: graph must be a boolean, got ${JSON.stringify(opts.graph)}`);
    this.model = model;
    this.names = [...names];
    const taps = (x: Tensor): Tensor[] => { const f = model.forwardFeatures(x, this.names); return this.names.map((n) => f.get(n)!); };
    this.#fwd = new torch.jit.GraphOrEager(model, taps, { enabled: opts.graph ?? true, forward: taps });
  }

  /** True while graph mode is available (false when disabled, disposed, or after a forward that cannot be traced). */
  get graphMode(): boolean { return this.#fwd.graph; }

  /** True when a graph would give this call the eager forward's result: no gradients, eval mode, no hooks. */
  #safe(): boolean {
    return !torch.isGradEnabled() && !this.model.hasHooks() && this.model.modules().every((m) => !m.training);
  }

  /** The taps of x by name, in the order of `names` (owned by the caller's tidy scope). */
  run(x: Tensor): Map<string, Tensor> {
    const { out, graph } = this.#fwd.run([x], this.#fwd.graph && this.#safe());
    this.calls[graph ? 'graph' : 'eager']++;
    return new Map(this.names.map((n, i) => [n, (out as Tensor[])[i]!]));
  }

  /** Frees the graphs (the model stays the caller's); later calls run eagerly. Safe to call twice. */
  dispose(): void { this.#fwd.dispose(); }
  [Symbol.dispose](): void { this.dispose(); }
}

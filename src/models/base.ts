/**
 * @module FeatureModel: the base of every model in src/models. It adds to nn.Module
 *  - named feature taps: forwardFeatures(x, ['layer2', 'pool', 'logits']) runs the network once
 *    (and only as far as the last requested tap) and returns a Map name -> tensor. A tap is either a
 *    stage name of the model (`tapNames`, e.g. stem, layer1..4, pool, logits) or the dotted path of any
 *    submodule ('layer3.1', 'layer1.0.conv2'), captured with a temporary forward hook;
 *  - a uniform classifier-head API (timm's getClassifier/resetClassifier): featureDim, numClasses,
 *    resetClassifier(n) (a new Linear, PyTorch init; 0 gives an Identity head), reinitClassifier(),
 *    imprintClassifier(features, labels) (weights = L2-normalised class means, bias 0).
 * The returned tensors follow the usual ownership rules (the caller's tidy scope owns them).
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { Module, type AnyModule, type RemovableHandle } from '../core/nn/module.js';
import { Linear, Identity } from '../core/nn/layers/linear.js';

/** One stage of a model's forward pass: its tap name, the top-level children it runs, and the computation. */
export interface Stage {
  name: string;
  modules: readonly string[];
  run: (x: Tensor) => Tensor;
}

/** Options of imprintClassifier. */
export interface ImprintOptions {
  /** Number of classes of the new head (default: max label + 1). Every class needs at least one sample. */
  numClasses?: number;
  /** Multiplies the unit-norm class weights (a temperature; default 1). */
  scale?: number;
  /** L2-normalise each feature before averaging (Qi et al. 2018; default true). */
  normalizeFeatures?: boolean;
}

/** The classifier head: a Linear, or Identity after resetClassifier(0). */
export type Classifier = Linear | Identity;

/** An nn.Module with named feature taps and a replaceable classifier head (registered as `headName`). */
export abstract class FeatureModel extends Module<[Tensor], Tensor> {
  /** Dimension of the pooled features fed to the head (the 'pool' tap). */
  abstract readonly featureDim: number;
  /** Registry name of the head ('fc' for every model here, as torchvision). */
  protected readonly headName: string = 'fc';
  #head: Classifier | null = null;

  /** The model's stages in forward order; the last one must be 'logits' (the head). */
  protected abstract stages(): Stage[];

  /** Registers the head (used by subclasses in the constructor and by resetClassifier). */
  protected setHead(head: Classifier): Classifier {
    this.#head = this.registerModule(this.headName, head);
    return head;
  }
  /** Runs the current head (for the subclasses' 'logits' stage). */
  protected runHead(x: Tensor): Tensor { return this.getClassifier().call(x); }

  /** Stage tap names in forward order (e.g. stem, layer1..layer4, pool, logits). */
  get tapNames(): string[] { return this.stages().map((s) => s.name); }
  /** Each stage's tap name and the top-level children it runs, in forward order (read-only; e.g. partial freezing). */
  get stageModules(): { name: string; modules: readonly string[] }[] { return this.stages().map((s) => ({ name: s.name, modules: s.modules })); }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const s of this.stages()) y = s.run(y);
    return y;
  }

  /**
   * Runs the network once and returns the requested taps (stage names or submodule paths) by name, in the
   * order asked; stops after the last stage a tap needs. Throws naming the valid taps for an unknown name.
   */
  forwardFeatures(x: Tensor, names: readonly string[]): Map<string, Tensor> {
    const stages = this.stages();
    const stageIdx = new Map(stages.map((s, i) => [s.name, i]));
    const ownerIdx = new Map<string, number>();
    stages.forEach((s, i) => s.modules.forEach((m) => ownerIdx.set(m, i)));
    const got = new Map<string, Tensor>();
    const handles: RemovableHandle[] = [];
    let last = -1;
    try {
      for (const n of names) {
        const si = stageIdx.get(n);
        if (si !== undefined) { last = Math.max(last, si); continue; }
        const owner = ownerIdx.get(n.split('.')[0]!);
        let mod: AnyModule | null = null;
        try { mod = owner === undefined ? null : this.getSubmodule(n); } catch { mod = null; }
        if (owner === undefined || mod === null) {
          throw new RangeError(`${this.constructor.name}.forwardFeatures: unknown tap '${n}'; taps are ` +
            `${stages.map((s) => s.name).join(', ')} or a submodule path such as '${stages[1]?.modules[0] ?? 'fc'}.0'`);
        }
        last = Math.max(last, owner);
        handles.push(mod.registerForwardHook((_m: AnyModule, _i: unknown, out: unknown) => { got.set(n, out as Tensor); }));
      }
      let y = x;
      for (let i = 0; i <= last; i++) {
        y = stages[i]!.run(y);
        if (names.includes(stages[i]!.name)) got.set(stages[i]!.name, y);
      }
    } finally {
      for (const h of handles) h.remove();
    }
    return new Map(names.map((n) => [n, got.get(n)!]));
  }

  /** The pooled features [N, featureDim] (the 'pool' tap), the input of the head. */
  forwardPooled(x: Tensor): Tensor { return this.forwardFeatures(x, ['pool']).get('pool')!; }

  /**
   * forwardFeatures(x, names) in graph mode (torch.jit.compile: traced, frozen, optimize_for_inference; one graph
   * per input shape, re-traced when the weights change): forward(x) returns the taps as an array in the order of
   * `names`. Inference only (eval semantics, no gradients); dispose() frees the graphs.
   */
  compileFeatures(names: readonly string[], opts: Omit<torch.jit.CompileOptions, 'forward'> = {}): torch.jit.CompiledModule {
    const list = [...names];
    return torch.jit.compile(this, undefined, { ...opts, forward: (x: Tensor) => { const f = this.forwardFeatures(x, list); return list.map((n) => f.get(n)!); } });
  }

  /** The current classifier head. */
  getClassifier(): Classifier {
    if (!this.#head) throw new TypeError(`${this.constructor.name}: no classifier head registered`);
    return this.#head;
  }
  /** The classifier head under its torchvision name (same as getClassifier()). */
  get fc(): Classifier { return this.getClassifier(); }
  /** Number of outputs of the head (featureDim for an Identity head). */
  get numClasses(): number {
    const h = this.getClassifier();
    return h instanceof Linear ? h.outFeatures : this.featureDim;
  }

  /** Replaces the head with a fresh Linear(featureDim, numClasses) (PyTorch's init), or Identity for 0; disposes the old one. */
  resetClassifier(numClasses: number): Classifier {
    if (!Number.isInteger(numClasses) || numClasses < 0) {
      throw new RangeError(`resetClassifier: numClasses must be an integer >= 0, got ${numClasses}`);
    }
    const old = this.getClassifier();
    const ref = old instanceof Linear ? old.weight : this.parameters()[0];
    const o = ref ? { dtype: ref.dtype, device: ref.device } : {};
    const head = numClasses === 0 ? new Identity() : new Linear(this.featureDim, numClasses, o);
    if (!this.training) head.eval();
    this.setHead(head);
    old.dispose();
    return head;
  }
  /** Re-initialises the Linear head in place (PyTorch's Linear init); no-op for an Identity head. */
  reinitClassifier(): void {
    const h = this.getClassifier();
    if (h instanceof Linear) h.resetParameters();
  }

  /**
   * Imprints the head from labelled pooled features [N, featureDim] and int64 labels [N]: a new Linear whose
   * row c is scale * normalize(mean of class c's (normalised) features), bias 0. Throws naming empty classes.
   */
  imprintClassifier(features: Tensor, labels: Tensor, o: ImprintOptions = {}): Linear {
    if (features.ndim !== 2 || features.size(1) !== this.featureDim) {
      throw new RangeError(`imprintClassifier: features must be [N, ${this.featureDim}], got [${features.shape.join(', ')}]`);
    }
    if (labels.ndim !== 1 || labels.size(0) !== features.size(0)) {
      throw new RangeError(`imprintClassifier: labels must be [${features.size(0)}], got [${labels.shape.join(', ')}]`);
    }
    const scale = o.scale ?? 1;
    if (!(scale > 0)) throw new RangeError(`imprintClassifier: scale must be > 0, got ${scale}`);
    const scalar = (f: () => Tensor): number => torch.tidy(() => Number(f().item()));
    const maxLabel = labels.numel() ? scalar(() => labels.max()) : -1;
    const minLabel = labels.numel() ? scalar(() => labels.min()) : 0;
    const k = o.numClasses ?? maxLabel + 1;
    if (!Number.isInteger(k) || k < 1 || maxLabel >= k || minLabel < 0) {
      throw new RangeError(`imprintClassifier: labels must lie in [0, ${k - 1}] (numClasses ${k}), got [${minLabel}, ${maxLabel}]`);
    }
    const weight = torch.noGrad(() => torch.tidy(() => {
      const f = features.detach().to('float32');
      const fn = o.normalizeFeatures === false ? f : torch.div(f, torch.clamp(torch.vectorNorm(f, 2, 1, true), 1e-12));
      const onehot = torch.oneHot(labels.to('int64'), k).to('float32'); // [N, k]
      const counts = onehot.sum(0);
      const empty = [...(counts.data() as Float32Array)].flatMap((c, i) => (c === 0 ? [i] : []));
      if (empty.length) throw new RangeError(`imprintClassifier: no samples for class(es) ${empty.join(', ')}`);
      const means = torch.div(torch.mm(onehot.t(), fn), counts.unsqueeze(1));
      return torch.div(means, torch.clamp(torch.vectorNorm(means, 2, 1, true), 1e-12)).mul(scale);
    }));
    const head = this.resetClassifier(k) as Linear;
    torch.noGrad(() => { head.weight.copy_(weight); head.bias?.zero_(); });
    weight.dispose();
    return head;
  }
}

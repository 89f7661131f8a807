/** @module Containers: Sequential, ModuleList, ModuleDict (children named '0', '1', ... or by key, as PyTorch). */
import type { Tensor } from '../../torch.js';
import { Module, releaseIntermediate, type AnyModule } from '../module.js';

/** Runs its children in order; child i is named String(i). */
export class Sequential extends Module<[Tensor], Tensor> {
  constructor(...layers: AnyModule[]) {
    super();
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  /** Appends a module (named by its index). */
  append(m: AnyModule): this { this.registerModule(String(this.length), m); return this; }
  /** Number of children. */
  get length(): number { return this.children().length; }
  /** Child i (negative counts from the end). */
  at(i: number): AnyModule {
    const c = this.children();
    const m = c[i < 0 ? i + c.length : i];
    if (!m) throw new RangeError(`Sequential.at(${i}): index out of range for ${c.length} modules`);
    return m;
  }
  forward(x: Tensor): Tensor {
    let y = x;
    let prev: AnyModule | null = null;
    for (const m of this.children()) {
      const z = m.call(y);
      // grad off: child i's output is freed once child i + 1 has used it (not x, not a returned input)
      if (prev && z !== y) releaseIntermediate(y, this, prev, m);
      prev = m;
      y = z;
    }
    return y;
  }
  [Symbol.iterator](): Iterator<AnyModule> { return this.children()[Symbol.iterator](); }
}

/** A list of modules (registered as '0', '1', ...); has no forward. */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<never[], never> {
  constructor(modules: M[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }
  /** Appends a module. */
  append(m: M): this { this.registerModule(String(this.length), m); return this; }
  /** Number of modules. */
  get length(): number { return this.children().length; }
  /** Module i (negative counts from the end). */
  at(i: number): M {
    const c = this.children() as M[];
    const m = c[i < 0 ? i + c.length : i];
    if (!m) throw new RangeError(`ModuleList.at(${i}): index out of range for ${c.length} modules`);
    return m;
  }
  forward(): never { throw new TypeError('ModuleList has no forward(); iterate over it and call the modules'); }
  [Symbol.iterator](): Iterator<M> { return (this.children() as M[])[Symbol.iterator](); }
}

/** Modules by name (insertion order); has no forward. */
export class ModuleDict<M extends AnyModule = AnyModule> extends Module<never[], never> {
  constructor(modules: Record<string, M> | [string, M][] = {}) {
    super();
    for (const [k, m] of Array.isArray(modules) ? modules : Object.entries(modules)) this.set(k, m);
  }
  /** Adds or replaces the module under key. */
  set(key: string, m: M): this { this.registerModule(key, m); return this; }
  /** The module under key; throws naming the key when absent. */
  get(key: string): M {
    const hit = this.namedChildren().find(([k]) => k === key);
    if (!hit) throw new RangeError(`ModuleDict: no module '${key}' (have ${this.keys().join(', ')})`);
    return hit[1] as M;
  }
  /** Whether key is present. */
  has(key: string): boolean { return this.namedChildren().some(([k]) => k === key); }
  /** Keys in insertion order. */
  keys(): string[] { return this.namedChildren().map(([k]) => k); }
  /** [key, module] pairs. */
  entries(): [string, M][] { return this.namedChildren() as [string, M][]; }
  forward(): never { throw new TypeError('ModuleDict has no forward(); get a module and call it'); }
}

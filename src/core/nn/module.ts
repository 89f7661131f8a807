/**
 * @module nn.Module: the base class of every layer.
 *
 * Registration is explicit (no Proxy, no reflection over fields): a module
 * declares its state by calling
 *   this.weight = this.registerParameter('weight', torch.empty([out, inF]));
 *   this.registerBuffer('running_mean', torch.zeros([n]));
 *   this.fc = this.registerModule('fc', new Linear(4, 2));
 * Each call stores the object in an ordered registry (a Map, insertion order as
 * in PyTorch) and returns it, so the typed field and the registry hold the SAME
 * object. Names are PyTorch's (snake_case where PyTorch has it: `running_mean`,
 * `num_batches_tracked`, `weight_ih`), so stateDict() keys map 1:1 onto
 * PyTorch/torchvision checkpoints (`layer1.0.conv1.weight`).
 *
 * Rules: never reassign a registered field without calling register* again
 * (stateDict, to(), loadStateDict act on the registry; to() and loadStateDict()
 * change data in place, so field and registry stay the same object).
 * registerParameter/registerBuffer take the tensor out of any tidy() scope
 * (keep()); the module owns it until dispose(). Replacing a registered entry
 * does not dispose the old one (call old.dispose() if you no longer need it).
 *
 * Deviations from PyTorch: parameters()/namedParameters()/... return arrays,
 * not generators; stateDict() returns the module's own tensors (not detached
 * copies; do not dispose them); zeroGrad() defaults to setToNone = true (as in
 * PyTorch 2.x); forward is called through call() (JS has no __call__).
 */
import * as torch from '../torch.js';
import { Tensor, keep } from '../torch.js';
import { callScope, freeIntermediate } from '../tensor/scope.js';
import type { DType } from '../torch.js';
import { CheckpointError, ShapeError } from '../errors.js';

/** A handle returned by register*Hook; remove() unregisters the hook. */
export interface RemovableHandle { remove(): void }
/** Forward hook: sees the module, its inputs and output; may return a replacement output. */
export type ForwardHook<In extends unknown[], Out> = (module: Module<In, Out>, input: In, output: Out) => Out | void;
/** Forward pre-hook: sees the inputs before forward; may return replacement inputs. */
export type ForwardPreHook<In extends unknown[], Out> = (module: Module<In, Out>, input: In) => In | void;
/** A state dict: dotted PyTorch names to tensors (a Map keeps PyTorch's order). */
export type StateDict = Map<string, Tensor> | Record<string, Tensor>;
/**
 * Target of Module.to(): a dtype, a device, or an object with either and/or a memory format ('channelsLast':
 * 4-D parameters and buffers get NHWC strides, PyTorch's module.to(memory_format=torch.channels_last)).
 */
export type ModuleTo = DType | string | { dtype?: DType; device?: string; memoryFormat?: 'contiguousFormat' | 'channelsLast' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

const shapeStr = (s: number[]): string => `[${s.join(', ')}]`;
let hookId = 0;
/** Forward hooks and pre-hooks registered on any module and not removed (Module.call frees early only when 0). */
let liveHooks = 0;
const isModule = (o: object): boolean => o instanceof Module;

/**
 * For containers (Sequential): in a no-grad call with early freeing on, frees t, an intermediate the
 * container made and has just passed from `producer` to `consumer`, unless the container sets
 * keepsForwardState or either child may keep it (it sits in their fields or their descendants', or one of
 * them sets keepsForwardState) - what refcounting gives PyTorch's nn.Sequential.
 */
export function releaseIntermediate(t: Tensor, container: AnyModule, producer: AnyModule, consumer: AnyModule): void {
  if (liveHooks !== 0 || container.keepsForwardState || torch.isGradEnabled()) return;
  freeIntermediate(t, reachableState([producer, consumer]), isModule, producer.constructor.name);
}

/**
 * The public field values of the given modules and of every module reachable from them (registered
 * children, modules held in fields), modules themselves left out: where a forward may have left a tensor.
 * Null when one of those modules sets keepsForwardState (it may keep tensors where no field shows them).
 */
function reachableState(roots: AnyModule[]): unknown[] | null {
  const out: unknown[] = [];
  const seen = new Set<AnyModule>();
  const stack = [...roots];
  while (stack.length) {
    const m = stack.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    if (m.keepsForwardState) return null;
    for (const v of Object.values(m)) {
      if (v instanceof Module) stack.push(v); else if (v !== null && typeof v === 'object') out.push(v); else if (typeof v === 'function') return null;
    }
    for (const c of m.children()) stack.push(c);
  }
  return out;
}

/** Base class: subclasses register state in the constructor and implement forward(). */
export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** True in training mode (train()), false after eval(). */
  training = true;
  /**
   * Set true in a module whose forward keeps tensors it made where call() cannot see them (private `#`
   * fields, another object): then its no-grad calls free nothing early. Tensors stored in its own
   * public fields (also in arrays, plain objects, Maps) need no flag.
   */
  keepsForwardState = false;
  readonly #params = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #nonPersistent = new Set<string>();
  readonly #modules = new Map<string, AnyModule | null>();
  // Stored loosely typed (typed at registration) so that Module<A, B> stays assignable to AnyModule.
  readonly #hooks = new Map<number, (m: AnyModule, input: unknown[], output: unknown) => unknown>();
  readonly #preHooks = new Map<number, (m: AnyModule, input: unknown[]) => unknown>();

  /** The computation; call it through call() so hooks run. */
  abstract forward(...input: In): Out;

  /** Runs pre-hooks, forward and forward hooks (PyTorch's module(x)). */
  call(...input: In): Out {
    // Grad off and no hooks anywhere: free this call's intermediates as it returns (PyTorch frees them as
    // their last reference goes), keeping its result and what is stored on the fields of this module and
    // of the modules below it.
    // Hooks see inputs and outputs and may keep them, so any registered hook turns this off.
    if (liveHooks === 0 && !this.keepsForwardState && !torch.isGradEnabled()) {
      return callScope(() => this.forward(...input), () => reachableState([this]), isModule, this.constructor.name);
    }
    let args = input;
    for (const h of [...this.#preHooks.values()]) { const r = h(this, args); if (r !== undefined) args = r as In; }
    let out = this.forward(...args);
    for (const h of [...this.#hooks.values()]) { const r = h(this, args, out); if (r !== undefined) out = r as Out; }
    return out;
  }

  // --- registration --------------------------------------------------------
  /** Registers (or, with null, declares absent) a parameter; makes it a kept leaf that requires grad. */
  registerParameter<T extends Tensor | null>(name: string, t: T, opts: { requiresGrad?: boolean } = {}): T {
    this.#checkName(name, 'parameter');
    if (t !== null) {
      if (!t.isLeaf) throw new TypeError(`registerParameter('${name}'): the tensor is not a leaf (detach() it first)`);
      keep(t);
      t.requiresGrad = opts.requiresGrad ?? true;
    }
    this.#params.set(name, t);
    return t;
  }
  /** Registers a buffer (state that is not trained: running stats); persistent ones appear in stateDict(). */
  registerBuffer<T extends Tensor | null>(name: string, t: T, opts: { persistent?: boolean } = {}): T {
    this.#checkName(name, 'buffer');
    if (t !== null) keep(t);
    this.#buffers.set(name, t);
    if (opts.persistent === false) this.#nonPersistent.add(name); else this.#nonPersistent.delete(name);
    return t;
  }
  /** Registers (or replaces) a child module under name (PyTorch's add_module / attribute assignment). */
  registerModule<M extends AnyModule | null>(name: string, m: M): M {
    this.#checkName(name, 'module');
    this.#modules.set(name, m);
    return m;
  }
  #checkName(name: string, kind: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(`register ${kind}: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    }
    const clash = (kind !== 'parameter' && this.#params.has(name)) || (kind !== 'buffer' && this.#buffers.has(name)) ||
      (kind !== 'module' && this.#modules.has(name));
    if (clash) throw new TypeError(`register ${kind}: '${name}' is already registered as another kind`);
  }

  // --- traversal -----------------------------------------------------------
  /** Direct children with their names. */
  namedChildren(): [string, AnyModule][] {
    return [...this.#modules].filter((e): e is [string, AnyModule] => e[1] !== null);
  }
  /** Direct children. */
  children(): AnyModule[] { return this.namedChildren().map((e) => e[1]); }
  /** This module and every descendant with dotted names ('' for this one), each module once. */
  namedModules(prefix = '', seen = new Set<AnyModule>()): [string, AnyModule][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, AnyModule][] = [[prefix, this]];
    for (const [n, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n, seen));
    return out;
  }
  /** This module and every descendant. */
  modules(): AnyModule[] { return this.namedModules().map((e) => e[1]); }
  /** The descendant at a dotted path ('layer1.0.conv1'); throws naming the missing part. */
  getSubmodule(target: string): AnyModule {
    if (target === '') return this;
    let m: AnyModule = this;
    for (const part of target.split('.')) {
      const next = m.#modules.get(part);
      if (!next) throw new TypeError(`getSubmodule('${target}'): ${m.constructor.name} has no submodule '${part}'`);
      m = next;
    }
    return m;
  }

  #named(kind: 'p' | 'b', prefix: string, recurse: boolean, persistentOnly = false): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, AnyModule][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      const reg = kind === 'p' ? m.#params : m.#buffers;
      for (const [n, t] of reg) {
        if (t === null || seen.has(t)) continue;
        if (persistentOnly && m.#nonPersistent.has(n)) continue;
        seen.add(t);
        out.push([mp ? `${mp}.${n}` : n, t]);
      }
    }
    return out;
  }
  /** [name, parameter] pairs, dotted names, shared parameters once; the module's own Tensor objects. */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] { return this.#named('p', prefix, recurse); }
  /** The parameters (the module's own Tensor objects: no new handles). */
  parameters(recurse = true): Tensor[] { return this.namedParameters('', recurse).map((e) => e[1]); }
  /** [name, buffer] pairs with dotted names. */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] { return this.#named('b', prefix, recurse); }
  /** The buffers. */
  buffers(recurse = true): Tensor[] { return this.namedBuffers('', recurse).map((e) => e[1]); }

  // --- modes ---------------------------------------------------------------
  /** Sets training mode on this module and all descendants (PyTorch's train(mode)). */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Evaluation mode (train(false)). */
  eval(): this { return this.train(false); }
  /** Sets requiresGrad on every parameter (freeze with requiresGrad_(false)). */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }
  /** Drops (default, as in PyTorch 2.x) or zeroes every parameter's gradient. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) { p.grad = null; continue; }
      const g = p.grad;
      if (g) { torch.noGrad(() => g.zero_()); g.dispose(); }
    }
  }
  /** Calls fn on every descendant, then on this module (PyTorch's order). */
  apply(fn: (m: AnyModule) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }
  /** Converts parameters and buffers in place (identity kept): floating ones to dtype, all to device, 4-D ones to memoryFormat. */
  to(target: ModuleTo): this {
    const o = typeof target === 'string'
      ? (torch.isFloating(target as DType) || ['int64', 'int32', 'bool', 'uint8', 'int8', 'int16', 'complex64', 'complex128']
        .includes(target) ? { dtype: target as DType } : { device: target })
      : target;
    const format = 'memoryFormat' in o ? o.memoryFormat : undefined;
    const convert = (t: Tensor): void => {
      const dtype = o.dtype && torch.isFloating(t.dtype) ? o.dtype : undefined;
      const fmt = format && t.ndim === 4 ? format : undefined;
      if (!dtype && !o.device && !fmt) return;
      const conv = (x: Tensor): Tensor => torch.tidy(() => {
        const y = dtype || o.device ? x.to({ dtype, device: o.device }) : x;
        return fmt ? y.contiguous(fmt) : y;
      });
      torch.noGrad(() => {
        const n = conv(t);
        if (n !== t) { t.setData(n); n.dispose(); }
        const g = t.grad;
        if (g) { const ng = conv(g); if (ng !== g) { t.grad = ng; ng.dispose(); g.dispose(); } }
      });
    };
    const seen = new Set<Tensor>();
    for (const m of this.modules()) {
      for (const t of [...m.#params.values(), ...m.#buffers.values()]) {
        if (t && !seen.has(t)) { seen.add(t); convert(t); }
      }
    }
    return this;
  }
  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const m of this.modules()) {
      for (const t of [...m.#params.values(), ...m.#buffers.values()]) t?.dispose();
    }
  }

  /**
   * Graph mode (torch.jit.compile): a CompiledModule whose forward runs a traced, frozen and
   * optimize_for_inference'd TorchScript graph of this module (inference only, eval semantics).
   */
  compile(example?: Tensor | Tensor[], opts?: torch.jit.CompileOptions): torch.jit.CompiledModule {
    return torch.jit.compile(this, example, opts);
  }

  // --- hooks ---------------------------------------------------------------
  /** fn(module, input, output) runs after forward; returning a value replaces the output. */
  registerForwardHook(fn: ForwardHook<In, Out>): RemovableHandle {
    const id = hookId++;
    this.#hooks.set(id, fn as (m: AnyModule, input: unknown[], output: unknown) => unknown);
    liveHooks++;
    return { remove: () => { if (this.#hooks.delete(id)) liveHooks--; } };
  }
  /** Whether this module or a descendant has forward hooks or pre-hooks (graph mode would run them only while tracing). */
  hasHooks(): boolean {
    return this.modules().some((m) => m.#hooks.size > 0 || m.#preHooks.size > 0);
  }
  /** fn(module, input) runs before forward; returning an array replaces the inputs. */
  registerForwardPreHook(fn: ForwardPreHook<In, Out>): RemovableHandle {
    const id = hookId++;
    this.#preHooks.set(id, fn as (m: AnyModule, input: unknown[]) => unknown);
    liveHooks++;
    return { remove: () => { if (this.#preHooks.delete(id)) liveHooks--; } };
  }

  // --- state dict ----------------------------------------------------------
  /** Parameters and persistent buffers under PyTorch's dotted names, in PyTorch's order. */
  stateDict(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [mp, m] of this.namedModules(prefix)) {
      const key = (n: string): string => (mp ? `${mp}.${n}` : n);
      for (const [n, t] of m.#params) if (t) out.set(key(n), t);
      for (const [n, t] of m.#buffers) if (t && !m.#nonPersistent.has(n)) out.set(key(n), t);
    }
    return out;
  }
  /**
   * Copies a state dict into this module's tensors in place (dtype/device converted). strict (default)
   * throws CheckpointError listing missing and unexpected keys; a shape mismatch always throws ShapeError
   * naming the key and both shapes. Nothing is copied when it throws. A missing `*.num_batches_tracked`
   * is set to 0 and not reported (PyTorch does the same for checkpoints without version metadata).
   */
  loadStateDict(dict: StateDict, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = opts.strict ?? true;
    const src = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const own = this.stateDict();
    // As PyTorch's BatchNorm does for checkpoints without version metadata (e.g. converted torchvision
    // weights): a missing num_batches_tracked is not an error; it is set to 0.
    const isNbt = (k: string): boolean => k === 'num_batches_tracked' || k.endsWith('.num_batches_tracked');
    const resetNbt = [...own.keys()].filter((k) => !src.has(k) && isNbt(k));
    const missingKeys = [...own.keys()].filter((k) => !src.has(k) && !isNbt(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`missing key(s): ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
      if (unexpectedKeys.length) parts.push(`unexpected key(s): ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
      throw new CheckpointError(`loadStateDict for ${this.constructor.name}: ${parts.join('; ')}`);
    }
    const mismatches: string[] = [];
    for (const [k, t] of own) {
      const s = src.get(k);
      if (!s) continue;
      const a = t.shape;
      const b = s.shape;
      if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
        mismatches.push(`"${k}": checkpoint has shape ${shapeStr(b)}, module has ${shapeStr(a)}`);
      }
    }
    if (mismatches.length) {
      throw new ShapeError(`loadStateDict for ${this.constructor.name}: size mismatch for ${mismatches.join('; ')}`);
    }
    torch.noGrad(() => {
      for (const [k, t] of own) { const s = src.get(k); if (s) t.copy_(s); }
      for (const k of resetNbt) own.get(k)!.zero_();
    });
    return { missingKeys, unexpectedKeys };
  }

  // --- printing and errors -------------------------------------------------
  /** The constructor arguments shown in toString(), e.g. 'in_features=4, out_features=3, bias=true'. */
  extraRepr(): string { return ''; }
  /** PyTorch-style nested description. */
  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return `${head})`;
    const body = kids.map(([n, m]) => `  (${n}): ${m.toString().split('\n').join('\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }
  /** Throws ShapeError naming this layer, what it expects and the shape it got. */
  shapeError(x: Tensor, expected: string): never {
    throw new ShapeError(`${this.constructor.name}(${this.extraRepr()}): expected input ${expected}, got shape ${shapeStr(x.shape)}`);
  }
}

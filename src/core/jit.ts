/**
 * @module torch.jit: graph mode over libtorch's TorchScript.
 *
 * trace(module, example) runs the module's JS forward once inside libtorch's tracer (same thread; the tracer
 * records every op) and returns a ScriptModule whose attributes are the module's parameters and buffers;
 * freeze() and optimizeForInference() are torch.jit.freeze / torch.jit.optimize_for_inference (constant
 * weights, conv-BN folding, oneDNN fusion). compile(module, example) does all three and keeps one graph per
 * input shape, re-tracing when the weights change (in-place updates, setData) or a new shape arrives.
 *
 * Limits (as torch.jit.trace): the graph records the ops one input took; a forward whose control flow
 * depends on tensor values cannot be traced (reading values with item()/toArray() while tracing throws
 * GraphModeError naming the module). Sizes read in JS (x.shape) are baked in, which is why compile() keeps
 * one graph per input shape. Graph mode is inference only: no gradients, eval-mode semantics (BN uses its
 * running statistics, dropout is off). TorchScript files are never loaded.
 */
import { native as N } from './tensor/native.js';
import { Tensor, wrap } from './tensor/tensor.js';
import { tidy } from './tensor/scope.js';
import { noGrad } from './autograd.js';
import { GraphModeError } from './errors.js';
import type { AnyModule } from './nn/module.js';

type Handle = unknown;
const STAGES = ['traced', 'frozen', 'optimized'] as const;
/** How far a ScriptModule has been optimised. */
export type ScriptStage = typeof STAGES[number];

const shapeKey = (xs: Tensor[]): string => xs.map((x) => `${x.dtype}[${x.shape.join(',')}]@${x.device}`).join(' ');

/** A TorchScript module made by trace(): forward, freeze(), optimizeForInference(), dispose(). */
export class ScriptModule {
  #h: Handle | null;
  /** The traced module's class name (used in messages). */
  readonly name: string;
  /** @internal */
  constructor(handle: Handle, name: string) { this.#h = handle; this.name = name; }

  get #handle(): Handle {
    if (this.#h === null) throw new GraphModeError(`${this.name} (graph mode): script module used after dispose()`);
    return this.#h;
  }
  get isDisposed(): boolean { return this.#h === null; }
  /** 'traced', 'frozen' or 'optimized'. */
  get stage(): ScriptStage { return STAGES[N.jitStage!(this.#handle) as number]!; }
  /** The TorchScript IR of forward (for inspection and tests). */
  get graph(): string { return N.jitGraph!(this.#handle); }

  /** Runs the graph without gradients; a graph traced with an array output returns an array. */
  forward(...inputs: Tensor[]): Tensor | Tensor[] {
    const r = N.jitForward!(this.#handle, inputs.map((x) => {
      if (!(x instanceof Tensor)) throw new TypeError(`${this.name} (graph mode): forward takes Tensors, got ${typeof x}`);
      return x.handle;
    }));
    return Array.isArray(r) ? r.map((h) => wrap(h)) : wrap(r);
  }
  /** torch.jit.freeze: a new module with parameters and buffers as constants (this one stays usable). */
  freeze(): ScriptModule { return new ScriptModule(N.jitFreeze!(this.#handle), this.name); }
  /** torch.jit.optimize_for_inference (freezes first if needed): a new module. */
  optimizeForInference(): ScriptModule { return new ScriptModule(N.jitOptimizeForInference!(this.#handle), this.name); }
  /** Frees the native module now. Safe to call twice. */
  dispose(): void {
    if (this.#h === null) return;
    N.jitDispose!(this.#h);
    this.#h = null;
  }
  [Symbol.dispose](): void { this.dispose(); }
}

/** Options of trace(). */
export interface TraceOptions {
  /** What to trace instead of module.call(...inputs), e.g. (m, x) => m.forwardFeatures(x, ['layer4']) as an array. */
  forward?: (...inputs: Tensor[]) => Tensor | Tensor[];
}

/** The module's parameters and buffers with dotted names, each tensor once. */
function stateEntries(module: AnyModule): [string, Tensor, boolean][] {
  const seen = new Set<Tensor>();
  const out: [string, Tensor, boolean][] = [];
  for (const [n, t] of module.namedParameters()) if (!seen.has(t)) { seen.add(t); out.push([n, t, false]); }
  for (const [n, t] of module.namedBuffers()) if (!seen.has(t)) { seen.add(t); out.push([n, t, true]); }
  return out;
}

/**
 * Traces module.call(...inputs) (or opts.forward) into a ScriptModule. Run it in the mode you want recorded
 * (module.eval() for inference); gradient mode is left as it is. Errors thrown by the forward, and forwards that
 * read tensor values, become a GraphModeError naming the module and the input shapes.
 */
export function trace(module: AnyModule, example: Tensor | Tensor[], opts: TraceOptions = {}): ScriptModule {
  const inputs = Array.isArray(example) ? example : [example];
  const name = module.constructor.name;
  const entries = stateEntries(module);
  try {
    const h = tidy(() => N.jitTrace!(name, entries.map(([n, t, b]) => [n, t.handle, b]), inputs.map((x) => x.handle),
      (handles: Handle[]) => {
        const xs = handles.map((x) => wrap(x));
        const out = opts.forward ? opts.forward(...xs) : module.call(...xs);
        const list = Array.isArray(out) ? out : [out];
        for (const t of list) {
          if (!(t instanceof Tensor)) throw new TypeError(`the forward returned ${t === null ? 'null' : typeof t}, not a Tensor or an array of Tensors`);
        }
        return Array.isArray(out) ? list.map((t) => t.handle) : (out as Tensor).handle;
      })) as Handle;
    return new ScriptModule(h, name);
  } catch (e) {
    // libtorch prints the offending tensor after 'Tensor:' (e.g. a parameter missing from the registry): drop it.
    const msg = (e instanceof Error ? e.message : String(e)).split('\nTensor:')[0]!;
    throw new GraphModeError(`graph mode: cannot trace ${name}.forward on input ${shapeKey(inputs)}: ${msg}`, { cause: e });
  }
}

/** Options of compile(). */
export interface CompileOptions extends TraceOptions {
  /** 'inference' (default: freeze + optimize_for_inference), 'freeze', or 'none' (the traced graph). */
  optimize?: 'inference' | 'freeze' | 'none';
  /** Graphs kept, one per input shape (default 4; the least recently used one is freed). */
  maxShapes?: number;
}

/**
 * A module's forward in graph mode: one traced and optimised graph per input shape (traced on first use, in
 * eval mode, without gradients), rebuilt when the module's parameters or buffers change (in place or replaced).
 * Inference only. The module itself is not changed and stays owned by the caller.
 */
export class CompiledModule {
  readonly module: AnyModule;
  readonly #opts: CompileOptions;
  readonly #graphs = new Map<string, ScriptModule>();
  #stamp: { tensors: Tensor[]; stamps: number[] } | null = null;
  /** Traces done so far (a new shape or changed weights each cost one). */
  traces = 0;

  constructor(module: AnyModule, opts: CompileOptions = {}) {
    const optimize = opts.optimize ?? 'inference';
    if (!['inference', 'freeze', 'none'].includes(optimize)) {
      throw new TypeError(`compile: optimize must be 'inference', 'freeze' or 'none', got ${JSON.stringify(opts.optimize)}`);
    }
    const maxShapes = opts.maxShapes ?? 4;
    if (!Number.isInteger(maxShapes) || maxShapes < 1) throw new RangeError(`compile: maxShapes must be a positive integer, got ${maxShapes}`);
    this.module = module;
    this.#opts = { ...opts, optimize, maxShapes };
  }

  /** True when the weights differ from those the cached graphs were built with. */
  #stale(): boolean {
    const tensors = stateEntries(this.module).map((e) => e[1]);
    const s = this.#stamp;
    if (!s || s.tensors.length !== tensors.length || s.tensors.some((t, i) => t !== tensors[i])) return true;
    const now: number[] = N.tensorStamps!(tensors.map((t) => t.handle));
    return now.some((v, i) => v !== s.stamps[i]);
  }

  /** The graph for these inputs (traced and optimised now if needed). */
  graphFor(...inputs: Tensor[]): ScriptModule {
    if (this.#stale()) {
      this.#clear();
      const tensors = stateEntries(this.module).map((e) => e[1]);
      this.#stamp = { tensors, stamps: N.tensorStamps!(tensors.map((t) => t.handle)) };
    }
    const key = shapeKey(inputs);
    const hit = this.#graphs.get(key);
    if (hit) {
      this.#graphs.delete(key);
      this.#graphs.set(key, hit);
      return hit;
    }
    const g = this.#build(inputs);
    this.#graphs.set(key, g);
    while (this.#graphs.size > this.#opts.maxShapes!) {
      const [k, old] = this.#graphs.entries().next().value as [string, ScriptModule];
      old.dispose();
      this.#graphs.delete(k);
    }
    return g;
  }

  #build(inputs: Tensor[]): ScriptModule {
    // A new phase: the caching allocator's free blocks (a training loop's activations) go back to the system
    // first, so that the graph's frozen weights and activations reuse that memory instead of adding to it
    // (ResNet-18 w64: peak RSS 1.15x PyTorch's without this).
    N.cpuCacheEmpty!();
    const modes = this.module.modules().map((m) => m.training);
    this.module.eval();
    let traced: ScriptModule;
    try {
      traced = noGrad(() => trace(this.module, inputs, { forward: this.#opts.forward }));
    } finally {
      this.module.modules().forEach((m, i) => { m.training = modes[i]!; });
    }
    this.traces++;
    if (this.#opts.optimize === 'none') return traced;
    try {
      return this.#opts.optimize === 'freeze' ? traced.freeze() : traced.optimizeForInference();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new GraphModeError(`graph mode: cannot optimise ${traced.name} (${this.#opts.optimize}): ${msg}`, { cause: e });
    } finally {
      traced.dispose();
    }
  }

  /** The module's output for these inputs, computed by the graph (no gradients). */
  forward(...inputs: Tensor[]): Tensor | Tensor[] { return this.graphFor(...inputs).forward(...inputs); }
  /** Same as forward (the nn.Module calling convention). */
  call(...inputs: Tensor[]): Tensor | Tensor[] { return this.forward(...inputs); }

  #clear(): void {
    for (const g of this.#graphs.values()) g.dispose();
    this.#graphs.clear();
  }
  /** Frees every cached graph (the module is untouched). */
  dispose(): void { this.#clear(); this.#stamp = null; }
  [Symbol.dispose](): void { this.dispose(); }
}

/** Graph mode for a module: see CompiledModule. The example input, if given, is traced now. */
export function compile(module: AnyModule, example?: Tensor | Tensor[], opts: CompileOptions = {}): CompiledModule {
  const c = new CompiledModule(module, opts);
  if (example !== undefined) c.graphFor(...(Array.isArray(example) ? example : [example]));
  return c;
}

/** Whether a trace is running on this thread (layers can skip value checks while tracing). */
export function isTracing(): boolean { return N.isTracing!(); }

/**
 * Graph mode with an eager fallback, for inference loops that must always answer: the compiled module while
 * `enabled` (default true), `eager` for a call that asks for it (a mode the graph would not reproduce) and for
 * every call after a forward that cannot be traced (GraphModeError: the graph is dropped; a genuine input error
 * then recurs in `eager`). `eager` must compute what the traced forward computes (module.call, or opts.forward).
 */
export class GraphOrEager {
  #compiled: CompiledModule | null;
  constructor(readonly module: AnyModule, readonly eager: (...inputs: Tensor[]) => Tensor | Tensor[], opts: CompileOptions & { enabled?: boolean } = {}) {
    const { enabled, ...compileOpts } = opts;
    this.#compiled = (enabled ?? true) ? compile(module, undefined, compileOpts) : null;
  }
  /** Whether the graph is (still) in use: false when disabled, disposed, or after an untraceable forward. */
  get graph(): boolean { return this.#compiled !== null; }
  /** The output for these inputs, from the graph unless `useGraph` is false or it is gone; `graph` says which ran. */
  run(inputs: Tensor[], useGraph = true): { out: Tensor | Tensor[]; graph: boolean } {
    if (this.#compiled && useGraph) {
      try {
        return { out: this.#compiled.forward(...inputs), graph: true };
      } catch (e) {
        if (!(e instanceof GraphModeError)) throw e;
        this.#compiled.dispose();
        this.#compiled = null;
      }
    }
    return { out: this.eager(...inputs), graph: false };
  }
  /** Frees the graphs (the module is untouched); later calls run eagerly. Safe to call twice. */
  dispose(): void { this.#compiled?.dispose(); this.#compiled = null; }
  [Symbol.dispose](): void { this.dispose(); }
}

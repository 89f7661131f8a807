/**
 * @module The Optimizer base class (torch.optim.Optimizer): parameter groups, per-parameter state,
 * zeroGrad, and state dicts in PyTorch's layout (state keyed by parameter index, param_groups with
 * snake_case hyperparameters and parameter indices), plus a split into tensors + JSON for checkpoints.
 */
import { Tensor } from '../tensor/tensor.js';
import { keep, tidy } from '../tensor/scope.js';
import { enableGrad, noGrad } from '../autograd.js';
import { CheckpointError, ConfigError } from '../errors.js';

/** Hyperparameter values a group may hold (JSON-friendly). */
export type HyperValue = number | boolean | string | number[] | null | undefined;
/** What every parameter group has: its parameters, a learning rate, and any other hyperparameters. */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** The lr a scheduler started from (set by the first scheduler attached). */
  initialLr?: number;
}
/** A group as the caller passes it: params plus optional per-group overrides of the defaults. */
export type ParamGroupInput<H> = { params: Tensor[] } & Partial<H>;
/** Either a flat list of tensors (one group) or a list of groups. */
export type Params<H> = Tensor[] | ParamGroupInput<H>[];
/** One parameter's optimizer state: tensors (buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/** torch.optim state_dict layout: `state[i]` for the i-th parameter over all groups, groups with indices. */
export interface OptimizerStateDict {
  state: Record<string, ParamState>;
  param_groups: ({ params: number[] } & Record<string, unknown>)[];
}
/** The JSON half of a split state dict (tensors replaced by their names in the tensor map). */
export interface OptimizerStateMeta {
  state: Record<string, Record<string, HyperValue>>;
  param_groups: ({ params: number[] } & Record<string, unknown>)[];
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Throws ConfigError `Invalid <what>: <value> (<field> must be <range>)` unless ok. */
export function check(ok: boolean, what: string, value: unknown, field: string, range: string): void {
  if (!ok) throw new ConfigError(`Invalid ${what}: ${String(value)} (${field} must be ${range})`);
}
/** Checks the learning rate: a finite number >= 0. */
export function checkLr(lr: unknown): void {
  check(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0, 'learning rate', lr, 'lr', 'a finite number >= 0');
}

/** Base class: subclasses set defaults, validate groups and implement step(). */
export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  /** Default hyperparameters, filled into every group that does not override them. */
  readonly defaults: Omit<G, 'params'>;
  /** The parameter groups (schedulers change `lr` here). */
  readonly paramGroups: G[] = [];
  /** Per-parameter state, keyed by the parameter tensor. */
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: Params<Omit<G, 'params'>>, defaults: Omit<G, 'params'>) {
    this.validate(defaults);
    this.defaults = defaults;
    if (!Array.isArray(params)) throw new TypeError('params must be an array of Tensors or of parameter groups');
    if (params.length === 0) throw new ConfigError('optimizer got an empty parameter list');
    const groups = params.every((p) => p instanceof Tensor)
      ? [{ params: params as Tensor[] } as ParamGroupInput<Omit<G, 'params'>>]
      : (params as ParamGroupInput<Omit<G, 'params'>>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Throws ConfigError naming the field and its range for an invalid hyperparameter. */
  protected abstract validate(h: Omit<G, 'params'>): void;
  /** Updates the parameters of every group from their .grad (parameters without one are skipped). */
  protected abstract update(group: G): void;

  /** Adds a group; missing hyperparameters come from the defaults (torch add_param_group). */
  addParamGroup(input: ParamGroupInput<Omit<G, 'params'>>): void {
    if (!input || !Array.isArray(input.params)) throw new TypeError('a parameter group needs params: Tensor[]');
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of input.params) {
      if (!(p instanceof Tensor)) throw new TypeError('optimizer can only optimize Tensors');
      if (!p.isLeaf) throw new ConfigError("can't optimize a non-leaf Tensor");
      if (seen.has(p)) throw new ConfigError('some parameters appear in more than one parameter group');
      seen.add(p);
    }
    const group = { ...this.defaults, ...input, params: [...input.params] } as unknown as G;
    const rec = group as unknown as Record<string, unknown>;
    if (Array.isArray(rec['betas'])) rec['betas'] = [...(rec['betas'] as number[])];
    this.validate(group);
    this.paramGroups.push(group);
  }

  /**
   * Performs one optimization step under noGrad. closure (optional) re-evaluates the model and
   * returns the loss; it runs with gradients enabled, before the update.
   */
  step<R>(closure?: () => R): R | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => tidy(() => { for (const g of this.paramGroups) this.update(g); }));
    return loss;
  }

  /**
   * Clears the gradients. setToNone (default true, as PyTorch 2.x; 1.13 defaulted to false) drops
   * them, which frees their memory and costs one native call per parameter instead of three;
   * setToNone false zeroes them in place.
   */
  zeroGrad(o: { setToNone?: boolean } = {}): void {
    const setToNone = o.setToNone ?? true;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (setToNone) { p.grad = null; continue; }
          const g = p.grad;
          if (g) { g.zero_(); g.dispose(); }
        }
      }
    });
  }

  /** The state of p, created (and kept out of tidy scopes) by init on first use. */
  protected stateOf(p: Tensor, init: () => ParamState): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = init();
      for (const v of Object.values(s)) if (v instanceof Tensor) keep(v);
      this.state.set(p, s);
    }
    return s;
  }

  /** Takes a new state tensor out of any tidy scope (the optimizer owns it until dispose()). */
  protected keepState(t: Tensor): Tensor { return keep(t); }

  /** A copy of the state in PyTorch's layout; the caller owns (and disposes) the tensors. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const param_groups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params' && v !== undefined) out[snake(k)] = Array.isArray(v) ? [...v] : v;
      return { ...out, params: g.params.map((p) => { index.set(p, index.size); return index.get(p)!; }) };
    });
    const state: Record<string, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? noGrad(() => v.clone()) : v;
      state[String(i)] = copy;
    }
    return { state, param_groups };
  }

  /**
   * Loads a state dict (from stateDict(), joinStateDict() or PyTorch's layout): checks group count,
   * group sizes and tensor shapes, copies tensors (cast to each parameter's dtype and device) and sets
   * the groups' hyperparameters. The caller keeps ownership of the tensors it passed.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || !Array.isArray(sd.param_groups) || typeof sd.state !== 'object') {
      throw new CheckpointError('optimizer state dict needs `state` and `param_groups`');
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new CheckpointError(`loaded state dict has ${sd.param_groups.length} parameter groups, ` +
        `the optimizer has ${this.paramGroups.length}`);
    }
    const byIndex: Tensor[] = [];
    sd.param_groups.forEach((g, i) => {
      const mine = this.paramGroups[i]!.params;
      if (!Array.isArray(g.params) || g.params.length !== mine.length) {
        throw new CheckpointError(`loaded parameter group ${i} has ${g.params?.length} parameters, ` +
          `the optimizer's group has ${mine.length}`);
      }
      g.params.forEach((idx, j) => { byIndex[idx] = mine[j]!; });
    });
    const next = new Map<Tensor, ParamState>();
    try {
      for (const [key, s] of Object.entries(sd.state)) {
        const p = byIndex[Number(key)];
        if (!p) throw new CheckpointError(`loaded state has an entry for parameter ${key}, which no group lists`);
        const st: ParamState = {};
        next.set(p, st);
        for (const [k, v] of Object.entries(s)) {
          if (!(v instanceof Tensor)) { st[k] = typeof v === 'number' ? v : Number(v); continue; }
          if (k !== 'step' && JSON.stringify(v.shape) !== JSON.stringify(p.shape)) {
            throw new CheckpointError(`state ${key}.${k} has shape [${v.shape}], parameter ${key} has [${p.shape}]`);
          }
          if (k === 'step') { st[k] = Number(v.item()); continue; }
          st[k] = keep(noGrad(() => v.to({ dtype: p.dtype, device: p.device, copy: true })));
        }
      }
    } catch (e) {
      for (const s of next.values()) disposeState(s);
      throw e;
    }
    const groups = sd.param_groups.map((g, i) => {
      const h: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') h[camel(k)] = Array.isArray(v) ? [...v] : v;
      const merged = { ...this.paramGroups[i]!, ...h, params: this.paramGroups[i]!.params } as G;
      this.validate(merged);
      return merged;
    });
    for (const s of this.state.values()) disposeState(s);
    this.state.clear();
    for (const [p, s] of next) this.state.set(p, s);
    groups.forEach((g, i) => { this.paramGroups[i] = g; });
  }

  /** Frees the state tensors (momentum buffers, moments); the optimizer starts afresh afterwards. */
  dispose(): void {
    for (const s of this.state.values()) disposeState(s);
    this.state.clear();
  }
}

function disposeState(s: ParamState): void {
  for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
}

/**
 * Splits a state dict for a checkpoint: tensors named `state.<i>.<key>` (for safetensors) and the
 * rest as JSON. The tensors are the state dict's own (no copy).
 */
export function splitStateDict(sd: OptimizerStateDict): { tensors: Map<string, Tensor>; meta: OptimizerStateMeta } {
  const tensors = new Map<string, Tensor>();
  const state: OptimizerStateMeta['state'] = {};
  for (const [i, s] of Object.entries(sd.state)) {
    const rest: Record<string, HyperValue> = {};
    for (const [k, v] of Object.entries(s)) {
      if (v instanceof Tensor) tensors.set(`state.${i}.${k}`, v);
      else rest[k] = v;
    }
    state[i] = rest;
  }
  return { tensors, meta: { state, param_groups: sd.param_groups } };
}

/** Joins what splitStateDict() produced back into a state dict (the tensors are not copied). */
export function joinStateDict(tensors: Map<string, Tensor>, meta: OptimizerStateMeta): OptimizerStateDict {
  const state: Record<string, ParamState> = {};
  for (const [i, s] of Object.entries(meta.state ?? {})) {
    state[i] = {};
    for (const [k, v] of Object.entries(s)) if (typeof v === 'number') state[i]![k] = v;
  }
  for (const [name, t] of tensors) {
    const m = /^state\.(\d+)\.([A-Za-z0-9_]+)$/.exec(name);
    if (!m) throw new CheckpointError(`optimizer tensor "${name}" is not named state.<index>.<key>`);
    (state[m[1]!] ??= {})[m[2]!] = t;
  }
  return { state, param_groups: meta.param_groups };
}

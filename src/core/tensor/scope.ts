/**
 * @module tidy() scopes: every tensor created while a scope is open belongs to
 * it and is disposed when the scope closes, except the tensors returned (which
 * move to the enclosing scope) and those passed to keep().
 */
import type { Tensor } from './tensor.js';
import { native as N } from './native.js';

const stack: Set<Tensor>[] = [];

export function currentScope(): Set<Tensor> | null {
  return stack.length ? stack[stack.length - 1]! : null;
}

export function track(scope: Set<Tensor>, t: Tensor): void {
  scope.add(t);
  t.scope = scope;
}

/** Takes a tensor out of every tidy() scope: the caller now owns it. */
export function keep<T extends Tensor>(t: T): T {
  t.scope?.delete(t);
  t.scope = null;
  account(t);
  return t;
}

/**
 * Tensors owned by a scope are freed when it closes and are not reported to V8;
 * one that leaves every scope is reported as external memory (once), so the GC
 * backstop sees it. Reporting every tensor made V8 run about two full GCs per
 * training step (measured: 60 mark-compacts in 30 ResNet-18 steps).
 */
function account(t: Tensor): void {
  if (!t.isDisposed) N.account!(t.handle);
}

/**
 * Adds the tensors of v to out, walking arrays, plain objects and Maps (to depth 4). Returns whether it could
 * see everything v holds: false if v holds a function, a class instance other than a Tensor (and not `skip`ped),
 * or nests deeper than 4; the tensors it did find are added either way.
 */
function collect(v: unknown, out: Set<Tensor>, skip: (o: object) => boolean = () => false, depth = 0): boolean {
  if (v === null || typeof v !== 'object') return typeof v !== 'function';
  if (depth > 4) return false;
  if ('handle' in v && 'dispose' in v && 'scope' in v) { out.add(v as Tensor); return true; }
  if (skip(v)) return true;
  const values = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : Object.getPrototypeOf(v) === Object.prototype ? Object.values(v) : null;
  if (values === null) return false;
  let known = true;
  for (const x of values) known = collect(x, out, skip, depth + 1) && known;
  return known;
}

/**
 * Runs fn and disposes every tensor it created, except those it returns
 * (a Tensor, or arrays/plain objects/Maps of them). fn must be synchronous.
 */
export function tidy<R>(fn: () => R): R {
  const [result, scope] = inScope(fn, (sc) => { for (const t of sc) t.dispose(); });
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    for (const t of scope) t.dispose();
    throw new TypeError('tidy(fn): fn must be synchronous (it returned a Promise); in async code wrap each synchronous part in its own torch.tidy(), or free tensors explicitly with t.dispose(), `using` or torch.dispose()');
  }
  const kept = new Set<Tensor>();
  collect(result, kept);
  release(scope, kept);
  return result;
}

/** Runs fn in a new scope and returns its result and the (closed) scope; if fn throws, onThrow(scope), then rethrows. */
function inScope<R>(fn: () => R, onThrow: (scope: Set<Tensor>) => void): [R, Set<Tensor>] {
  const scope = new Set<Tensor>();
  stack.push(scope);
  let result: R;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    onThrow(scope);
    throw e;
  }
  stack.pop();
  return [result, scope];
}

/** Number of tidy() scopes open (for tests and debugging). */
export function scopeDepth(): number { return stack.length; }

/**
 * The scope of one module call while grad is off (nn.Module.call): what PyTorch's refcounting gives an
 * inference forward, the intermediates freed as the call returns instead of when the caller's tidy closes.
 * Runs fn; of the tensors it created, those in its result and those in `retained()` (the fields of the
 * module and of the modules below it: state a forward stores there) move to the enclosing scope, as if no scope had been opened,
 * and the rest are freed. Where `retained()` is null, or the result or the retained state holds objects
 * this cannot see into (class instances other than tensors, for which `skip` is false), nothing is freed.
 */
export function callScope<R>(fn: () => R, retained: () => unknown[] | null, skip: (o: object) => boolean, label: string): R {
  const [result, scope] = inScope(fn, (sc) => release(sc, null));
  const keepSet = new Set<Tensor>();
  let known = collect(result, keepSet, skip);
  // a call that made nothing but its result (most layers) needs no look at the modules' state
  if (known && [...scope].some((t) => !keepSet.has(t))) {
    const state = retained();
    known = state !== null && state.every((v) => collect(v, keepSet, skip));
  }
  release(scope, known ? keepSet : null, label);
  return result;
}

/**
 * Frees t, an intermediate that the open callScope made and has passed on, unless `values` (the fields of the
 * modules that saw it) hold it or hold objects this cannot see into. Returns whether it was freed.
 */
export function freeIntermediate(t: Tensor, values: unknown[] | null, skip: (o: object) => boolean, label: string): boolean {
  if (values === null || t.isDisposed || t.scope === null || t.scope !== currentScope()) return false;
  const held = new Set<Tensor>();
  for (const v of values) if (!collect(v, held, skip)) return false;
  if (held.has(t)) return false;
  freedEarly.set(t, label);
  t.dispose();
  return true;
}

/** Tensors callScope freed, with the module whose call made them (for DisposedError's message). */
const freedEarly = new WeakMap<Tensor, string>();

/** Why a disposed tensor is gone, when callScope freed it (else ''). */
export function freedEarlyNote(t: Tensor): string {
  const m = freedEarly.get(t);
  return m === undefined ? '' : `: it was made during a no-grad call of ${m} and freed when that call returned (nn.Module.call frees ` +
    'a call\'s intermediates when grad is off); a module that keeps tensors made in forward in private (#) fields or ' +
    'outside its own fields must set `keepsForwardState = true`';
}

/** Moves the scope's tensors in `survivors` (all of them when null) to the enclosing scope; frees the rest. */
function release(scope: Set<Tensor>, survivors: Set<Tensor> | null, label?: string): void {
  const parent = currentScope();
  for (const t of scope) {
    t.scope = null;
    if (survivors === null || survivors.has(t)) {
      if (parent) track(parent, t); else account(t);
    } else {
      if (label !== undefined) freedEarly.set(t, label);
      t.dispose();
    }
  }
}

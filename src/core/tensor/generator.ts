/**
 * @module torch.Generator: an independent CPU random generator with its own seed
 * and state. Pass it as the `generator` argument of the random ops
 * (torch.randn([3], null, null, g), t.normal_(0, 1, g)) or the `generator`
 * option of the creation helpers (torch.randn([3], { generator: g })).
 */
import { native as N } from './native.js';
import { Tensor, wrap, h } from './tensor.js';

export class Generator {
  readonly #h: unknown;
  /** A new CPU generator; unseeded it starts from PyTorch's default seed (67280421310721), as torch.Generator() does. */
  constructor(seed?: number) {
    if (seed !== undefined && !Number.isInteger(seed)) throw new TypeError(`Generator: seed must be an integer, got ${String(seed)}`);
    this.#h = N.generatorNew!(seed ?? null);
  }
  /** The native handle (for the generated ops). */
  get handle(): unknown { return this.#h; }
  /** Reseeds this generator (torch.Generator.manual_seed); returns this. */
  manualSeed(seed: number): this { N.generatorManualSeed!(this.#h, seed); return this; }
  /** The seed last set (torch.Generator.initial_seed). */
  initialSeed(): number { return N.generatorInitialSeed!(this.#h); }
  /** The full state as a uint8 tensor (torch.Generator.get_state). */
  getState(): Tensor { return wrap(N.generatorGetState!(this.#h)); }
  /** Restores a state from getState() (torch.Generator.set_state); returns this. */
  setState(state: Tensor): this { N.generatorSetState!(this.#h, h(state)); return this; }
}

/** The native handle of a Generator argument (null for the default generator). */
export function gh(g: Generator | null | undefined): unknown {
  if (g === null || g === undefined) return null;
  if (!(g instanceof Generator)) throw new TypeError(`expected a torch.Generator, got ${typeof g === 'object' ? 'an object' : `${typeof g} ${String(g)}`}`);
  return g.handle;
}

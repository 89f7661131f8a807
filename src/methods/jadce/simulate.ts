/** @module The grant-free access simulator: Y = Phi X + W with Bernoulli activity, Rayleigh channels (optional path loss), complex Gaussian pilots and noise set from the SNR; seeded, batched complex64. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { crandn } from './complex.js';
import { noiseVariance, type ScenarioConfig } from './config.js';

/** A batch of B slots. */
export interface Slots {
  /** Received pilots [B, L, M] complex64. */
  y: Tensor;
  /** Device state matrix X = diag(a) H [B, N, M] complex64. */
  x: Tensor;
  /** Activity a [B, N] float32 (0/1). */
  active: Tensor;
  /** Large-scale gains beta [B, N] float32 (known at the BS). */
  beta: Tensor;
  /** Pilots: [L, N] (fixed) or [B, L, N] (resampled) complex64, entries CN(0, 1/L). */
  phi: Tensor;
  /** sigma_w^2. */
  noiseVar: number;
}

/** Disposes every tensor of a Slots batch (the fixed pilot matrix belongs to the simulator and is kept). */
export function disposeSlots(s: Slots, keepPhi: boolean): void {
  torch.dispose(s.y, s.x, s.active, s.beta);
  if (!keepPhi) s.phi.dispose();
}

/** k large-scale gains [k]: ones, or (d / R)^-exponent with d uniform in area over the annulus [innerRadius R, R]. */
export function gains(sc: ScenarioConfig, k: number, gen: torch.Generator): Tensor {
  const { pathLoss, innerRadius: r0, pathLossExponent: e } = sc;
  if (!pathLoss) return torch.ones([k]);
  const u = torch.rand([k], { generator: gen });
  return u.mul(1 - r0 * r0).add(r0 * r0).sqrt().pow(-e);
}

/** Draws slots of one scenario from its own generator (same seed, same slots). */
export class Simulator {
  readonly scenario: ScenarioConfig;
  readonly noiseVar: number;
  readonly #gen: torch.Generator;
  readonly #phi: Tensor | null;

  constructor(scenario: ScenarioConfig, seed: number, pilotSeed: number = seed) {
    this.scenario = scenario;
    this.noiseVar = noiseVariance(scenario);
    this.#gen = new torch.Generator(seed);
    const { pilotLength: L, devices: N } = scenario;
    this.#phi = scenario.pilots === 'fixed' ? torch.keep(crandn([L, N], 1 / L, new torch.Generator(pilotSeed + 7919))) : null;
  }

  /** The fixed pilot matrix [L, N] (null when pilots are resampled). */
  get phi(): Tensor | null { return this.#phi; }

  /** B fresh slots; the caller disposes them with disposeSlots(s, sim.phi !== null). */
  sample(batch: number): Slots {
    const { devices: N, antennas: M, pilotLength: L, activity } = this.scenario;
    const g = this.#gen;
    return torch.tidy(() => {
      const active = torch.rand([batch, N], { generator: g }).lt(activity).float();
      const beta = this.#gains(batch);
      const h = crandn([batch, N, M], 1, g).mul(beta.sqrt().unsqueeze(-1));
      const x = h.mul(active.unsqueeze(-1));
      const phi = this.#phi ?? crandn([batch, L, N], 1 / L, g);
      const y = phi.matmul(x).add(crandn([batch, L, M], this.noiseVar, g));
      const out: Slots = { y: torch.keep(y), x: torch.keep(x), active: torch.keep(active), beta: torch.keep(beta), phi: this.#phi ?? torch.keep(phi), noiseVar: this.noiseVar };
      return out;
    });
  }

  #gains(batch: number): Tensor { return gains(this.scenario, batch * this.scenario.devices, this.#gen).reshape([batch, this.scenario.devices]); }

  dispose(): void { this.#phi?.dispose(); }
}

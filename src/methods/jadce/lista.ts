/** @module LISTA-GS: unrolled group-ISTA with a learned matrix W_t (or a learned step on Phi^H) and threshold theta_t per layer [R]. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { fro2, herm } from './complex.js';
import { groupSoft, lipschitz } from './ista.js';
import type { Slots } from './simulate.js';
import type { Trainable } from './train.js';

/** X_{t+1} = groupSoft(X_t + W_t (Y - Phi X_t), theta_t), X_0 = 0. */
export class ListaGS implements Trainable {
  readonly layers: number;
  readonly weights: 'full' | 'tied';
  /** name -> learnable tensor (W_t as real/imag parts, log step, log theta). */
  readonly params = new Map<string, Tensor>();

  /**
   * Initialised as ISTA with step mu = 1 / ||Phi||_2^2 (of the fixed Phi; lipschitzGuess = (1 + sqrt(N/L))^2 for resampled
   * pilots): W_t = mu Phi^H (full; needs the fixed pilots) or a learned step on Phi^H (tied), theta_t = mu kappa. (A unit step,
   * the matched filter, diverges: measured +160 dB after 10 layers at N = 200, L = 24.)
   */
  constructor(layers: number, weights: 'full' | 'tied', phi: Tensor | null, kappa: number, lipschitzGuess: number) {
    this.layers = layers;
    this.weights = weights;
    if (weights === 'full' && !phi) throw new Error('ListaGS: full weights need a fixed pilot matrix');
    const lip = phi ? (lipschitz(phi).item() as number) : lipschitzGuess;
    torch.noGrad(() => {
      for (let t = 0; t < layers; t++) {
        if (weights === 'full') {
          const w = torch.tidy(() => herm(phi!).div(lip));
          this.#add(`layer${t}.w_re`, torch.real(w).contiguous());
          this.#add(`layer${t}.w_im`, torch.imag(w).contiguous());
          w.dispose();
        } else {
          this.#add(`layer${t}.log_step`, torch.full([1], Math.log(1 / lip), { dtype: 'float32' }));
        }
        this.#add(`layer${t}.log_theta`, torch.full([1], Math.log(Math.max(1e-6, kappa / lip)), { dtype: 'float32' }));
      }
    });
  }

  #add(name: string, t: Tensor): void { this.params.set(name, torch.keep(t.detach().clone().requiresGrad_(true))); t.dispose(); }

  layerParams(t: number): Tensor[] {
    return [...this.params.entries()].filter(([k]) => k.startsWith(`layer${t}.`)).map(([, v]) => v);
  }

  /** The estimate after `depth` layers [B, N, M]. */
  forward(y: Tensor, phi: Tensor, depth: number = this.layers): Tensor {
    return torch.tidy(() => {
      const [b, , m] = y.shape as [number, number, number];
      const n = phi.shape[phi.ndim - 1]!;
      let x = torch.zeros([b, n, m], { dtype: 'complex64' });
      for (let t = 0; t < depth; t++) {
        const resid = y.sub(phi.matmul(x));
        const p = (k: string): Tensor => this.params.get(`layer${t}.${k}`)!;
        const corr = this.weights === 'full' ? torch.complex(p('w_re'), p('w_im')).matmul(resid) : herm(phi).matmul(resid).mul(p('log_step').exp());
        x = groupSoft(x.add(corr), p('log_theta').exp());
      }
      return x;
    });
  }

  loss(s: Slots, depth: number): Tensor {
    return torch.tidy(() => fro2(this.forward(s.y, s.phi, depth).sub(s.x)).sum().div(fro2(s.x).sum()));
  }

  dispose(): void { for (const t of this.params.values()) t.dispose(); this.params.clear(); }
}

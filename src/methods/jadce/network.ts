/**
 * @module The proposed feature-aided adaptive-tuning network [R, spec 6(b)]: dimension reduction, T unrolled AMP layers
 * each with an inner EM sub-network (emSweeps differentiable EM sweeps updating lambda and the channel scale) and
 * learned precision gamma_t, damping rho_t and prior corrections; detection pi_n >= threshold; channel on the support.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { bgDenoise, emStep, onsager } from './amp.js';
import { fro2, herm, rowEnergy } from './complex.js';
import type { NetConfig } from './config.js';
import { project, reduce, type Reduced } from './reduce.js';
import type { Slots } from './simulate.js';
import type { Trainable } from './train.js';

/** The network's output on a batch. */
export interface NetOutput {
  /** X_r estimate [B, N, r] and the reduction that produced it. */
  xr: Tensor;
  red: Reduced;
  /** Posterior activity of the last layer [B, N] and its log-odds. */
  pi: Tensor;
  logOdds: Tensor;
}

const logit = (p: number): number => Math.log(p / (1 - p));

/** Unrolled EM-AMP with learned per-layer precision, damping and prior corrections (names layer{t}.{log_gamma,rho_logit,lam_corr,scale_corr}). */
export class FaatNet implements Trainable {
  readonly layers: number;
  readonly cfg: NetConfig;
  readonly params = new Map<string, Tensor>();
  /** Prior features learned from training data: activity lambda0 and channel scale s0 in the reduced space. */
  prior = { lambda: 0.1, scale: 1 };
  readonly #damping: number;

  constructor(cfg: NetConfig, damping: number) {
    this.layers = cfg.layers;
    this.cfg = cfg;
    this.#damping = damping;
    for (let t = 0; t < cfg.layers; t++) {
      this.#add(`layer${t}.log_gamma`, 0);
      if (cfg.learnDamping) this.#add(`layer${t}.rho_logit`, logit(Math.min(0.99, damping)));
      this.#add(`layer${t}.lam_corr`, 0);
      this.#add(`layer${t}.scale_corr`, 0);
    }
  }

  #add(name: string, v: number): void { this.params.set(name, torch.keep(torch.full([1], v, { dtype: 'float32' }).requiresGrad_(true))); }

  layerParams(t: number): Tensor[] {
    return [...this.params.entries()].filter(([k]) => k.startsWith(`layer${t}.`)).map(([, v]) => v);
  }

  /** Prior-feature learning: lambda0 = mean activity, s0 = mean ||x_n V_r||^2 / (r beta_n) over active rows, from training slots. */
  fitPrior(batches: Slots[]): void {
    let act = 0, dev = 0, en = 0;
    torch.noGrad(() => torch.tidy(() => {
      for (const s of batches) {
        const red = reduce(s.y, s.noiseVar, this.cfg.rankMargin, this.cfg.dimReduction);
        const xr = project(s.x, red.v);
        act += s.active.sum().item() as number;
        dev += s.active.numel();
        en += (rowEnergy(xr).squeeze(-1).div(s.beta.mul(red.rank)).mul(s.active).sum().item() as number);
        torch.dispose(red, xr);
      }
    }));
    this.prior = { lambda: Math.min(0.5, Math.max(1e-3, act / Math.max(1, dev))), scale: act > 0 ? en / act : 1 };
  }

  /** Runs the first `depth` layers on a batch. */
  forward(s: Slots, depth: number = this.layers): NetOutput {
    return torch.tidy(() => {
      const red = reduce(s.y, s.noiseVar, this.cfg.rankMargin, this.cfg.dimReduction);
      const y = red.yr;
      const [b, l, d] = y.shape as [number, number, number];
      const phi = s.phi;
      const n = phi.shape[phi.ndim - 1]!;
      const phiH = herm(phi);
      const g0 = s.beta.unsqueeze(-1);
      let x = torch.zeros([b, n, d], { dtype: 'complex64' });
      let z = y;
      let lambda = torch.full([b, 1, 1], this.prior.lambda, { dtype: 'float32' });
      let scale = torch.full([b, 1, 1], this.prior.scale, { dtype: 'float32' });
      let pi = torch.zeros([b, n, 1]);
      let logOdds = torch.zeros([b, n, 1]);
      for (let t = 0; t < depth; t++) {
        const p = (k: string): Tensor => this.params.get(`layer${t}.${k}`)!;
        const tau2 = fro2(z).div(l * d).clamp(1e-12, null).mul(p('log_gamma').exp());
        const r = phiH.matmul(z).add(x);
        for (let k = 0; k < this.cfg.emSweeps; k++) ({ lambda, scale } = emStep(r, lambda, scale, g0, tau2));
        lambda = lambda.mul(p('lam_corr').exp()).clamp(1e-4, 0.5);
        scale = scale.mul(p('scale_corr').exp());
        const den = bgDenoise(r, lambda, g0.mul(scale), tau2, this.cfg.onsager === 'matrix');
        const rho = this.cfg.learnDamping ? torch.sigmoid(p('rho_logit')) : this.#damping;
        x = den.x.mul(rho).add(x.mul(typeof rho === 'number' ? 1 - rho : rho.neg().add(1)));
        z = y.sub(phi.matmul(x)).add(onsager(z, den, n / l, this.cfg.onsager));
        pi = den.pi;
        logOdds = den.logOdds;
      }
      return { xr: x, red, pi: pi.squeeze(-1), logOdds: logOdds.squeeze(-1) };
    });
  }

  /** Linear NMSE of X_r against X V_r (the reduced-space target). */
  loss(s: Slots, depth: number): Tensor {
    return torch.tidy(() => {
      const o = this.forward(s, depth);
      const target = project(s.x, o.red.v);
      return fro2(o.xr.sub(target)).sum().div(fro2(target).sum().clamp(1e-12, null));
    });
  }

  dispose(): void { for (const t of this.params.values()) t.dispose(); this.params.clear(); }
}

/**
 * @module State evolution of MMV-AMP with the Bernoulli-Gaussian MMSE denoiser (Monte Carlo over the prior):
 * tau_{t+1}^2 = sigma_w^2 + (N / L) mse(tau_t^2), mse(tau^2) = (1/D) E ||eta(x + tau w) - x||^2 with x = a h,
 * a ~ Bernoulli(lambda), h ~ CN(0, beta I_D), w ~ CN(0, I_D), beta from the scenario (1, or the path-loss law);
 * tau_0^2 = sigma_w^2 + (N / L) lambda E[beta] (X_0 = 0). The MSE it predicts is that of the undamped iteration.
 */
import * as torch from '../../core/torch.js';
import { bgDenoise } from './amp.js';
import { abs2, crandn } from './complex.js';
import { noiseVariance, type ScenarioConfig } from './config.js';
import { gains } from './simulate.js';

/** Options of stateEvolution. */
export interface SeOptions {
  iterations: number;
  /** Monte-Carlo draws of (a, h, w) per iteration (fresh each iteration). */
  samples: number;
  seed: number;
  /** Working dimension D (default: the scenario's antennas M). */
  dim?: number;
}

/** The SE trajectory: tau_t^2 the iteration-t effective noise, mse_t the per-entry MSE of X_{t+1}, nmseDb = 10 log10(mse_t / (lambda E beta)). */
export interface SeResult { tau2: number[]; mse: number[]; nmseDb: number[]; noiseVar: number }

/** Monte-Carlo state evolution of MMV-AMP (undamped, oracle prior) for a scenario. */
export function stateEvolution(sc: ScenarioConfig, o: SeOptions): SeResult {
  const sigma2 = noiseVariance(sc);
  const d = o.dim ?? sc.antennas;
  const ratio = sc.devices / sc.pilotLength;
  const gen = new torch.Generator(o.seed);
  const meanBeta = torch.tidy(() => gains(sc, 20000, gen).mean().item() as number);
  const out: SeResult = { tau2: [], mse: [], nmseDb: [], noiseVar: sigma2 };
  let tau2 = sigma2 + ratio * sc.activity * meanBeta;
  const chunk = 20000;
  for (let t = 0; t < o.iterations; t++) {
    let err = 0;
    for (let done = 0; done < o.samples; done += chunk) {
      const k = Math.min(chunk, o.samples - done);
      err += torch.noGrad(() => torch.tidy(() => {
        const beta = gains(sc, k, gen).reshape([1, k, 1]);
        const act = torch.rand([1, k, 1], { generator: gen }).lt(sc.activity).float();
        const x = crandn([1, k, d], 1, gen).mul(beta.sqrt().mul(act));
        const tau = torch.full([1, 1, 1], tau2, { dtype: 'float32' });
        const r = x.add(crandn([1, k, d], tau2, gen));
        const den = bgDenoise(r, sc.activity, beta, tau, false);
        return abs2(den.x.sub(x)).sum().item() as number;
      }));
    }
    const mse = err / (o.samples * d);
    out.tau2.push(tau2);
    out.mse.push(mse);
    out.nmseDb.push(10 * Math.log10(mse / (sc.activity * meanBeta)));
    tau2 = sigma2 + ratio * mse;
  }
  return out;
}

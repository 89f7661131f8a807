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

/** Options of finiteStateEvolution. */
export interface FiniteSeOptions {
  iterations: number;
  /** Monte-Carlo draws of (beta, h, w) for the MSE tables (common random numbers over the tau^2 grid). */
  samples: number;
  seed: number;
  /** The prior includes ||phi_n||^2 ~ Gamma(L, 1/L) (AMP with columnNorm: its denoiser sees beta ||phi_n||^2). Default true. */
  columnNorm?: boolean;
  /** Points of the log-spaced tau^2 grid (default 160). */
  gridPoints?: number;
  /** Condition on exactly this number K of active devices instead of pooling over K ~ Binomial(N, lambda). */
  activeCount?: number;
  /**
   * The number of active devices of each simulated slot: the result then also carries slotsNmseDb, the SE pooled over
   * these K instead of the Binomial law (what AMP's NMSE on those slots estimates, without the sampling noise of K).
   */
  slotCounts?: number[];
}

/** The finite-N SE: the tau^2 trajectory and per-entry MSE averaged over K; nmseDb against the mean energy; the asymptotic SE's start for reference. */
export interface FiniteSeResult { mse: number[]; nmseDb: number[]; noiseVar: number; kRange: [number, number]; slotsNmseDb?: number[] }

/**
 * State evolution of one N-device system, conditioned on the number K of active devices and averaged over
 * K ~ Binomial(N, lambda): SE holds for the empirical distribution of X's rows, which at N = 500 has activity K/N, not
 * lambda (the denoiser keeps lambda). For each K: tau_{t+1}^2 = sigma^2 + (N/L) [(K/N) mse_1(tau_t^2) + (1 - K/N) mse_0(tau_t^2)],
 * tau_0^2 = sigma^2 + (K/L) E[beta]; mse_1, mse_0 (active, inactive rows) are tabulated once on a tau^2 grid by Monte Carlo
 * and interpolated log-log. With columnNorm the prior's gains are beta ||phi_n||^2 (the normalised problem AMP solves);
 * the reported MSE is in the original coordinates (divided by ||phi_n||^2). NMSE_t = E_K[N mse_t(K)] / (E[K] E[beta]), the
 * ratio of expectations that AMP's sum-over-slots NMSE estimates. With activeCount, the SE of that one K (no pooling); with
 * slotCounts, also the same ratio over the slots' own K (slotsNmseDb).
 */
export function finiteStateEvolution(sc: ScenarioConfig, o: FiniteSeOptions): FiniteSeResult {
  const sigma2 = noiseVariance(sc);
  const d = sc.antennas, n = sc.devices, l = sc.pilotLength, lam = sc.activity;
  const gen = new torch.Generator(o.seed);
  const g = o.gridPoints ?? 160;
  const fixedK = o.activeCount;
  if (fixedK !== undefined && !(Number.isInteger(fixedK) && fixedK >= 1 && fixedK <= n)) throw new Error(`finiteStateEvolution: activeCount ${fixedK} is not an integer in 1..${n} (devices)`);
  const pmf = fixedK === undefined ? binomialPmf(n, lam) : Array.from({ length: n + 1 }, (_, k) => (k === fixedK ? 1 : 0));
  const ks = pmf.map((p, k) => (p > 1e-10 ? k : -1)).filter((k) => k >= 0);
  const counts = o.slotCounts ?? [];
  if (counts.some((k) => !(Number.isInteger(k) && k >= 0 && k <= n))) throw new Error(`finiteStateEvolution: slotCounts must be integers in 0..${n} (devices)`);
  const kMax = Math.max(ks[ks.length - 1]!, ...counts);
  const tables = torch.noGrad(() => torch.tidy(() => {
    const s = o.samples;
    const beta = gains(sc, s, gen).reshape([1, s, 1]);
    const c2 = o.columnNorm === false ? torch.ones([1, s, 1]) : abs2(crandn([1, s, l], 1 / l, gen)).sum([-1], true);
    const bEff = beta.mul(c2);
    const h = crandn([1, s, d], 1, gen).mul(bEff.sqrt());
    const w = crandn([1, s, d], 1, gen);
    const meanBeta = beta.mean().item() as number, meanEff = bEff.mean().item() as number;
    const hi = (sigma2 + (kMax / l) * meanEff) * 1.5, lo = sigma2 * 0.9;
    const grid: number[] = [], m1: number[] = [], m0: number[] = [], o1: number[] = [], o0: number[] = [];
    for (let i = 0; i < g; i++) {
      const t2 = Math.exp(Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * i) / (g - 1));
      grid.push(t2);
      torch.tidy(() => {
        const tau = torch.full([1, 1, 1], t2, { dtype: 'float32' });
        const noise = w.mul(Math.sqrt(t2));
        const e1 = abs2(bgDenoise(h.add(noise), lam, bEff, tau, false).x.sub(h)).sum([-1], true);
        const e0 = abs2(bgDenoise(noise, lam, bEff, tau, false).x).sum([-1], true);
        m1.push(Math.max(1e-30, e1.mean().item() as number / d)); m0.push(Math.max(1e-30, e0.mean().item() as number / d));
        o1.push(Math.max(1e-30, e1.div(c2).mean().item() as number / d)); o0.push(Math.max(1e-30, e0.div(c2).mean().item() as number / d));
      });
    }
    return { grid, m1, m0, o1, o0, meanBeta, meanEff };
  }));
  const lg = tables.grid.map(Math.log);
  const at = (ys: number[], t2: number): number => Math.exp(interp(lg, ys.map(Math.log), Math.log(t2)));
  // sum_K p_K N mse_t(K) and sum_K p_K K over a K distribution
  const pool = (dist: [number, number][]): { num: number[]; kMean: number; pSum: number } => {
    const num = new Array<number>(o.iterations).fill(0);
    let pSum = 0, kMean = 0;
    for (const [k, p] of dist) {
      const f = k / n;
      pSum += p; kMean += p * k;
      let t2 = sigma2 + (k / l) * tables.meanEff;
      for (let t = 0; t < o.iterations; t++) {
        num[t]! += p * n * (f * at(tables.o1, t2) + (1 - f) * at(tables.o0, t2));
        t2 = sigma2 + (n / l) * (f * at(tables.m1, t2) + (1 - f) * at(tables.m0, t2));
      }
    }
    return { num, kMean, pSum };
  };
  const db = (r: { num: number[]; kMean: number }): number[] => r.num.map((v) => 10 * Math.log10(v / r.kMean / tables.meanBeta));
  const main = pool(ks.map((k) => [k, pmf[k]!]));
  const out: FiniteSeResult = { mse: main.num.map((v) => v / main.pSum / n), nmseDb: db(main), noiseVar: sigma2, kRange: [ks[0]!, ks[ks.length - 1]!] };
  if (counts.length) {
    const hist = new Map<number, number>();
    for (const k of counts) hist.set(k, (hist.get(k) ?? 0) + 1 / counts.length);
    out.slotsNmseDb = db(pool([...hist.entries()]));
  }
  return out;
}

/** Binomial(n, p) probabilities 0..n (log-space, no overflow). */
function binomialPmf(n: number, p: number): number[] {
  const out: number[] = [];
  let lf = 0; const lfact = [0];
  for (let i = 1; i <= n; i++) { lf += Math.log(i); lfact.push(lf); }
  for (let k = 0; k <= n; k++) out.push(Math.exp(lfact[n]! - lfact[k]! - lfact[n - k]! + k * Math.log(p) + (n - k) * Math.log1p(-p)));
  return out;
}

/** Piecewise-linear interpolation of (xs, ys) at x (xs increasing), clamped to the ends. */
function interp(xs: number[], ys: number[], x: number): number {
  if (x <= xs[0]!) return ys[0]!;
  const last = xs.length - 1;
  if (x >= xs[last]!) return ys[last]!;
  let lo = 0, hi = last;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid]! <= x) lo = mid; else hi = mid; }
  const u = (x - xs[lo]!) / (xs[hi]! - xs[lo]!);
  return ys[lo]! + u * (ys[hi]! - ys[lo]!);
}

/**
 * @module MMV-AMP with the Bernoulli-Gaussian MMSE denoiser (Liu & Yu; spec 6(b), verified against the reference code),
 * its EM-tuned version (Vila-Schniter EM updates of activity, channel scale and noise [R]), and the LMMSE/LS
 * channel re-estimate on a detected support. Tensors are batched: Y [B, L, M], Phi [L, N] or [B, L, N].
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { abs2, asComplex, fro2, herm, rowEnergy } from './complex.js';

/** The denoiser's outputs for pseudo-observations R [B, N, D] at effective noise tau2 [B, 1, 1]. */
export interface Denoised {
  /** MMSE estimate eta(r_n) = a pi_n r_n [B, N, D]. */
  x: Tensor;
  /** Posterior activity probability pi_n [B, N, 1] and its log-odds log(pi_n / (1 - pi_n)). */
  pi: Tensor;
  logOdds: Tensor;
  /** mean_n of the D x D Jacobians eta'_n [B, D, D] (complex; row convention J[j, k] = d eta_k / d r_j); null unless asked for. */
  jacMean: Tensor | null;
  /** The divergence (1/D) tr mean_n eta'_n [B, 1, 1] (real): the scalar Onsager coefficient (README, "Onsager term"). */
  div: Tensor;
  /** Shrinkage a = beta / (beta + tau2) [B, N, 1]. */
  a: Tensor;
}

/**
 * Posterior activity pi_n = 1 / (1 + t0), t0 = (1-lambda)/lambda ((beta+tau2)/tau2)^D exp(-c ||r_n||^2),
 * c = beta / (tau2 (beta + tau2)); computed as a sigmoid of -log t0 (no overflow for large D).
 */
export function posteriorActivity(r: Tensor, lambda: Tensor | number, beta: Tensor, tau2: Tensor): Tensor {
  return torch.tidy(() => torch.sigmoid(activityLogOdds(r, lambda, beta, tau2)));
}

/** log(pi_n / (1 - pi_n)) = -log t0 [B, N, 1]: the posterior log-odds of activity (the LLR plus the prior log-odds). */
export function activityLogOdds(r: Tensor, lambda: Tensor | number, beta: Tensor, tau2: Tensor): Tensor {
  return torch.tidy(() => {
    const d = r.shape[r.ndim - 1]!;
    const lam = typeof lambda === 'number' ? torch.full([1, 1, 1], lambda, { dtype: 'float32' }) : lambda;
    const bt = beta.add(tau2);
    const c = beta.div(tau2.mul(bt));
    const logPrior = torch.log1p(lam.neg()).sub(lam.log());
    const logT0 = logPrior.add(bt.div(tau2).log().mul(d)).sub(c.mul(rowEnergy(r)));
    return logT0.neg();
  });
}

/**
 * The Bernoulli-Gaussian MMSE denoiser, its posterior activity, the divergence and (matrix: true) the mean Jacobian
 * (spec 6(b) lines for a, b, c, t0, pi, x, eta'; the Wirtinger derivation is in the README).
 */
export function bgDenoise(r: Tensor, lambda: Tensor | number, beta: Tensor, tau2: Tensor, matrix = true): Denoised {
  return torch.tidy(() => {
    const [, n, d] = r.shape as [number, number, number];
    const a = beta.div(beta.add(tau2));
    const logOdds = activityLogOdds(r, lambda, beta, tau2);
    const pi = torch.sigmoid(logOdds);
    const x = r.mul(a.mul(pi));
    // d eta_k / d r_j = a pi delta_jk + w r_j^* r_k,  w = (a^2 / tau2) pi (1 - pi)   (t0 / (1 + t0)^2 = pi (1 - pi))
    const w = a.mul(a).div(tau2).mul(pi).mul(pi.neg().add(1));
    const diag = a.mul(pi).mean([1], true);
    const div = diag.add(w.mul(rowEnergy(r)).mean([1], true).div(d));
    let jacMean: Tensor | null = null;
    if (matrix) jacMean = herm(r).matmul(r.mul(w)).div(n).add(asComplex(torch.eye(d).unsqueeze(0).mul(diag)));
    return { x, pi, logOdds, jacMean, div, a };
  });
}

/** The Onsager correction (N/L) Z <eta'>: 'scalar' (N/L) div Z, or 'matrix' (N/L) Z mean_n J_n. */
export function onsager(z: Tensor, den: Denoised, ratio: number, kind: OnsagerKind): Tensor {
  return torch.tidy(() => {
    if (kind === 'matrix') {
      if (!den.jacMean) throw new Error('onsager: the matrix form needs bgDenoise(..., matrix = true)');
      return z.matmul(den.jacMean).mul(ratio);
    }
    if (kind === 'none') return torch.zerosLike(z);
    return z.mul(asComplex(den.div.mul(ratio)));
  });
}

/** Which Onsager coefficient AMP uses: the divergence (scalar, default: tracks SE), the full D x D mean Jacobian, or none (plain iterative thresholding; a diagnostic). */
export type OnsagerKind = 'scalar' | 'matrix' | 'none';

/** One EM sweep's estimates [R: EM-BG-AMP]: lambda = mean pi; scale s with beta_n = s beta0_n from E||h_n||^2 = a^2 ||r_n||^2 + D a tau2. */
export function emStep(r: Tensor, lambda: Tensor, scale: Tensor, beta0: Tensor, tau2: Tensor): { lambda: Tensor; scale: Tensor } {
  return torch.tidy(() => {
    const d = r.shape[r.ndim - 1]!;
    const beta = beta0.mul(scale);
    const a = beta.div(beta.add(tau2));
    const pi = posteriorActivity(r, lambda, beta, tau2);
    const energy = a.mul(a).mul(rowEnergy(r)).add(a.mul(tau2).mul(d)).div(beta0);
    const piSum = pi.sum([1], true).clamp(1e-6, null);
    const lam = pi.mean([1], true).clamp(1e-4, 1 - 1e-4);
    const s = pi.mul(energy).sum([1], true).div(piSum.mul(d)).clamp(1e-6, null);
    return { lambda: lam, scale: s };
  });
}

/** Options of mmvAmp. */
export interface AmpOptions {
  iterations: number;
  /** Weight of the new iterate [C: 0.95]. */
  damping: number;
  /** Oracle activity probability (ignored with em). */
  lambda: number;
  /** EM-tune lambda, the channel scale and sigma_w^2 each iteration. */
  em: boolean;
  /** EM's initial activity guess. */
  emInitActivity?: number;
  /** The Onsager form (default 'scalar'). */
  onsager?: OnsagerKind;
  /**
   * Run on unit-norm pilot columns (default true): Phi X = (Phi C^-1)(C X) with C = diag(||phi_n||), so the denoiser
   * sees gains beta_n ||phi_n||^2 and the estimate is mapped back. An exact reparametrisation of the model; it removes
   * the 1/sqrt(L) spread of ||phi_n||^2 that the iteration (built for unit columns) otherwise turns into per-device bias
   * (README, "Finite size"). false: the plain iteration on Phi.
   */
  columnNorm?: boolean;
  /** The true X [B, N, D]: with it, errTrace records sum ||X_t - X||^2 after every iteration. */
  truth?: Tensor;
}

/** What mmvAmp returns ([B, N] for per-device quantities). */
export interface AmpResult {
  x: Tensor;
  /** Posterior activity with the (oracle or EM) prior [B, N]. */
  pi: Tensor;
  /** Equal-prior posterior, i.e. the code's LLR test (pi >= 0.5 <=> ||r||^2 above the pfpm.m threshold) [B, N]. */
  piLlr: Tensor;
  /** Posterior log-odds of activity with the (oracle or EM) prior [B, N]: the soft score for threshold sweeps. */
  logOdds: Tensor;
  /** Final lambda and noise estimates [B] (EM's; the oracle values otherwise). */
  lambda: Tensor;
  noiseVar: Tensor;
  /** With options.truth: sum over the batch of ||X_t - X||_F^2 after iteration t, and the batch mean of tau_t^2 used at iteration t. */
  errTrace?: number[];
  tau2Trace?: number[];
}

/** tau^2 = ||Z||_F^2 / (D L) per slot [B, 1, 1] (the code's estimator). */
function tauSq(z: Tensor): Tensor {
  const [, l, d] = z.shape as [number, number, number];
  return fro2(z).div(l * d).clamp(1e-12, null);
}

/** ||phi_n||^2 per pilot column: [N] for Phi [L, N], [B, N] for [B, L, N]. */
export function columnEnergy(phi: Tensor): Tensor { return torch.tidy(() => abs2(phi).sum([-2])); }

/** MMV-AMP (Liu-Yu, spec 6(b)) on Y [B, L, D] with known gains beta0 [B, N]; with em the prior and noise are learned by EM. */
export function mmvAmp(y: Tensor, phi: Tensor, beta0: Tensor, o: AmpOptions): AmpResult {
  if (o.columnNorm === false) return mmvAmpRaw(y, phi, beta0, o, null);
  return torch.tidy(() => {
    const c2 = columnEnergy(phi).clamp(1e-12, null); // [N] or [B, N]
    const inv = asComplex(c2.rsqrt().unsqueeze(-1)); // [(B,) N, 1]: maps the rows of C X back to X
    const phiN = phi.mul(asComplex(c2.rsqrt().unsqueeze(-2)));
    const r = mmvAmpRaw(y, phiN, beta0.mul(c2), o, inv);
    return { ...r, x: r.x.mul(inv) };
  });
}

/** The iteration on the given Phi; rowScale (or null) maps its X to the caller's X for errTrace against o.truth. */
function mmvAmpRaw(y: Tensor, phi: Tensor, beta0: Tensor, o: AmpOptions, rowScale: Tensor | null): AmpResult {
  return torch.tidy(() => {
    const [b, l] = y.shape as [number, number, number];
    const n = phi.shape[phi.ndim - 1]!;
    const phiH = herm(phi);
    const g0 = beta0.unsqueeze(-1);
    const d = y.shape[2]!;
    const x0 = torch.zeros([b, n, d], { dtype: 'complex64' });
    const lambda0 = torch.full([b, 1, 1], o.em ? o.emInitActivity ?? 0.1 : o.lambda, { dtype: 'float32' });
    // EM start: s from E||Y||^2 = D (lambda N mean(beta0) s + L sigma^2) with sigma^2 = 0
    const scale0 = o.em ? fro2(y).div(lambda0.mul(g0.mean([1], true)).mul(n * d)) : torch.ones([b, 1, 1]);
    const kind = o.onsager ?? 'scalar';
    const errTrace: number[] = [];
    const tau2Trace: number[] = [];
    let st = { x: x0, z: y.clone(), tau2: tauSq(y), lambda: lambda0, scale: scale0, r: x0, rTau2: tauSq(y) };
    for (let t = 0; t < o.iterations; t++) {
      const next = torch.tidy(() => {
        const r = phiH.matmul(st.z).add(st.x);
        const em = o.em ? emStep(r, st.lambda, st.scale, g0, st.tau2) : { lambda: st.lambda.clone(), scale: st.scale.clone() };
        const den = bgDenoise(r, em.lambda, g0.mul(em.scale), st.tau2, kind === 'matrix');
        const x = den.x.mul(o.damping).add(st.x.mul(1 - o.damping));
        const z = y.sub(phi.matmul(x)).add(onsager(st.z, den, n / l, kind));
        return { x, z, tau2: tauSq(z), lambda: em.lambda, scale: em.scale, r, rTau2: st.tau2.clone() };
      });
      torch.dispose(st);
      st = next;
      if (o.truth) {
        errTrace.push(torch.tidy(() => fro2((rowScale ? st.x.mul(rowScale) : st.x).sub(o.truth!)).sum().item() as number));
        tau2Trace.push(st.rTau2.mean().item() as number);
      }
    }
    const { x, r, lambda, scale } = st;
    const tau2 = st.rTau2;
    // detection statistics of the last pseudo-observation r with the tau2 it was formed at
    const beta = g0.mul(scale);
    const logOdds = activityLogOdds(r, lambda, beta, tau2).squeeze(-1);
    const pi = torch.sigmoid(logOdds);
    const piLlr = posteriorActivity(r, 0.5, beta, tau2).squeeze(-1);
    const noiseVar = fro2(y.sub(phi.matmul(x))).div(l * d).flatten();
    const out: AmpResult = { x, pi, piLlr, logOdds, lambda: lambda.flatten(), noiseVar };
    if (o.truth) { out.errTrace = errTrace; out.tau2Trace = tau2Trace; }
    return out;
  });
}

/**
 * Channel re-estimate on a detected support [B, N] (0/1): LMMSE X = B Phi^H (Phi B Phi^H + sigma^2 I)^-1 Y with
 * B = diag(beta_n 1[n in support]) (spec 6(b) step 3, Woodbury form: an L x L solve); 'ls' is its sigma^2 -> 0 limit
 * (a 1e-6 ridge: the minimum-norm LS solution on the support).
 */
export function reestimate(y: Tensor, phi: Tensor, support: Tensor, beta0: Tensor, noiseVar: number | Tensor, kind: 'lmmse' | 'ls'): Tensor {
  return torch.tidy(() => {
    const l = y.shape[1]!;
    const bdiag = support.mul(beta0).unsqueeze(-1); // [B, N, 1]
    const phiH = herm(phi);
    const bPhiH = asComplex(bdiag).mul(phiH); // [B, N, L]
    const gram = phi.matmul(bPhiH); // [B, L, L]
    const s2 = kind === 'ls' ? 1e-6 * Math.max(1e-12, beta0.mean().item() as number) : noiseVar;
    const ridge = typeof s2 === 'number' ? torch.eye(l).mul(s2) : torch.eye(l).unsqueeze(0).mul(s2.reshape([-1, 1, 1]));
    return bPhiH.matmul(torch.solve(gram.add(asComplex(ridge)), y));
  });
}

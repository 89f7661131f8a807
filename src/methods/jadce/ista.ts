/** @module Group-LASSO baselines: group soft thresholding, group-ISTA and FISTA on min 1/2 ||Y - Phi X||_F^2 + kappa sum_n ||x_n||_2. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { asComplex, herm, rowEnergy } from './complex.js';

/** Row-wise group soft threshold: x_n max(0, 1 - theta / ||x_n||) (theta broadcastable to [B, N, 1]). */
export function groupSoft(x: Tensor, theta: Tensor | number): Tensor {
  return torch.tidy(() => {
    const norm = rowEnergy(x).add(1e-12).sqrt();
    return x.mul(asComplex(torch.relu(norm.sub(theta).div(norm))));
  });
}

/** The largest eigenvalue of Phi^H Phi per slot ([1, 1, 1] or [B, 1, 1]): 1 / step size. */
export function lipschitz(phi: Tensor): Tensor {
  return torch.tidy(() => {
    const s = torch.svdvals(phi);
    const top = s.narrow(-1, 0, 1);
    return top.mul(top).reshape([-1, 1, 1]);
  });
}

/** Options of groupIsta. */
export interface IstaOptions { iterations: number; kappa: number; fista: boolean }

/** Group-ISTA (fista: false) or FISTA with step 1 / ||Phi||_2^2, from X = 0. */
export function groupIsta(y: Tensor, phi: Tensor, o: IstaOptions): Tensor {
  return torch.tidy(() => {
    const [b, , m] = y.shape as [number, number, number];
    const n = phi.shape[phi.ndim - 1]!;
    const phiH = herm(phi);
    const step = lipschitz(phi).reciprocal();
    const theta = step.mul(o.kappa);
    const stepC = asComplex(step);
    let x = torch.zeros([b, n, m], { dtype: 'complex64' });
    let v = x;
    let tk = 1;
    for (let i = 0; i < o.iterations; i++) {
      const next = torch.tidy(() => {
        const grad = phiH.matmul(phi.matmul(v).sub(y));
        const xn = groupSoft(v.sub(grad.mul(stepC)), theta);
        if (!o.fista) return { x: xn, v: xn };
        const tn = (1 + Math.sqrt(1 + 4 * tk * tk)) / 2;
        return { x: xn, v: xn.add(xn.sub(x).mul((tk - 1) / tn)) };
      });
      if (v !== x) v.dispose();
      x.dispose();
      x = next.x;
      v = next.v;
      if (o.fista) tk = (1 + Math.sqrt(1 + 4 * tk * tk)) / 2;
    }
    if (v !== x) v.dispose();
    return x;
  });
}

/** [R] The group-LASSO weight kappa = reg sigma_w (sqrt(M) + sqrt(2 ln N)) (a universal-threshold scale with the oracle noise level). */
export function defaultKappa(reg: number, noiseVar: number, m: number, n: number): number {
  return reg * Math.sqrt(noiseVar) * (Math.sqrt(m) + Math.sqrt(2 * Math.log(n)));
}

/** Row-energy detection [R]: active iff ||x_n||^2 >= thr M beta_n; [B, N] 0/1. */
export function detectRows(x: Tensor, beta: Tensor, thr: number): Tensor {
  return torch.tidy(() => rowEnergy(x).squeeze(-1).ge(beta.mul(thr * x.shape[2]!)).float());
}

/**
 * @module The SSL losses of the baselines, each a peer of AKC and ARC (official ssl_lib/algs, plus the original
 * MixMatch): Pseudo Label / FixMatch (hard pseudo-labels of the weak view above a confidence threshold, cross
 * entropy on the second view), Mean Teacher (softmax MSE to the EMA teacher's weak-view prediction), ICT (what
 * the official code calls MixMatch: MixUp of weak unlabelled inputs and the teacher's soft targets, softmax MSE,
 * BatchNorm statistics not updated by that forward) and MixMatch (Berthelot et al. 2019: K weak views, averaged
 * and sharpened guesses, MixUp with the labelled batch, soft cross entropy + softmax MSE).
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { BatchNorm1d, BatchNorm2d } from '../../core/nn/layers/norm.js';
import type { Rng } from '../../data/rng.js';
import type { FeatureModel } from '../../models/index.js';
import { maskedCrossEntropy, pseudoLabels, sharpen, softCrossEntropy, softmaxMse } from './losses.js';

/** An SSL loss and the fraction of unlabelled examples it used (1 where there is no mask). */
export interface SslTerm { loss: Tensor; mask: number }

/** Pseudo Label / FixMatch: CE(second-view logits, argmax weak) on examples with max p(weak) >= threshold, mean over all. */
export function pseudoLabelLoss(weakLogits: Tensor, secondLogits: Tensor, threshold: number): SslTerm {
  return torch.tidy(() => {
    const { labels, mask } = pseudoLabels(weakLogits, threshold);
    return { loss: maskedCrossEntropy(secondLogits, labels, mask), mask: Number(mask.mean().item()) };
  });
}

/** Mean Teacher: softmax MSE between the student's second-view logits and the teacher's weak-view softmax. */
export function meanTeacherLoss(studentLogits: Tensor, teacherLogits: Tensor): SslTerm {
  return torch.tidy(() => ({ loss: softmaxMse(studentLogits, torch.softmax(teacherLogits.detach(), 1)), mask: 1 }));
}

/**
 * Runs fn with every BatchNorm normalising by batch statistics without reading or updating its running
 * statistics (the official update_batch_stats(False): F.batch_norm with no running buffers). Nothing is
 * written in place, so the graph of an earlier forward in the same step stays valid.
 */
export function withBatchStatsOnly<R>(model: FeatureModel, fn: () => R): R {
  const bns = model.modules().filter((m) => m instanceof BatchNorm1d || m instanceof BatchNorm2d) as unknown as { trackRunningStats: boolean }[];
  const was = bns.map((m) => m.trackRunningStats);
  bns.forEach((m) => { m.trackRunningStats = false; });
  try { return fn(); } finally { bns.forEach((m, i) => { m.trackRunningStats = was[i]!; }); }
}

/** Per-example MixUp with a random partner: factor f_i ~ Beta(alpha, alpha) (official algs/utils.mixup). */
function perExampleMixup(x: Tensor, y: Tensor, alpha: number, rng: Rng): { x: Tensor; y: Tensor } {
  const n = x.size(0);
  const perm = rng.permutation(n);
  const f = Array.from({ length: n }, () => rng.beta(alpha, alpha));
  return torch.tidy(() => {
    const idx = torch.tensor(Int32Array.from(perm)).to('int64');
    const fy = torch.tensor(Float32Array.from(f), { shape: [n, 1] });
    const fx = fy.reshape([n, 1, 1, 1]);
    return {
      x: x.mul(fx).add(x.indexSelect(0, idx).mul(torch.rsub(fx, 1))),
      y: y.mul(fy).add(y.indexSelect(0, idx).mul(torch.rsub(fy, 1))),
    };
  });
}

/** ICT: targets softmax(teacher weak logits), MixUp of weak inputs and targets, softmax MSE of the student on the mix (BN stats untouched). */
export function ictLoss(model: FeatureModel, weak: Tensor, teacherLogits: Tensor, alpha: number, rng: Rng): SslTerm {
  return torch.tidy(() => {
    const targets = torch.softmax(teacherLogits.detach(), 1);
    const mixed = perExampleMixup(weak, targets, alpha, rng);
    const logits = withBatchStatsOnly(model, () => model.call(mixed.x));
    return { loss: softmaxMse(logits, mixed.y), mask: 1 };
  });
}

/**
 * MixMatch (Berthelot et al. 2019): q = sharpen(mean_k softmax(model(u_k)), T) (no gradient, BN stats untouched);
 * W = shuffle([x_l; u_1..u_K]); lambda ~ Beta(alpha, alpha), lambda = max(lambda, 1 - lambda);
 * X' = mix(x_l, W[:B]), U' = mix(u_k, W[B:]); lx = soft CE on X', lu = softmax MSE on U'.
 */
export function mixmatchLoss(model: FeatureModel, xl: Tensor, yl: Tensor, views: Tensor[], numClasses: number, T: number, alpha: number, rng: Rng): { lx: Tensor; lu: SslTerm } {
  const lam0 = rng.beta(alpha, alpha);
  const lam = Math.max(lam0, 1 - lam0);
  const B = xl.size(0);
  const n = B + views.reduce((s, v) => s + v.size(0), 0);
  const perm = rng.permutation(n);
  return torch.tidy(() => {
    const q = torch.noGrad(() => withBatchStatsOnly(model, () => sharpen(torch.stack(views.map((v) => torch.softmax(model.call(v), 1)), 0).mean([0]), T)));
    const xAll = torch.cat([xl, ...views], 0);
    const yAll = torch.cat([torch.oneHot(yl, numClasses).to('float32'), ...views.map(() => q)], 0);
    const idx = torch.tensor(Int32Array.from(perm)).to('int64');
    const xMix = xAll.mul(lam).add(xAll.indexSelect(0, idx).mul(1 - lam));
    const yMix = yAll.mul(lam).add(yAll.indexSelect(0, idx).mul(1 - lam));
    const logits = model.call(xMix);
    return {
      lx: softCrossEntropy(logits.narrow(0, 0, B), yMix.narrow(0, 0, B)),
      lu: { loss: softmaxMse(logits.narrow(0, B, n - B), yMix.narrow(0, B, n - B)), mask: 1 },
    };
  });
}


/**
 * @module The losses of semi-supervised transfer, as the official code defines them
 * (SHI-Labs/Semi-Supervised-Transfer-Learning, trainer/train.py and consistency/):
 * the entropy gate, AKC's masked squared feature distance, ARC's Gaussian-kernel MMD,
 * and the consistency losses of the SSL baselines. Pure functions of tensors.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';

/** H(softmax(logits)) per row: -sum_c p_c log p_c, [N]. */
export function entropy(logits: Tensor): Tensor {
  return torch.tidy(() => torch.softmax(logits, 1).mul(torch.logSoftmax(logits, 1)).sum(1).neg());
}

/** The entropy gate w(x) = 1[H(softmax(logits)) <= tau * log K] as float32 [N] (K = logits.size(1)), computed without a graph. */
export function entropyGate(logits: Tensor, tau: number): Tensor {
  return torch.noGrad(() => torch.tidy(() => entropy(logits.detach()).le(tau * Math.log(logits.size(1))).to('float32')));
}

/**
 * AKC: sum_i w_i * sum_c (ft_ic - fs_ic)^2 / scale, divided by max(sum_i w_i, 1) (the official Distribution_Loss
 * with loss 'mse': element-wise MSE / 10000 summed over channels, mask-weighted mean). fs carries no gradient.
 */
export function akcLoss(target: Tensor, source: Tensor, mask: Tensor, scale: number): Tensor {
  return torch.tidy(() => {
    const per = target.sub(source.detach()).square().div(scale).sum(1);
    return per.mul(mask).sum().div(Math.max(1, Number(mask.sum().item())));
  });
}

/** The Gaussian kernel K(a_i, b_j) = exp(-mean_d (a_id - b_jd)^2) [Na, Nb] (bandwidth tied to the dimension d). */
export function gaussianKernel(a: Tensor, b: Tensor): Tensor {
  return torch.tidy(() => a.unsqueeze(1).sub(b.unsqueeze(0)).square().mean([2]).neg().exp());
}

/** Biased (V-statistic) MMD^2: mean K(x,x) + mean K(y,y) - 2 mean K(x,y). */
export function mmd2(x: Tensor, y: Tensor): Tensor {
  return torch.tidy(() => gaussianKernel(x, x).mean().add(gaussianKernel(y, y).mean()).sub(gaussianKernel(x, y).mean().mul(2)));
}

/** Per-example cross entropy with hard labels, masked, averaged over ALL examples (FixMatch / Pseudo Label). */
export function maskedCrossEntropy(logits: Tensor, labels: Tensor, mask: Tensor): Tensor {
  return torch.tidy(() => torch.logSoftmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1).neg().mul(mask).mean());
}

/** -(targets * logSoftmax(logits)).sum(1).mean(): cross entropy with soft targets. */
export function softCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  return torch.tidy(() => targets.detach().mul(torch.logSoftmax(logits, 1)).sum(1).neg().mean());
}

/** The official mean_squared: mean_c (softmax(logits) - targets)^2 per example, times mask (when given), mean over examples. */
export function softmaxMse(logits: Tensor, targets: Tensor, mask: Tensor | null = null): Tensor {
  return torch.tidy(() => {
    const per = torch.softmax(logits, 1).sub(targets.detach()).square().mean([1]);
    return (mask ? per.mul(mask) : per).mean();
  });
}

/** Sharpening p^(1/T) / sum (MixMatch). */
export function sharpen(p: Tensor, T: number): Tensor {
  return torch.tidy(() => { const q = p.pow(1 / T); return q.div(q.sum(1, true)); });
}

/** Hard pseudo-labels and the confidence mask max p >= threshold (float32) of detached logits. */
export function pseudoLabels(logits: Tensor, threshold: number): { labels: Tensor; mask: Tensor } {
  return torch.noGrad(() => torch.tidy(() => {
    const p = torch.softmax(logits.detach(), 1);
    return { labels: p.argmax(1), mask: p.amax([1]).ge(threshold).to('float32') };
  }));
}

/**
 * @module GatedConv: one AdaFilter layer. It holds the frozen pre-trained convolution S (`frozen`) and its
 * trainable copy F (`tuned`), and, when the backbone's convolution was followed by a BatchNorm2d, the
 * gated BN pair (`bn_frozen` = the pre-trained BN, `bn_tuned` = a copy of it) or, with gatedBn false, one
 * shared BN (`bn`) after the mix. For a gate g [N, C] (per example, per output filter):
 *   gated BN:   y = g * BN^F(F * x) + (1 - g) * BN^S(S * x)
 *   shared BN:  y = BN(g * (F * x) + (1 - g) * (S * x))
 *   no BN:      y = g * (F * x) + (1 - g) * (S * x)
 * With bnStats 'masked' each gated BN normalises with, and updates its running statistics from, only the
 * examples whose gate selects its branch (masked moments); 'batch' uses the whole batch for both.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { Module } from '../../core/nn/module.js';
import { Conv2d } from '../../core/nn/layers/conv.js';
import { BatchNorm2d } from '../../core/nn/layers/norm.js';
import type { GateNetwork } from './gate.js';

/** How a GatedConv treats BatchNorm. */
export interface GatedConvOptions {
  /** The BatchNorm2d that followed the convolution in the backbone (null: none). */
  bn: BatchNorm2d | null;
  gatedBn: boolean;
  bnStats: 'batch' | 'masked';
}

/** A copy of a Conv2d (same hyper-parameters, weights copied). */
export function copyConv(c: Conv2d): Conv2d {
  const pad = c.padding;
  const out = new Conv2d(c.inChannels, c.outChannels, c.kernelSize, { stride: c.stride, padding: pad, dilation: c.dilation, groups: c.groups, bias: c.bias !== null, dtype: c.weight.dtype });
  out.loadStateDict(c.stateDict());
  return out;
}

/** A copy of a BatchNorm2d (affine parameters, running statistics and counter). */
export function copyBn(b: BatchNorm2d): BatchNorm2d {
  const out = new BatchNorm2d(b.numFeatures, { eps: b.eps, momentum: b.momentum, affine: b.affine, trackRunningStats: b.trackRunningStats });
  out.loadStateDict(b.stateDict());
  out.training = b.training;
  return out;
}

/**
 * Batch norm of x [N, C, H, W] in training mode with statistics over the examples selected by mask m [N, C]
 * (0/1, no gradient): per channel, mean and biased variance over the selected examples' pixels; running
 * statistics updated (unbiased variance, PyTorch's rule) only for channels with more than one selected value.
 * A channel no example selects is normalised with mean 0 and variance 0 (finite; the mix multiplies it by 0).
 */
export function maskedBatchNorm(bn: BatchNorm2d, x: Tensor, m: Tensor): Tensor {
  const hw = x.size(2) * x.size(3);
  const m4 = m.unsqueeze(2).unsqueeze(3);
  const cnt = m.sum(0).mul(hw); // [C]
  const denom = torch.clamp(cnt, 1);
  const mean = x.mul(m4).sum([0, 2, 3]).div(denom);
  const centred = x.sub(mean.view([1, -1, 1, 1]));
  const variance = centred.pow(2).mul(m4).sum([0, 2, 3]).div(denom);
  if (bn.trackRunningStats && bn.runningMean && bn.runningVar) {
    torch.noGrad(() => torch.tidy(() => {
      bn.numBatchesTracked?.add_(1);
      const f = bn.momentum ?? 1 / Number(bn.numBatchesTracked!.item());
      const ok = cnt.gt(1);
      const unbiased = variance.detach().mul(cnt).div(torch.clamp(cnt.sub(1), 1));
      bn.runningMean!.copy_(torch.where(ok, bn.runningMean!.mul(1 - f).add(mean.detach().mul(f)), bn.runningMean!));
      bn.runningVar!.copy_(torch.where(ok, bn.runningVar!.mul(1 - f).add(unbiased.mul(f)), bn.runningVar!));
    }));
  }
  let y = centred.mul(torch.rsqrt(variance.add(bn.eps)).view([1, -1, 1, 1]));
  if (bn.weight && bn.bias) y = y.mul(bn.weight.view([1, -1, 1, 1])).add(bn.bias.view([1, -1, 1, 1]));
  return y;
}

/** A gated convolution (see the module doc); `index` is its position in the gate network's forward order. */
export class GatedConv extends Module {
  readonly frozen: Conv2d;
  readonly tuned: Conv2d;
  readonly bnFrozen: BatchNorm2d | null;
  readonly bnTuned: BatchNorm2d | null;
  readonly bn: BatchNorm2d | null;
  readonly bnStats: 'batch' | 'masked';

  /** Takes ownership of `conv` (frozen: requiresGrad false) and of o.bn; the copies start equal to them. */
  constructor(conv: Conv2d, readonly index: number, readonly gates: GateNetwork, o: GatedConvOptions) {
    super();
    this.bnStats = o.bnStats;
    this.frozen = this.registerModule('frozen', conv);
    this.tuned = this.registerModule('tuned', copyConv(conv));
    conv.requiresGrad_(false);
    this.tuned.requiresGrad_(true);
    const gated = o.bn !== null && o.gatedBn;
    this.bnFrozen = this.registerModule('bn_frozen', gated ? o.bn : null);
    this.bnTuned = this.registerModule('bn_tuned', gated ? copyBn(o.bn!) : null);
    this.bn = this.registerModule('bn', gated ? null : o.bn);
  }

  get outChannels(): number { return this.frozen.outChannels; }

  /** y = g * F-branch + (1 - g) * S-branch (see the module doc); the gate comes from the shared gate network. */
  forward(x: Tensor): Tensor {
    const g = this.gates.call(this.index, x);
    const g4 = g.unsqueeze(2).unsqueeze(3);
    let yS = this.frozen.call(x);
    let yF = this.tuned.call(x);
    if (this.bnFrozen && this.bnTuned) {
      const masked = this.bnStats === 'masked' && this.training;
      const gd = masked ? g.detach() : null;
      yS = masked ? maskedBatchNorm(this.bnFrozen, yS, gd!.rsub(1)) : this.bnFrozen.call(yS);
      yF = masked ? maskedBatchNorm(this.bnTuned, yF, gd!) : this.bnTuned.call(yF);
    }
    const y = g4.mul(yF).add(g4.rsub(1).mul(yS));
    return this.bn ? this.bn.call(y) : y;
  }

  override extraRepr(): string { return `index=${this.index}, gated_bn=${this.bnFrozen !== null}, bn_stats=${this.bnStats}`; }
}

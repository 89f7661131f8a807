/**
 * @module SyncBatchNorm for data-parallel training (PyTorch's
 * nn.SyncBatchNorm): in training mode, batch norm's batch statistics are taken
 * over the global batch (every rank's examples) instead of each rank's own.
 * convertSyncBatchNorm() switches every BatchNorm1d/2d of a model over in
 * place: their forward is replaced (parameters, buffers and the module tree stay
 * the same objects, so an optimizer built before keeps working) and a returned
 * function switches them back. Evaluation mode is untouched (running stats).
 *
 * Per layer and training forward: two blocking all-reduces (per-channel sums
 * and counts, then squared deviations from the global mean: a two-pass
 * variance, as exact as one process's), each differentiable, so backward adds
 * two more. The running mean/variance are updated with the global statistics
 * (unbiased variance over the global count), so they stay equal on every rank.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { allReduceSumGrad } from '../core/distributed.js';
import type { AnyModule } from '../core/nn/module.js';
import { BatchNorm1d, BatchNorm2d } from '../core/nn/index.js';

type BN = BatchNorm1d | BatchNorm2d;

/** Batch norm of `x` ([N, C, ...]) with statistics over every rank's batch (training mode). */
export function syncBatchNorm(bn: BN, input: Tensor): Tensor {
  const c = bn.numFeatures;
  if (input.ndim < 2 || input.size(1) !== c) throw new RangeError(`SyncBatchNorm: expected input [N, ${c}, ...], got [${input.shape}]`);
  // statistics in float32 at least (half-precision sums and counts lose exactness), output in the input's dtype
  const low = input.dtype !== 'float32' && input.dtype !== 'float64';
  const x = low ? input.to('float32') : input;
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const shape = x.shape.map((v, i) => (i === 1 ? c : 1));
  const local = x.numel() / c;
  const sums = allReduceSumGrad(torch.cat([x.sum(dims), torch.full([1], local, { dtype: x.dtype })]));
  const count = Number(sums.narrow(0, c, 1).item());
  if (count <= 1) throw new RangeError(`SyncBatchNorm: expected more than 1 value per channel over all ranks when training, got ${count}`);
  const mean = sums.narrow(0, 0, c).div(count);
  const xc = x.sub(mean.reshape(shape));
  const variance = allReduceSumGrad(xc.pow(2).sum(dims)).div(count);
  let y = xc.mul(variance.add(bn.eps).rsqrt().reshape(shape));
  if (bn.weight) y = y.mul(bn.weight.reshape(shape));
  if (bn.bias) y = y.add(bn.bias.reshape(shape));
  if (low) y = y.to(input.dtype);
  if (bn.trackRunningStats && bn.runningMean && bn.runningVar) {
    torch.noGrad(() => {
      bn.numBatchesTracked?.add_(1);
      const m = bn.momentum ?? 1 / Number(bn.numBatchesTracked!.item());
      bn.runningMean!.mul_(1 - m).add_(mean.detach(), m);
      bn.runningVar!.mul_(1 - m).add_(variance.detach().mul(count / (count - 1)), m);
    });
  }
  return y;
}

/** Switches every BatchNorm1d/2d in `model` to synchronised statistics while training; returns the undo. */
export function convertSyncBatchNorm(model: AnyModule): () => void {
  const converted: BN[] = [];
  for (const m of model.modules()) {
    if (!(m instanceof BatchNorm1d || m instanceof BatchNorm2d) || Object.hasOwn(m, 'forward')) continue;
    const own = m.forward.bind(m);
    m.forward = (x: Tensor): Tensor => (m.training ? syncBatchNorm(m, x) : own(x));
    converted.push(m);
  }
  return () => { for (const m of converted) delete (m as Partial<BN>).forward; };
}

/**
 * @module SyncBatchNorm for data-parallel training (PyTorch's
 * nn.SyncBatchNorm): in training mode, batch norm's batch statistics are taken
 * over the global batch (every rank's examples) instead of each rank's own.
 * convertSyncBatchNorm() switches every BatchNorm1d/2d of a model over in
 * place: their forward is replaced (parameters, buffers and the module tree stay
 * the same objects, so an optimizer built before keeps working) and a returned
 * function switches them back. Evaluation mode is untouched (running stats).
 *
 * Per layer and training forward: one blocking all-reduce that gathers every
 * rank's count, mean and sum of squared deviations (each rank's own two-pass
 * statistics, combined with Chan et al.'s formula: no E[x^2] - E[x]^2
 * cancellation); it is differentiable, so backward adds one more. The running mean/variance are updated with the global statistics
 * (unbiased variance over the global count), so they stay equal on every rank.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { allReduceSumGrad, getRank, getWorldSize } from '../core/distributed.js';
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
  // this rank's count, mean and sum of squared deviations (exact two-pass), gathered from every rank in one
  // differentiable all-reduce of a [W, 2C+1] table where rank r fills row r, then combined (Chan et al.)
  const local = x.numel() / c;
  const [localVar, localMean] = x.varMean(dims, 0);
  const m2 = localVar.mul(local);
  const row = torch.cat([localMean, m2, torch.full([1], local, { dtype: x.dtype })]).unsqueeze(0);
  const w = getWorldSize();
  const r = getRank();
  const pad = (n: number): Tensor[] => (n > 0 ? [torch.zeros([n, 2 * c + 1], { dtype: x.dtype })] : []);
  const table = allReduceSumGrad(torch.cat([...pad(r), row, ...pad(w - r - 1)]));
  const counts = table.narrow(1, 2 * c, 1); // [W, 1]
  const count = Number(counts.sum().item());
  if (count <= 1) throw new RangeError(`SyncBatchNorm: expected more than 1 value per channel over all ranks when training, got ${count}`);
  const means = table.narrow(1, 0, c);
  const mean = means.mul(counts).sum(0).div(count);
  const variance = table.narrow(1, c, c).add(means.sub(mean).pow(2).mul(counts)).sum(0).div(count);
  // y = x * scale + shift per channel: one pass over the activations (and autograd's backward of it)
  let scale = variance.add(bn.eps).rsqrt();
  if (bn.weight) scale = scale.mul(bn.weight);
  let shift = mean.mul(scale).neg();
  if (bn.bias) shift = shift.add(bn.bias);
  let y = torch.addcmul(shift.reshape(shape), x, scale.reshape(shape));
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

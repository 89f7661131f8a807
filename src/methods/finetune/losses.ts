/**
 * @module The regularisers of standard fine-tuning as plain functions (TLlib style): L2-SP
 * (Li, Grandvalet & Davoine, ICML 2018, "Explicit Inductive Bias for Transfer Learning with Convolutional
 * Networks") and the explicit form of plain L2. Both return a scalar with a graph to the parameters.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';

/** sum_p ||p - ref_p||^2 (ref_p null: ||p||^2), a scalar; refs carry no grad. */
export function squaredDistance(params: readonly Tensor[], refs?: readonly (Tensor | null)[]): Tensor {
  let acc: Tensor | null = null;
  params.forEach((p, i) => {
    const r = refs?.[i]; // undefined (no refs) or null: plain ||p||^2
    const d = r ? torch.sub(p, r) : p;
    const s = d.square().sum();
    acc = acc ? acc.add(s) : s;
  });
  return acc ?? torch.zeros([]);
}

/**
 * L2-SP: Omega(w) = alpha/2 * ||w_S - w_S^0||^2 + beta/2 * ||w_new||^2, with w_S the transferred (backbone)
 * parameters, w_S^0 their pre-trained values (no grad) and w_new the new head's parameters.
 * Returns the total and its two terms.
 */
export function l2spPenalty(backbone: readonly Tensor[], reference: readonly Tensor[], head: readonly Tensor[], alpha: number, beta: number): { total: Tensor; sp: Tensor; head: Tensor } {
  if (backbone.length !== reference.length) throw new RangeError(`l2spPenalty: ${backbone.length} backbone parameters but ${reference.length} references`);
  const sp = squaredDistance(backbone, reference).mul(alpha / 2);
  const hd = squaredDistance(head).mul(beta / 2);
  return { total: sp.add(hd), sp, head: hd };
}

/** Plain L2 as an explicit penalty: lambda/2 * sum_p ||p||^2 (its gradient lambda * p equals SGD's coupled weight decay). */
export function l2Penalty(params: readonly Tensor[], lambda: number): Tensor {
  return squaredDistance(params).mul(lambda / 2);
}

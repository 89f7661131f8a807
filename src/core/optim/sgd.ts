/** @module SGD with momentum, dampening, Nesterov, weight decay and maximize (PyTorch 1.13's single-tensor update). */
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../errors.js';
import { check, checkLr, Optimizer, type ParamGroup, type Params } from './optimizer.js';

/** SGD hyperparameters (torch.optim.SGD; lr is required). */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}
/** A parameter group of SGD, every hyperparameter filled in. */
export interface SGDGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}
type H = Omit<SGDGroup, 'params'>;

/**
 * Stochastic gradient descent. For each parameter p with gradient g:
 * g = -g if maximize; g += weightDecay·p; buf = g (first step) or momentum·buf + (1-dampening)·g;
 * g = g + momentum·buf if nesterov else buf; p -= lr·g.
 */
export class SGD extends Optimizer<SGDGroup> {
  constructor(params: Params<H>, o: SGDOptions) {
    if (!o || o.lr === undefined) throw new TypeError('SGD: lr is required');
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...o });
  }

  protected validate(h: H): void {
    checkLr(h.lr);
    check(Number.isFinite(h.momentum) && h.momentum >= 0, 'momentum value', h.momentum, 'momentum', '>= 0');
    check(Number.isFinite(h.dampening), 'dampening value', h.dampening, 'dampening', 'a finite number');
    check(Number.isFinite(h.weightDecay) && h.weightDecay >= 0, 'weight_decay value', h.weightDecay,
      'weightDecay', '>= 0');
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new ConfigError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected update(g: SGDGroup): void {
    const { lr, momentum, dampening, weightDecay: wd, nesterov, maximize } = g;
    for (const p of g.params) {
      const grad = p.grad;
      if (!grad) continue;
      let d: Tensor = grad;
      if (maximize) d = d.neg();
      if (wd !== 0) d = d.add(p, wd);
      let buf: Tensor | null = null;
      if (momentum !== 0) {
        const s = this.state.get(p);
        if (!s) buf = this.stateOf(p, () => ({ momentum_buffer: d.clone() })).momentum_buffer as Tensor;
        else { buf = s.momentum_buffer as Tensor; buf.mul_(momentum).add_(d, 1 - dampening); }
        d = nesterov ? d.add(buf, momentum) : buf;
      }
      p.add_(d, -lr);
      if (d !== grad && d !== buf) d.dispose();
      grad.dispose();
    }
  }
}

/** @module Adam and AdamW (PyTorch 1.13's single-tensor update, amsgrad, maximize, weight decay). */
import type { Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../tensor/generated/ops.js';
import { check, checkLr, Optimizer, type ParamGroup, type Params } from './optimizer.js';

/** Adam/AdamW hyperparameters (torch.optim.Adam / AdamW). */
export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}
/** A parameter group of Adam/AdamW, every hyperparameter filled in. */
export interface AdamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}
type H = Omit<AdamGroup, 'params'>;

function validateAdam(h: H): void {
  checkLr(h.lr);
  check(Number.isFinite(h.eps) && h.eps >= 0, 'epsilon value', h.eps, 'eps', '>= 0');
  const b = h.betas;
  check(Array.isArray(b) && b.length === 2, 'betas', b, 'betas', 'a pair [beta1, beta2]');
  check(b[0] >= 0 && b[0] < 1, 'beta parameter at index 0', b[0], 'betas[0]', 'in [0, 1)');
  check(b[1] >= 0 && b[1] < 1, 'beta parameter at index 1', b[1], 'betas[1]', 'in [0, 1)');
  check(Number.isFinite(h.weightDecay) && h.weightDecay >= 0, 'weight_decay value', h.weightDecay,
    'weightDecay', '>= 0');
}

/** The shared update; decoupled selects AdamW's p *= 1 - lr·wd instead of g += wd·p. */
function adamUpdate(opt: Adam, g: AdamGroup, decoupled: boolean): void {
  const { lr, eps, weightDecay: wd, amsgrad, maximize } = g;
  const [beta1, beta2] = g.betas;
  for (const p of g.params) {
    const grad = p.grad;
    if (!grad) continue;
    const s = opt.stateFor(p, amsgrad);
    const expAvg = s['exp_avg'] as Tensor;
    const expAvgSq = s['exp_avg_sq'] as Tensor;
    const step = (s['step'] as number) + 1;
    s['step'] = step;
    let d: Tensor = maximize ? grad.neg() : grad;
    if (decoupled) p.mul_(1 - lr * wd);
    else if (wd !== 0) d = d.add(p, wd);
    expAvg.mul_(beta1).add_(d, 1 - beta1);
    expAvgSq.mul_(beta2).addcmul_(d, d, 1 - beta2);
    const bc1 = 1 - beta1 ** step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    let denom: Tensor;
    if (amsgrad) {
      const max = s['max_exp_avg_sq'] as Tensor;
      const m = max.maximum(expAvgSq);
      max.copy_(m);
      m.dispose();
      denom = max.sqrt();
    } else {
      denom = expAvgSq.sqrt();
    }
    denom.div_(bc2Sqrt).add_(eps);
    p.addcdiv_(expAvg, denom, -(lr / bc1));
    denom.dispose();
    if (d !== grad) d.dispose();
    grad.dispose();
  }
}

/** Adam (Kingma & Ba), with L2 weight decay added to the gradient as in torch.optim.Adam. */
export class Adam extends Optimizer<AdamGroup> {
  constructor(params: Params<H>, o: AdamOptions = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...o });
  }
  protected validate(h: H): void { validateAdam(h); }
  protected update(g: AdamGroup): void { adamUpdate(this, g, false); }
  /** The state of p (step, exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad), created at zero on first use. */
  stateFor(p: Tensor, amsgrad: boolean): Record<string, Tensor | number> {
    const s = this.stateOf(p, () => ({ step: 0, exp_avg: zerosLike(p), exp_avg_sq: zerosLike(p) }));
    if (amsgrad && !s['max_exp_avg_sq']) s['max_exp_avg_sq'] = this.keepState(zerosLike(p));
    return s;
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay p *= 1 - lr·weightDecay; weightDecay defaults to 1e-2. */
export class AdamW extends Adam {
  constructor(params: Params<H>, o: AdamOptions = {}) {
    super(params, { weightDecay: 1e-2, ...o });
  }
  protected override update(g: AdamGroup): void { adamUpdate(this, g, true); }
}

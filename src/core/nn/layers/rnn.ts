/** @module Recurrent cells: LSTMCell and GRUCell (PyTorch's parameter names, gate order and initialisation). */
import * as torch from '../../torch.js';
import type { Tensor } from '../../torch.js';
import { Module } from '../module.js';
import * as init from '../init.js';
import { emptyParam, type FactoryOptions } from './linear.js';

/** weight_ih [g*h, in], weight_hh [g*h, h], bias_ih, bias_hh; all ~ U(+-1/sqrt(h)) in that order, as PyTorch. */
abstract class RNNCellBase<In extends unknown[], Out> extends Module<In, Out> {
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHh: Tensor | null;
  constructor(readonly inputSize: number, readonly hiddenSize: number, gates: number, o: FactoryOptions & { bias?: boolean }) {
    super();
    this.weightIh = this.registerParameter('weight_ih', emptyParam([gates * hiddenSize, inputSize], o));
    this.weightHh = this.registerParameter('weight_hh', emptyParam([gates * hiddenSize, hiddenSize], o));
    const bias = o.bias ?? true;
    this.biasIh = this.registerParameter('bias_ih', bias ? emptyParam([gates * hiddenSize], o) : null);
    this.biasHh = this.registerParameter('bias_hh', bias ? emptyParam([gates * hiddenSize], o) : null);
    this.resetParameters();
  }
  /** U(-1/sqrt(hidden), 1/sqrt(hidden)) for each parameter in registration order. */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1.0 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) init.uniform_(p, -stdv, stdv);
  }
  /** Checks input (N, in) or (in) and a hidden state of the matching shape. */
  protected check(x: Tensor, h: Tensor | null, what: string): void {
    if ((x.ndim !== 1 && x.ndim !== 2) || x.size(-1) !== this.inputSize) this.shapeError(x, `(N, ${this.inputSize}) or (${this.inputSize})`);
    if (h) {
      const want = x.ndim === 2 ? [x.size(0), this.hiddenSize] : [this.hiddenSize];
      const s = h.shape;
      if (s.length !== want.length || s.some((v, i) => v !== want[i])) {
        this.shapeError(h, `${what} of shape [${want.join(', ')}] for input shape [${x.shape.join(', ')}]`);
      }
    }
  }
  protected zerosState(x: Tensor): Tensor {
    return torch.zeros(x.ndim === 2 ? [x.size(0), this.hiddenSize] : [this.hiddenSize], { dtype: x.dtype, device: x.device as never });
  }
  override extraRepr(): string { return `${this.inputSize}, ${this.hiddenSize}${this.biasIh ? '' : ', bias=false'}`; }
}

/** One LSTM step: forward(x, [h, c]?) -> [h', c'] (gates i, f, g, o); a missing state is zeros. */
export class LSTMCell extends RNNCellBase<[Tensor, [Tensor, Tensor]?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, o: FactoryOptions & { bias?: boolean } = {}) { super(inputSize, hiddenSize, 4, o); }
  forward(x: Tensor, hx?: [Tensor, Tensor]): [Tensor, Tensor] {
    this.check(x, hx?.[0] ?? null, 'h');
    this.check(x, hx?.[1] ?? null, 'c');
    return torch.tidy(() => {
      const batched = x.ndim === 2;
      const xb = batched ? x : x.unsqueeze(0);
      const [h, c] = hx ?? [this.zerosState(x), this.zerosState(x)];
      const st = batched ? [h, c] : [h.unsqueeze(0), c.unsqueeze(0)];
      const [h1, c1] = torch.lstmCell(xb, st, this.weightIh, this.weightHh, this.biasIh, this.biasHh);
      return batched ? [h1, c1] as [Tensor, Tensor] : [h1.squeeze(0), c1.squeeze(0)] as [Tensor, Tensor];
    });
  }
}

/** One GRU step: forward(x, h?) -> h' (gates r, z, n); a missing state is zeros. */
export class GRUCell extends RNNCellBase<[Tensor, Tensor?], Tensor> {
  constructor(inputSize: number, hiddenSize: number, o: FactoryOptions & { bias?: boolean } = {}) { super(inputSize, hiddenSize, 3, o); }
  forward(x: Tensor, hx?: Tensor): Tensor {
    this.check(x, hx ?? null, 'h');
    return torch.tidy(() => {
      const batched = x.ndim === 2;
      const h = hx ?? this.zerosState(x);
      const out = torch.gruCell(batched ? x : x.unsqueeze(0), batched ? h : h.unsqueeze(0), this.weightIh, this.weightHh, this.biasIh, this.biasHh);
      return batched ? out : out.squeeze(0);
    });
  }
}

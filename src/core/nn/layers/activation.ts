/** @module Activation layers (module forms of the functional activations). */
import type { Tensor, DType } from '../../torch.js';
import { Module } from '../module.js';
import * as F from '../functional.js';

/** max(x, 0). */
export class ReLU extends Module { forward(x: Tensor): Tensor { return F.relu(x); } }
/** Leaky ReLU with negativeSlope (default 0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negative_slope=${this.negativeSlope}`; }
}
/** GELU ('none' exact or 'tanh' approximation). */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') { super(); }
  forward(x: Tensor): Tensor { return F.gelu(x, { approximate: this.approximate }); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}
/** x * sigmoid(x). */
export class SiLU extends Module { forward(x: Tensor): Tensor { return F.silu(x); } }
/** Logistic sigmoid. */
export class Sigmoid extends Module { forward(x: Tensor): Tensor { return F.sigmoid(x); } }
/** Hyperbolic tangent. */
export class Tanh extends Module { forward(x: Tensor): Tensor { return F.tanh(x); } }
/** Softplus with beta and threshold. */
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) { super(); }
  forward(x: Tensor): Tensor { return F.softplus(x, { beta: this.beta, threshold: this.threshold }); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}
/** Softmax along dim (required; PyTorch's implicit dim is deprecated). */
export class Softmax extends Module {
  constructor(readonly dim: number, readonly dtype?: DType) { super(); }
  forward(x: Tensor): Tensor { return F.softmax(x, this.dim, { dtype: this.dtype }); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}
/** Log-softmax along dim (required). */
export class LogSoftmax extends Module {
  constructor(readonly dim: number, readonly dtype?: DType) { super(); }
  forward(x: Tensor): Tensor { return F.logSoftmax(x, this.dim, { dtype: this.dtype }); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/** @module Linear, Identity, Flatten, Dropout and Embedding layers (PyTorch's defaults and initialisation). */
import * as torch from '../../torch.js';
import type { Tensor, DType } from '../../torch.js';
import { Module } from '../module.js';
import * as init from '../init.js';
import * as F from '../functional.js';

/** Options shared by layers that create parameters. */
export interface FactoryOptions { dtype?: DType; device?: string }
/** An empty tensor for a parameter (torch.empty: draws no random numbers). */
export const emptyParam = (shape: number[], o: FactoryOptions = {}): Tensor =>
  torch.empty(shape, { dtype: o.dtype ?? 'float32', device: o.device as never });

/** y = x W^T + b; weight [out, in] ~ kaiming_uniform(a = sqrt 5), bias ~ U(+-1/sqrt(in)), as PyTorch. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, o: FactoryOptions & { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', emptyParam([outFeatures, inFeatures], o));
    this.bias = this.registerParameter('bias', o.bias === false ? null : emptyParam([outFeatures], o));
    this.resetParameters();
  }
  /** PyTorch's reset_parameters (same RNG calls). */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }
  forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.size(-1) !== this.inFeatures) this.shapeError(x, `[..., ${this.inFeatures}]`);
    return F.linear(x, this.weight, this.bias);
  }
  override extraRepr(): string { return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`; }
}

/** Returns its input unchanged (a placeholder, e.g. to drop a classifier head). */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}

/** Flattens dims startDim..endDim (defaults 1..-1, as nn.Flatten). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(x: Tensor): Tensor { return x.flatten(this.startDim, this.endDim); }
  override extraRepr(): string { return `start_dim=${this.startDim}, end_dim=${this.endDim}`; }
}

/** Dropout with probability p in training mode; identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor { return F.dropout(x, { p: this.p, training: this.training }); }
  override extraRepr(): string { return `p=${this.p}`; }
}

/** A lookup table of numEmbeddings vectors of size embeddingDim; weight ~ N(0, 1), paddingIdx row zeroed. */
export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, o: FactoryOptions & { paddingIdx?: number | null } = {}) {
    super();
    let p = o.paddingIdx ?? null;
    if (p !== null) {
      if (p >= numEmbeddings || p < -numEmbeddings) throw new RangeError(`Embedding: paddingIdx ${p} must be within numEmbeddings ${numEmbeddings}`);
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    this.weight = this.registerParameter('weight', emptyParam([numEmbeddings, embeddingDim], o));
    this.resetParameters();
  }
  /** N(0, 1), then the padding row set to 0 (PyTorch's order). */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) {
      const p = this.paddingIdx;
      torch.noGrad(() => torch.tidy(() => { this.weight.select(0, p).fill_(0); }));
    }
  }
  forward(indices: Tensor): Tensor {
    if (indices.dtype !== 'int64' && indices.dtype !== 'int32') this.shapeError(indices, `integer indices (got dtype ${indices.dtype})`);
    return F.embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}

/** @module Conv2d and the 2-D pooling layers. */
import type { Tensor } from '../../torch.js';
import { Module } from '../module.js';
import * as init from '../init.js';
import * as F from '../functional.js';
import { emptyParam, type FactoryOptions } from './linear.js';

type IntOr2 = number | number[];
const pair = (v: IntOr2): [number, number] => (Array.isArray(v) ? [v[0]!, v[1] ?? v[0]!] : [v, v]);

/** Options of Conv2d (PyTorch's keyword arguments). */
export interface Conv2dLayerOptions extends FactoryOptions {
  stride?: IntOr2; padding?: IntOr2 | 'same' | 'valid'; dilation?: IntOr2; groups?: number; bias?: boolean;
}
/** 2-D convolution; weight [out, in/groups, kH, kW] ~ kaiming_uniform(a = sqrt 5), bias ~ U(+-1/sqrt(fan_in)). */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: IntOr2, o: Conv2dLayerOptions = {}) {
    super();
    this.groups = o.groups ?? 1;
    if (inChannels % this.groups !== 0) throw new RangeError(`Conv2d: in_channels ${inChannels} must be divisible by groups ${this.groups}`);
    if (outChannels % this.groups !== 0) throw new RangeError(`Conv2d: out_channels ${outChannels} must be divisible by groups ${this.groups}`);
    this.kernelSize = pair(kernelSize);
    this.stride = pair(o.stride ?? 1);
    this.padding = typeof o.padding === 'string' ? o.padding : pair(o.padding ?? 0);
    this.dilation = pair(o.dilation ?? 1);
    this.weight = this.registerParameter('weight', emptyParam([outChannels, inChannels / this.groups, ...this.kernelSize], o));
    this.bias = this.registerParameter('bias', o.bias === false ? null : emptyParam([outChannels], o));
    this.resetParameters();
  }
  /** PyTorch's reset_parameters (same RNG calls). */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        init.uniform_(this.bias, -bound, bound);
      }
    }
  }
  forward(x: Tensor): Tensor {
    if ((x.ndim !== 4 && x.ndim !== 3) || x.size(-3) !== this.inChannels) {
      this.shapeError(x, `(N, ${this.inChannels}, H, W) or (${this.inChannels}, H, W)`);
    }
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize}), stride=(${this.stride})`;
    if (this.padding !== 'valid' && (typeof this.padding === 'string' || this.padding.some((p) => p !== 0))) {
      s += `, padding=${typeof this.padding === 'string' ? this.padding : `(${this.padding})`}`;
    }
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=(${this.dilation})`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=false';
    return s;
  }
}

const check4d = (m: Module, x: Tensor): void => {
  if (x.ndim !== 3 && x.ndim !== 4) m.shapeError(x, '(N, C, H, W) or (C, H, W)');
};

/** 2-D max pooling (stride defaults to kernelSize). */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: IntOr2, readonly o: F.MaxPool2dOptions = {}) { super(); }
  forward(x: Tensor): Tensor { check4d(this, x); return F.maxPool2d(x, this.kernelSize, this.o); }
  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.o.stride ?? this.kernelSize}, padding=${this.o.padding ?? 0}, ` +
      `dilation=${this.o.dilation ?? 1}, ceil_mode=${this.o.ceilMode ?? false}`;
  }
}
/** 2-D average pooling (stride defaults to kernelSize). */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: IntOr2, readonly o: F.AvgPool2dOptions = {}) { super(); }
  forward(x: Tensor): Tensor { check4d(this, x); return F.avgPool2d(x, this.kernelSize, this.o); }
  override extraRepr(): string { return `kernel_size=${this.kernelSize}, stride=${this.o.stride ?? this.kernelSize}, padding=${this.o.padding ?? 0}`; }
}
/** Adaptive average pooling to a fixed output size (null keeps that input size). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | (number | null)[]) { super(); }
  forward(x: Tensor): Tensor { check4d(this, x); return F.adaptiveAvgPool2d(x, this.outputSize); }
  override extraRepr(): string { return `output_size=${JSON.stringify(this.outputSize)}`; }
}

/**
 * @module nn.init: in-place initialisers with PyTorch's formulas and RNG calls
 * (one uniform_/normal_ per tensor, as torch.nn.init does), so after the same
 * torch.manualSeed the values equal PyTorch's. Each runs under noGrad and
 * returns the tensor. Deviation: options are an object ({ a, mode, nonlinearity }).
 */
import * as torch from '../torch.js';
import type { Tensor } from '../torch.js';

/** Nonlinearity names accepted by calculateGain (PyTorch's). */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' |
  'conv_transpose3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
/** Which fan kaiming_* scales by. */
export type FanMode = 'fan_in' | 'fan_out';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain); param is leaky_relu's slope. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'conv_transpose1d': case 'conv_transpose2d':
    case 'conv_transpose3d': case 'sigmoid': return 1;
    case 'tanh': return 5.0 / 3;
    case 'relu': return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu': return 3.0 / 4;
    default: throw new TypeError(`calculateGain: unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** [fan_in, fan_out] of a weight (dims >= 2): size(1)*receptive field, size(0)*receptive field. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) throw new TypeError(`fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [${s}])`);
  let receptive = 1;
  for (const v of s.slice(2)) receptive *= v;
  return [s[1]! * receptive, s[0]! * receptive];
}

function correctFan(t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new TypeError(`mode ${String(mode)} not supported, use fan_in or fan_out`);
  return mode === 'fan_in' ? fanIn : fanOut;
}

/** Fills with U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor { return torch.noGrad(() => t.uniform_(a, b)); }
/** Fills with N(mean, std^2). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor { return torch.noGrad(() => t.normal_(mean, std)); }
/** Fills with a constant. */
export function constant_(t: Tensor, value: number): Tensor { return torch.noGrad(() => t.fill_(value)); }
/** Fills with 0. */
export function zeros_(t: Tensor): Tensor { return torch.noGrad(() => t.zero_()); }
/** Fills with 1. */
export function ones_(t: Tensor): Tensor { return torch.noGrad(() => t.fill_(1)); }

/** Options of kaiming_*: a is the leaky_relu slope. */
export interface KaimingOptions { a?: number; mode?: FanMode; nonlinearity?: Nonlinearity }

/** He uniform: U(-b, b) with b = gain * sqrt(3 / fan) (torch.nn.init.kaiming_uniform_). */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const fan = correctFan(t, o.mode ?? 'fan_in');
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound);
}
/** He normal: N(0, (gain / sqrt(fan))^2) (torch.nn.init.kaiming_normal_). */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const fan = correctFan(t, o.mode ?? 'fan_in');
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan);
  return normal_(t, 0, std);
}
/** Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1.0): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a);
}
/** Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1.0): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(t, 0, std);
}

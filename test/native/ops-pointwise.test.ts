/** Elementwise math and comparisons with broadcasting and type promotion: parity with PyTorch (fixture ops_pointwise). */
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { runFamily, type OpFn, type Case } from './ops-harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const T = torch as any;
const UNARY = ['abs', 'neg', 'exp', 'expm1', 'sin', 'cos', 'atan', 'sinh', 'cosh', 'tanh', 'sigmoid', 'relu',
  'floor', 'ceil', 'round', 'trunc', 'frac', 'sign', 'sgn', 'square', 'erf', 'erfc', 'positive',
  'deg2rad', 'rad2deg', 'isnan', 'isinf', 'isfinite', 'logicalNot', 'signbit',
  'log', 'log1p', 'log2', 'log10', 'sqrt', 'rsqrt', 'reciprocal', 'lgamma', 'digamma',
  'tan', 'asin', 'acos', 'erfinv', 'bitwiseNot'];
const BINARY = ['add', 'sub', 'mul', 'div', 'remainder', 'fmod', 'atan2', 'maximum', 'minimum', 'eq', 'ne', 'lt',
  'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor', 'hypot', 'xlogy', 'copysign', 'floorDivide',
  'bitwiseAnd', 'bitwiseOr', 'bitwiseXor', 'pow'];

const cases: Record<string, OpFn | Case> = {
  ...Object.fromEntries(UNARY.map((n) => [n, (x: Tensor) => T[n](x)])),
  ...Object.fromEntries(BINARY.map((n) => [n, (x: Tensor, y: Tensor) => T[n](x, y)])),
  powScalar: (x) => x.pow(2.5),
  addScalar: (x) => x.add(2.5),
  addAlpha: (x, y) => torch.add(x, y, 2),
  subInt: (x) => x.sub(1),
  mulIntFloat: (x) => x.mul(1.5),
  divInt: (x, y) => x.div(y),
  addInt32Float64: (x, y) => x.add(y),
  mulUint8Bool: (x, y) => x.mul(y),
  add64: (x, y) => x.add(y),
  rsub: (x, y) => torch.rsub(x, y),
  divFloor: (x, y) => x.divMode(y, 'floor'),
  divTrunc: (x, y) => x.divMode(y, 'trunc'),
  addcmul: (x, a, b) => x.addcmul(a, b, 0.5),
  addcdiv: (x, a, b) => x.addcdiv(a, b, 2),
  lerp: (x, y) => x.lerp(y, 0.3),
  clamp: (x) => x.clamp(-0.5, 0.5),
  clampMin: (x) => x.clamp(0.1),
  clampTensor: (x, lo, hi) => x.clampTensor(lo, hi),
  where: (c, a, b) => torch.where(c, a, b),
  whereScalar: (c, a) => torch.where(c, a, 0.0),
  isclose: (x, y) => x.isclose(y, 1e-5, 0.5),
  nanToNum: (x) => x.nanToNum(0, 9),
};
runFamily('pointwise', cases);

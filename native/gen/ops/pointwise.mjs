// Elementwise math and comparisons (broadcasting). A number where a tensor is
// expected (TS) acts as a Python scalar does in PyTorch.
const unary = ['abs', 'neg', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan',
  'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'sigmoid', 'relu', 'floor', 'ceil', 'round', 'trunc', 'frac', 'sign',
  'sgn', 'reciprocal', 'square', 'erf', 'erfc', 'erfinv', 'lgamma', 'digamma', 'isnan', 'isinf', 'isfinite', 'logicalNot',
  'bitwiseNot', 'signbit', 'angle', 'real', 'imag', 'conj', 'positive', 'deg2rad', 'rad2deg', 'nanToNum'];
const snake = (s) => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const inplaceUnary = ['abs', 'neg', 'exp', 'log', 'sqrt', 'sigmoid', 'relu', 'tanh', 'floor', 'ceil', 'round', 'sign',
  'reciprocal', 'square', 'sin', 'cos'];
const binary = ['mul', 'div', 'remainder', 'fmod', 'pow', 'atan2', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt',
  'ge', 'logicalAnd', 'logicalOr', 'logicalXor', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor', 'hypot', 'xlogy', 'copysign',
  'floorDivide'];
const inplaceBinary = ['mul', 'div', 'pow', 'remainder', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

export default [
  ...unary.filter((n) => n !== 'nanToNum').map((n) => [n, 'T self', 'T', `at::${snake(n)}(self)`]),
  ['nanToNum', 'T self, f? nan, f? posinf, f? neginf', 'T', 'at::nan_to_num(self, nan, posinf, neginf)'],
  ...inplaceUnary.map((n) => [`${n}_`, 'T self', 'self', `self.${snake(n)}_()`]),
  ['add', 'T self, TS other, S alpha=1', 'T', 'at::add(self, other, alpha)'],
  ['sub', 'T self, TS other, S alpha=1', 'T', 'at::sub(self, other, alpha)'],
  ['add_', 'T self, TS other, S alpha=1', 'self', 'self.add_(other, alpha)'],
  ['sub_', 'T self, TS other, S alpha=1', 'self', 'self.sub_(other, alpha)'],
  ['rsub', 'T self, TS other, S alpha=1', 'T', 'at::rsub(self, other, alpha)'],
  ...binary.filter((n) => n !== 'pow').map((n) => [n, 'T self, TS other', 'T', `at::${snake(n)}(self, other)`]),
  ['pow', 'T self, TS exponent', 'T', 'at::pow(self, exponent)'],
  ...inplaceBinary.map((n) => [`${n}_`, 'T self, TS other', 'self', `self.${snake(n)}_(other)`]),
  ['divMode', 'T self, TS other, str? roundingMode', 'T', 'at::div(self, other, optSv(roundingMode))'],
  ['addcmul', 'T self, T tensor1, T tensor2, S value=1', 'T', 'at::addcmul(self, tensor1, tensor2, value)'],
  ['addcdiv', 'T self, T tensor1, T tensor2, S value=1', 'T', 'at::addcdiv(self, tensor1, tensor2, value)'],
  ['addcmul_', 'T self, T tensor1, T tensor2, S value=1', 'self', 'self.addcmul_(tensor1, tensor2, value)'],
  ['addcdiv_', 'T self, T tensor1, T tensor2, S value=1', 'self', 'self.addcdiv_(tensor1, tensor2, value)'],
  // a number weight takes the Scalar overload (the Tensor overload wants weight's dtype to be self's)
  ['lerp', 'T self, T end, TS weight', 'T', 'weight.unsafeGetTensorImpl()->is_wrapped_number() ? at::lerp(self, end, weight.item()) : at::lerp(self, end, weight)'],
  ['lerp_', 'T self, T end, S weight', 'self', 'self.lerp_(end, weight)'],
  ['clamp', 'T self, S? min, S? max', 'T', 'at::clamp(self, min, max)'],
  ['clampTensor', 'T self, T? min, T? max', 'T', 'at::clamp(self, min, max)'],
  ['clamp_', 'T self, S? min, S? max', 'self', 'self.clamp_(min, max)'],
  ['where', 'T condition, TS self, TS other', 'T', 'at::where(condition, self, other)', 'F'],
  ['isclose', 'T self, T other, f rtol=1e-5, f atol=1e-8, b equalNan=false', 'T', 'at::isclose(self, other, rtol, atol, equalNan)'],
  ['allclose', 'T self, T other, f rtol=1e-5, f atol=1e-8, b equalNan=false', 'b', 'at::allclose(self, other, rtol, atol, equalNan)'],
  ['equal', 'T self, T other', 'b', 'at::equal(self, other)'],
  ['fill_', 'T self, S value', 'self', 'self.fill_(value)'],
  ['zero_', 'T self', 'self', 'self.zero_()'],
  ['copy_', 'T self, T src', 'self', 'self.copy_(src)'],
  ['maskedFill_', 'T self, T mask, S value', 'self', 'self.masked_fill_(mask, value)'],
];

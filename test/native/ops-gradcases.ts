/**
 * @module The float64 finite-difference gradient cases (test/gradcheck.ts), one per
 * differentiable op of native/gen/ops/{pointwise,reduce,shape,index,linalg,complex,creation}.mjs,
 * and the ops left out with the reason. Run by gradcheck-ops.test.ts and ops-gradcheck-linalg.test.ts.
 */
import { test } from 'node:test';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
type NestedArray = Parameters<typeof torch.tensor>[0] & unknown[];
import { gradcheck } from '../gradcheck.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const T = torch as any;
export interface GradCase { f: (...xs: Tensor[]) => Tensor; shapes: number[][]; pos?: boolean; unit?: boolean }
const c = (f: GradCase['f'], ...shapes: number[][]): GradCase => ({ f, shapes });
const pos = (g: GradCase): GradCase => ({ ...g, pos: true });
const unit = (g: GradCase): GradCase => ({ ...g, unit: true });
const I = (xs: NestedArray) => torch.tensor(xs);
const M = [2, 3];
const spd = (a: Tensor) => a.matmul(a.mT()).add(torch.eye(a.shape[0]!, null, { dtype: 'float64' }).mul(3));

const UNARY = ['abs', 'neg', 'exp', 'expm1', 'sin', 'cos', 'atan', 'sinh', 'cosh', 'tanh', 'sigmoid', 'relu', 'square',
  'erf', 'erfc', 'positive', 'deg2rad', 'rad2deg', 'floor', 'ceil', 'round', 'trunc', 'frac', 'sign', 'sgn'];
const UNARY_POS = ['log', 'log1p', 'log2', 'log10', 'sqrt', 'rsqrt', 'reciprocal', 'lgamma', 'digamma'];
const UNARY_UNIT = ['tan', 'asin', 'acos', 'erfinv'];
const BINARY = ['add', 'sub', 'rsub', 'mul', 'div', 'remainder', 'fmod', 'atan2', 'maximum', 'minimum', 'hypot', 'copysign'];

export const POINTWISE: Record<string, GradCase> = {
  ...Object.fromEntries(UNARY.map((n) => [n, c((x) => T[n](x), M)])),
  ...Object.fromEntries(UNARY_POS.map((n) => [n, pos(c((x) => T[n](x), M))])),
  ...Object.fromEntries(UNARY_UNIT.map((n) => [n, unit(c((x) => T[n](x), M))])),
  ...Object.fromEntries(BINARY.map((n) => [n, c((x, y) => T[n](x, y), M, [3])])),
  pow: pos(c((x, y) => x.pow(y!), M, [3])),
  xlogy: pos(c((x, y) => x.xlogy(y!), M, [2, 1])),
  divMode: c((x, y) => x.divMode(y!, null), M, [3]),
  nanToNum: c((x) => x.nanToNum(), M),
  addcmul: c((x, a, b) => x.addcmul(a!, b!, 0.5), M, [3], [2, 1]),
  addcdiv: pos(c((x, a, b) => x.addcdiv(a!, b!, 2), M, [3], [2, 1])),
  lerp: c((x, y, w) => x.lerp(y!, w!), M, M, M),
  clamp: c((x) => x.clamp(-0.5, 0.5), M),
  clampTensor: c((x, lo) => x.clampTensor(lo!, lo!.add(1)), M, [3]),
  where: c((x, y) => torch.where(x.gt(0), x, y!), M, [3]),
  complex: c((re, im) => torch.complex(re, im!).abs(), [4], [4]),
  polar: pos(c((r, th) => torch.viewAsReal(torch.polar(r, th!)), [3], [3])),
  real: c((re, im) => torch.complex(re, im!).mul(torch.complex(im!, re)).real(), [3], [3]),
  imag: c((re, im) => torch.complex(re, im!).mul(torch.complex(im!, re)).imag(), [3], [3]),
  conj: c((re, im) => torch.viewAsReal(torch.complex(re, im!).conj().mul(torch.complex(im!, re))), [3], [3]),
  conjPhysical: c((re, im) => torch.viewAsReal(torch.complex(re, im!).conjPhysical().exp()), [3], [3]),
  resolveConj: c((re, im) => torch.viewAsReal(torch.complex(re, im!).conj().resolveConj()), [3], [3]),
  resolveNeg: c((re, im) => torch.complex(re, im!).conj().imag().neg().resolveNeg(), [3], [3]),
  angle: c((re, im) => torch.complex(re, im!).angle(), [3], [3]),
  viewAsReal: c((re, im) => torch.viewAsReal(torch.complex(re, im!).exp()), [3], [3]),
  viewAsComplex: c((x) => torch.viewAsComplex(x).mul(torch.viewAsComplex(x)).abs(), [3, 2]),
};

export const REDUCE: Record<string, GradCase> = {
  sum: c((x) => x.sum(1, true), M), mean: c((x) => x.mean([0, 1]), M), prod: c((x) => x.prod(1), M),
  var: c((x) => x.var(1), M), std: c((x) => x.std(), M), varMean: c((x) => x.varMean(0)[0].add(x.varMean(0)[1]), [3, 2]),
  amax: c((x) => x.amax(1), M), amin: c((x) => x.amin([0, 1]), M), max: c((x) => x.max(), M), min: c((x) => x.min(), M),
  maxDim: c((x) => x.maxDim(0)[0], M), minDim: c((x) => x.minDim(1, true)[0], M),
  logsumexp: c((x) => x.logsumexp(1), M), norm: c((x) => x.norm(3, 1), M), vectorNorm: c((x) => x.vectorNorm(2, [0]), M),
  cumsum: c((x) => x.cumsum(1), M), cumprod: c((x) => x.cumprod(1), M), median: c((x) => x.median(), [5]),
  quantile: c((x) => x.quantile(0.4, 1), [2, 4]), trace: c((x) => x.trace(), [3, 3]),
};

export const SHAPE: Record<string, GradCase> = {
  reshape: c((x) => x.reshape([3, 2]).mul(x.reshape([3, 2])), M), view: c((x) => x.view([6]).cumsum(0), M),
  permute: c((x) => x.permute([1, 0]).cumsum(0), M), transpose: c((x) => x.transpose(0, 1).cumsum(1), M),
  t: c((x) => x.t().cumsum(0), M), mT: c((x) => x.mT().cumsum(0), M), flatten: c((x) => x.flatten().cumsum(0), M),
  unflatten: c((x) => x.unflatten(1, [2, 2]).cumsum(2), [2, 4]), squeeze: c((x) => x.squeeze().cumsum(0), [1, 3]),
  unsqueeze: c((x) => x.unsqueeze(0).cumsum(1), M), expand: c((x) => x.expand([2, 3]).cumsum(0), [1, 3]),
  expandAs: c((x, y) => x.expandAs(y!).mul(y!), [3], M), broadcastTo: c((x) => x.broadcastTo([2, 3]).cumsum(0), [3]),
  repeat: c((x) => x.repeat([2, 2]).cumsum(1), M), repeatInterleave: c((x) => x.repeatInterleave(2, 1).cumsum(1), M),
  narrow: c((x) => x.narrow(1, 1, 2), M), slice: c((x) => x.slice(1, 0, 3, 2), M), select: c((x) => x.select(0, 1), M),
  cat: c((x, y) => torch.cat([x, y!], 0).cumsum(0), M, [1, 3]), stack: c((x, y) => torch.stack([x, y!], 1).cumsum(1), M, M),
  split: c((x) => x.split(2, 1)[1]!, M), splitWithSizes: c((x) => x.splitWithSizes([1, 2], 1)[1]!, M),
  chunk: c((x) => x.chunk(2, 0)[1]!, [4, 2]), unbind: c((x) => x.unbind(0)[1]!.mul(x.unbind(0)[0]!), M),
  flip: c((x) => x.flip([1]).cumsum(1), M), roll: c((x) => x.roll(1, 1).cumsum(1), M), rot90: c((x) => x.rot90().cumsum(0), M),
  tril: c((x) => x.tril(), [3, 3]), triu: c((x) => x.triu(1), [3, 3]), diag: c((x) => x.diag(), [3]),
  diagonal: c((x) => x.diagonal(), [3, 3]), diagEmbed: c((x) => x.diagEmbed(), M), contiguous: c((x) => x.t().contiguous(), M),
  clone: c((x) => x.clone(), M), tile: c((x) => x.tile([2, 1]).cumsum(0), M),
  meshgrid: c((x, y) => torch.meshgrid([x, y!])[0]!.mul(torch.meshgrid([x, y!])[1]!), [2], [3]),
  toOpts: c((x) => x.to({ dtype: 'float64', copy: true }).mul(x), M),
};

export const INDEX: Record<string, GradCase> = {
  indexSelect: c((x) => x.indexSelect(1, I([2, 0, 2])), M),
  gather: c((x) => x.gather(1, I([[0, 0], [2, 1]])), M),
  scatter: c((x, s) => x.scatter(1, I([[0], [2]]), s!), M, [2, 1]),
  scatterAdd: c((x, s) => x.scatterAdd(1, I([[0, 0], [2, 1]]), s!), M, [2, 2]),
  indexAdd: c((x, s) => x.indexAdd(0, I([1]), s!, 2), M, [1, 3]),
  indexCopy: c((x, s) => x.indexCopy(1, I([2]), s!), M, [2, 1]),
  indexFill: c((x) => x.indexFill(1, I([0]), 0.5), M),
  maskedFill: c((x) => x.maskedFill(x.gt(0), 0.5), M),
  maskedSelect: c((x) => x.maskedSelect(x.gt(0)), M),
  maskedScatter: c((x, s) => x.maskedScatter(torch.tensor([true, false, true]), s!), M, [6]),
  take: c((x) => x.take(I([5, 0, 5])), M),
  index: c((x) => x.index([I([1, 0]), I([2, 2])]), M),
  indexPut: c((x, v) => x.indexPut([I([0, 0])], v!, true), M, [2, 3]),
  topk: c((x) => x.topk(2)[0], M), sort: c((x) => x.sort(1, true)[0], M), kthvalue: c((x) => x.kthvalue(2, 1)[0], M),
};

export const LINALG: Record<string, GradCase> = {
  matmul: c((a, b) => a.matmul(b!), [2, 2, 3], [3, 2]), mm: c((a, b) => a.mm(b!), M, [3, 2]),
  bmm: c((a, b) => a.bmm(b!), [2, 2, 3], [2, 3, 1]), mv: c((a, v) => a.mv(v!), M, [3]), dot: c((a, b) => a.dot(b!), [3], [3]),
  vdot: c((a, b) => a.vdot(b!), [3], [3]), outer: c((a, b) => a.outer(b!), [3], [2]),
  addmm: c((x, a, b) => x.addmm(a!, b!, 0.5, 2), [2, 2], M, [3, 2]),
  baddbmm: c((x, a, b) => x.baddbmm(a!, b!), [2, 2, 1], [2, 2, 3], [2, 3, 1]),
  einsum: c((a, b) => torch.einsum('ij,kj->ik', [a, b!]), M, [2, 3]), kron: c((a, b) => a.kron(b!), [2, 2], [2, 1]),
  cdist: c((a, b) => torch.cdist(a, b!), [3, 2], [2, 2]),
  cholesky: c((a) => torch.cholesky(spd(a)), [3, 3]),
  choleskySolve: c((b, a) => b.choleskySolve(torch.cholesky(spd(a!))), [3, 2], [3, 3]),
  solve: c((a, b) => torch.solve(spd(a), b!), [3, 3], [3, 2]),
  solveTriangular: c((a, b) => torch.solveTriangular(spd(a).triu(), b!, true), [3, 3], [3, 2]),
  inverse: c((a) => spd(a).inverse(), [3, 3]), pinv: c((a) => a.pinv(), [3, 2]),
  eigvalsh: c((a) => spd(a).eigvalsh(), [3, 3]),
  eigh: c((a) => { const [l, q] = spd(a).eigh(); return q.matmul(torch.diagEmbed(l.log())).matmul(q.mT()); }, [3, 3]),
  svdvals: c((a) => a.svdvals(), [3, 2]),
  svd: c((a) => { const [u, s, vh] = a.svd(false); return u.matmul(torch.diagEmbed(s.sqrt())).matmul(vh); }, [3, 2]),
  qr: c((a) => { const [q, r] = a.qr(); return q.matmul(r.mul(r)); }, [3, 2]),
  det: c((a) => a.det(), [2, 3, 3]), slogdet: c((a) => a.slogdet()[1], [3, 3]), logdet: c((a) => spd(a).logdet(), [3, 3]),
  matrixNorm: c((a) => a.matrixNorm(), M), matrixExp: c((a) => a.mul(0.5).matrixExp(), [3, 3]),
  lstsq: c((a, b) => a.lstsq(b!), [4, 2], [4, 1]), cov: c((a) => a.cov(), [2, 4]),
  matmulComplex: c((a, b, c2, d) => torch.complex(a, b!).matmul(torch.complex(c2!, d!)).abs(), M, M, [3, 2], [3, 2]),
};

/**
 * Ops of those tables with no gradcheck case, and why. (In-place ops, the creation
 * and random tables and ops returning numbers/booleans are left out wholesale.)
 */
export const SKIPPED: Record<string, string> = {
  ...Object.fromEntries(['isnan', 'isinf', 'isfinite', 'logicalNot', 'bitwiseNot', 'signbit', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
    'logicalAnd', 'logicalOr', 'logicalXor', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor', 'isclose', 'argmax', 'argmin', 'all',
    'any', 'allDim', 'anyDim', 'countNonzero', 'nonzero', 'argsort', 'searchsorted', 'bincount', 'oneHot', 'bucketize',
    'matrixRank'].map((n) => [n, 'bool/integer output: not differentiable'])),
  floorDivide: 'no derivative in ATen (PyTorch raises too)',
  detach: 'cuts the graph by design: finite differences see a dependence that autograd must not',
  unique: 'integer-valued (values of an int tensor, inverse indices, counts); no derivative in ATen',
};

/** Float64 leaves for a case (seeded): randn, or in (0.5, 1.5) / (-0.8, 0.8) for ops with a restricted domain. */
export function inputs(g: GradCase, seed: number): Tensor[] {
  torch.manualSeed(seed);
  return g.shapes.map((s) => {
    const o = { dtype: 'float64' as const };
    const x = g.pos ? torch.rand(s, o).add(0.5) : g.unit ? torch.rand(s, o).mul(1.6).sub(0.8) : torch.randn(s, o);
    return x.requiresGrad_();
  });
}

export function runGradcheck(family: string, cases: Record<string, GradCase>): void {
  let seed = 100;
  for (const [name, g] of Object.entries(cases)) {
    const s = seed++;
    test(`gradcheck ${family}: ${name}`, () => {
      torch.tidy(() => gradcheck(g.f, inputs(g, s), { what: name }));
    });
  }
}


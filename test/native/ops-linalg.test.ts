/**
 * Linear algebra: parity with PyTorch (fixture ops_linalg). eigh/svd/qr compare
 * sign-free quantities (eigenvalues, singular values, |R|) with PyTorch and
 * check the factorisations by reconstruction, since vector signs are arbitrary.
 */
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { runFamily } from './ops-harness.js';

const eye = (n: number) => torch.eye(n, null, { dtype: 'float64' });
const reconstructs = (what: string, a: Tensor, b: Tensor) => assertClose(a, b, { atol: 1e-10, rtol: 1e-8, what });

runFamily('linalg', {
  matmul: (a, b) => a.matmul(b!),
  matmulBatchBroadcast: (a, b) => a.matmul(b!),
  matmulVec: (a, v) => a.matmul(v!),
  matmul64: (a, b) => torch.matmul(a, b!),
  mm: (a, b) => a.mm(b!),
  bmm: (a, b) => a.bmm(b!),
  mv: (a, v) => a.mv(v!),
  dot: (a, b) => a.dot(b!),
  outer: (a, b) => a.outer(b!),
  addmm: (c, a, b) => c.addmm(a!, b!, 0.5, 2),
  baddbmm: (c, a, b) => c.baddbmm(a!, b!),
  einsum: (a, b) => torch.einsum('ij,jk->ik', [a, b!]),
  einsumBatch: (a, b) => torch.einsum('bij,bkj->bik', [a, b!]),
  kron: (a, b) => a.kron(b!),
  cdist: (a, b) => torch.cdist(a, b!),
  cholesky: { f: (a) => torch.cholesky(a), check: ([l], [a]) => reconstructs('L L^T', l!.matmul(l!.mT()), a!) },
  choleskySolve: (b, l) => b.choleskySolve(l!),
  solve: { f: (a, b) => torch.solve(a, b!), check: ([x], [a, b]) => reconstructs('A X', a!.matmul(x!), b!) },
  solveTriangular: (a, b) => torch.solveTriangular(a, b!, true),
  inverse: { f: (a) => a.inverse(), check: ([x], [a]) => reconstructs('A A^-1', a!.matmul(x!), eye(3)) },
  inverse32: { f: (a) => a.inverse(), atol: 1e-6 },
  pinv: { f: (a) => a.pinv(), check: ([p], [a]) => reconstructs('A A+ A', a!.matmul(p!).matmul(a!), a!) },
  eigvalsh: (a) => a.eigvalsh(),
  eigh: {
    f: (a) => a.eigh()[0],
    check: (_, [a]) => {
      const [l, q] = a!.eigh();
      reconstructs('Q diag(L) Q^T', q.matmul(torch.diagEmbed(l)).matmul(q.mT()), a!);
      reconstructs('Q^T Q', q.mT().matmul(q), eye(3));
    },
  },
  svdvals: (a) => a.svdvals(),
  svd: {
    f: (a) => a.svd(false)[1],
    check: (_, [a]) => {
      const [u, s, vh] = a!.svd(false);
      reconstructs('U diag(S) Vh', u.matmul(torch.diagEmbed(s)).matmul(vh), a!);
      assert.deepEqual(a!.svd(true)[0].shape, [2, 2]);
    },
  },
  qr: {
    f: (a) => a.qr()[1].abs(),
    check: (_, [a]) => {
      const [q, r] = a!.qr();
      reconstructs('Q R', q.matmul(r), a!);
      assert.deepEqual([q.shape, r.shape], [[3, 2], [2, 2]]);
    },
  },
  det: (a) => a.det(),
  slogdet: (a) => a.slogdet(),
  logdet: (a) => a.logdet(),
  matrixNorm: (a) => a.matrixNorm(),
  matrixNormNuc: (a) => a.matrixNorm('nuc'),
  matrixRank: (a) => a.matrixRank(),
  matrixExp: (a) => a.matrixExp(),
  lstsq: (a, b) => a.lstsq(b!),
  cov: (a) => a.cov(),
});

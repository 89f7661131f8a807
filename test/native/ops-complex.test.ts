/**
 * Complex tensors (complex64): parity with PyTorch (fixture ops_complex), gradients
 * included (the fixture's loss is Re(sum(out * w)); PyTorch's conjugate-Wirtinger convention).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { torch } from '../../src/index.js';
import { runFamily } from './ops-harness.js';

runFamily('complex', {
  complex: (re, im) => torch.complex(re, im!),
  polar: (r, th) => torch.polar(r, th!),
  real: (z) => z.real(),
  imag: (z) => z.imag(),
  conj: (z) => z.conj().mul(1),
  conjPhysical: (z) => z.conjPhysical(),
  abs: (z) => z.abs(),
  angle: (z) => z.angle(),
  sgn: (z) => z.sgn(),
  viewAsReal: (z) => z.mul(1).viewAsReal(),
  viewAsComplex: (x) => x.viewAsComplex(),
  add: (a, b) => a.add(b!),
  mul: (a, b) => a.mul(b!),
  div: (a, b) => a.div(b!),
  mulReal: (a, b) => a.mul(b!),
  exp: (z) => z.exp(),
  sum: (z) => z.sum(1),
  matmul: (a, b) => a.matmul(b!),
  matmulAbs: (a, b) => a.matmul(b!).abs(),
  bmm: (a, b) => a.bmm(b!),
  adjoint: (z) => z.mT().conj().mul(1),
  vdot: (a, b) => a.vdot(b!),
  dot: (a, b) => a.dot(b!),
  linear: (x, w) => torch.linear(x, w!, null),
});

test('complex: a small complex network trains (loss decreases under SGD)', () => {
  torch.manualSeed(0);
  torch.tidy(() => {
    const w = torch.complex(torch.randn([3, 4]), torch.randn([3, 4])).mul(0.3).detach().requiresGrad_();
    const x = torch.complex(torch.randn([8, 4]), torch.randn([8, 4]));
    const target = torch.randn([8, 3]).abs();
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      torch.tidy(() => {
        const loss = torch.mseLoss(x.matmul(w.mT()).abs(), target);
        losses.push(loss.item() as number);
        const [g] = torch.autograd.grad(loss, [w]);
        torch.noGrad(() => w.sub_(g!, 0.05));
      });
    }
    assert.equal(w.dtype, 'complex64');
    assert.ok(losses[29]! < losses[0]! * 0.7, `loss ${losses[0]} -> ${losses[29]}`);
  });
});

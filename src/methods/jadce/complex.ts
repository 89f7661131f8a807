/** @module Complex helpers over libtorch complex64 tensors (matmul, conj, real/imag are native; autograd passes through them). */
import * as torch from '../../core/torch.js';
import type { Tensor, Generator } from '../../core/torch.js';

/** Conjugate transpose of the last two dims. */
export function herm(a: Tensor): Tensor { return torch.conj(a).transpose(-1, -2); }

/** |z|^2 elementwise as a real tensor. */
export function abs2(z: Tensor): Tensor {
  const re = torch.real(z);
  const im = torch.imag(z);
  return re.mul(re).add(im.mul(im));
}

/** Row energies ||x_n||^2 over the last dim, kept: [..., N, 1] real. */
export function rowEnergy(x: Tensor): Tensor { return abs2(x).sum([-1], true); }

/** ||x||_F^2 over the last two dims, kept: [..., 1, 1] real. */
export function fro2(x: Tensor): Tensor { return abs2(x).sum([-2, -1], true); }

/** i.i.d. CN(0, variance) samples of the given shape (complex64). */
export function crandn(shape: number[], variance: number, generator?: Generator): Tensor {
  return torch.tidy(() => {
    const s = Math.sqrt(variance / 2);
    return torch.complex(torch.randn(shape, { generator }).mul(s), torch.randn(shape, { generator }).mul(s));
  });
}

/** A real tensor as complex64 (imaginary part 0), for mixed real-complex products. */
export function asComplex(r: Tensor): Tensor { return torch.tidy(() => torch.complex(r, torch.zerosLike(r))); }

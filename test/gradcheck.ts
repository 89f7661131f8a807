/**
 * @module Float64 finite-difference gradient check (the micrograd idea with
 * numerics in place of a reference framework): compares autograd's gradient of
 * sum(f(inputs) * w) for a fixed random w with central differences.
 */
import assert from 'node:assert/strict';
import { torch } from '../src/index.js';
import type { Tensor } from '../src/index.js';

export interface GradcheckOptions { eps?: number; atol?: number; rtol?: number; what?: string }

/**
 * Checks d/dx_i of f for each input that requires grad. Inputs must be float64
 * (or complex128) leaves; f returns one tensor. Disposes what it creates.
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], o: GradcheckOptions = {}): void {
  const eps = o.eps ?? 1e-6;
  const atol = o.atol ?? 1e-5;
  const rtol = o.rtol ?? 1e-3;
  const what = o.what ?? 'gradcheck';
  torch.tidy(() => {
    for (const x of inputs) assert.ok(x.dtype === 'float64', `${what}: inputs must be float64, got ${x.dtype}`);
    const out0 = f(...inputs);
    const w = torch.randnLike(out0.detach());
    const scalar = (): number => torch.noGrad(() => torch.tidy(() => f(...inputs).mul(w).sum().item() as number));
    const loss = out0.mul(w).sum();
    const wrt = inputs.filter((x) => x.requiresGrad);
    const grads = torch.autograd.grad(loss, wrt, { allowUnused: true });
    wrt.forEach((x, k) => {
      const analytic = grads[k] ? grads[k]!.reshape([-1]).data() as Float64Array : new Float64Array(x.numel());
      const flat = x.detach().reshape([-1]); // shares storage with x
      const n = x.numel();
      for (let i = 0; i < n; i++) {
        const orig = flat.select(0, i).item() as number;
        torch.noGrad(() => flat.select(0, i).fill_(orig + eps));
        const up = scalar();
        torch.noGrad(() => flat.select(0, i).fill_(orig - eps));
        const down = scalar();
        torch.noGrad(() => flat.select(0, i).fill_(orig));
        const numeric = (up - down) / (2 * eps);
        const a = analytic[i]!;
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
          assert.fail(`${what}: input ${inputs.indexOf(x)} element ${i}: autograd ${a} vs finite difference ${numeric}`);
        }
      }
    });
  });
}

/** A float64 leaf with values from randn (seeded by the caller). */
export function leaf(shape: number[], scale = 1): Tensor {
  return torch.randn(shape, { dtype: 'float64' }).mul(scale).requiresGrad_();
}

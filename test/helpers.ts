/** @module Test helpers: closeness checks and fixture loading. */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch, io } from '../src/index.js';
import type { Tensor } from '../src/index.js';

/** The repository root (tests run from dist/test/...). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** Loads test/fixtures/<name>.safetensors. */
export function fixture(name: string): Map<string, Tensor> {
  return io.loadSafetensors(join(FIXTURES, `${name}.safetensors`)).tensors;
}

/** Per-dtype default tolerances (tinygrad's defaults for float32). */
export function tol(dtype: string): { atol: number; rtol: number } {
  return dtype === 'float64' ? { atol: 1e-10, rtol: 1e-8 } : { atol: 1e-5, rtol: 1e-4 };
}

/** Asserts |a - b| <= atol + rtol * |b| elementwise, with a message naming the worst element. */
export function assertClose(a: Tensor, b: Tensor, o: { atol?: number; rtol?: number; what?: string } = {}): void {
  const what = o.what ?? 'tensor';
  assert.deepEqual(a.shape, b.shape, `${what}: shape ${JSON.stringify(a.shape)} != ${JSON.stringify(b.shape)}`);
  const { atol, rtol } = { ...tol(b.dtype), ...o };
  torch.tidy(() => {
    const x = a.to('float64');
    const y = b.to('float64');
    const err = torch.abs(torch.sub(x, y));
    const bound = torch.abs(y).mul(rtol).add(atol);
    const bad = err.gt(bound).sum().item() as number;
    if (bad > 0) {
      const worst = err.sub(bound).max().item() as number;
      const maxErr = err.max().item() as number;
      assert.fail(`${what}: ${bad} of ${x.numel()} elements differ (max |a-b| = ${maxErr.toExponential(3)}, ` +
        `excess over atol+rtol|b| = ${worst.toExponential(3)}; atol=${atol}, rtol=${rtol})`);
    }
  });
}

/**
 * @module Runs the PyTorch parity cases of test/fixtures/ops_<family>.safetensors
 * (written by test/fixtures/gen_ops.py): for each case, applies the TS op to
 * the fixture inputs and compares outputs (dtype, shape, values) and, where the
 * fixture has them, the gradients of sum(out0 * w) w.r.t. each float input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixture, tol } from '../helpers.js';

export type OpFn = (...xs: Tensor[]) => Tensor | Tensor[];
export interface Case {
  f: OpFn;
  atol?: number;
  rtol?: number;
  /** Extra invariant checks on the outputs and inputs. */
  check?: (outs: Tensor[], ins: Tensor[]) => void;
}

/** Compares values of any dtype: complex as (re, im) pairs, bool/int exactly as float64. */
export function assertSame(a: Tensor, b: Tensor, o: { atol?: number; rtol?: number; what?: string } = {}): void {
  assert.equal(a.dtype, b.dtype, `${o.what ?? 'tensor'}: dtype ${a.dtype} != PyTorch's ${b.dtype}`);
  torch.tidy(() => {
    const cplx = a.dtype === 'complex64' || a.dtype === 'complex128';
    const x = cplx ? torch.viewAsReal(a.resolveConj()) : a;
    const y = cplx ? torch.viewAsReal(b.resolveConj()) : b;
    const exact = a.dtype === 'bool' || a.dtype.startsWith('int') || a.dtype === 'uint8';
    const t = cplx ? tol(a.dtype === 'complex64' ? 'float32' : 'float64') : tol(a.dtype);
    assertClose(x, y, { atol: exact ? 0 : o.atol ?? t.atol, rtol: exact ? 0 : o.rtol ?? t.rtol, what: o.what });
  });
}

const asList = (r: Tensor | Tensor[]): Tensor[] => (Array.isArray(r) ? r : [r]);

function runCase(name: string, c: Case, fx: Map<string, Tensor>): void {
  torch.tidy(() => {
    const ins: Tensor[] = [];
    for (let i = 0; fx.has(`${name}.in${i}`); i++) {
      const x = fx.get(`${name}.in${i}`)!.clone();
      ins.push(fx.has(`${name}.grad${i}`) ? x.requiresGrad_() : x);
    }
    const outs = asList(c.f(...ins));
    let n = 0;
    while (fx.has(`${name}.out${n}`)) n++;
    assert.equal(outs.length, n, `${name}: ${outs.length} outputs, PyTorch gives ${n}`);
    outs.forEach((o, i) => assertSame(o, fx.get(`${name}.out${i}`)!, { atol: c.atol, rtol: c.rtol, what: `${name} out${i}` }));
    c.check?.(outs, ins);
    const w = fx.get(`${name}.w`);
    if (!w) return;
    const wrt = ins.filter((x) => x.requiresGrad);
    assert.ok(wrt.length > 0, `${name}: PyTorch has gradients but no input requires grad`);
    let loss = outs[0]!.mul(w).sum();
    if (loss.dtype.startsWith('complex')) loss = torch.real(loss);
    const grads = torch.autograd.grad(loss, wrt, { allowUnused: true });
    let k = 0;
    ins.forEach((x, i) => {
      if (!x.requiresGrad) return;
      const g = grads[k++];
      assert.ok(g, `${name}: no gradient for input ${i}`);
      assertSame(g!, fx.get(`${name}.grad${i}`)!, { atol: c.atol, rtol: c.rtol, what: `${name} grad${i}` });
    });
  });
}

/**
 * Registers one test per case of a family. The TS cases and the fixture's cases
 * must name the same set (so an op added on one side only fails).
 */
export function runFamily(family: string, cases: Record<string, OpFn | Case>): void {
  const fx = fixture(`ops_${family}`);
  const names = new Set([...fx.keys()].map((k) => k.split('.')[0]!));
  test(`${family}: the TS cases and PyTorch's fixture cases match`, () => {
    assert.deepEqual([...Object.keys(cases)].sort(), [...names].sort());
  });
  for (const [name, c] of Object.entries(cases)) {
    test(`${family}: ${name} matches PyTorch`, () => runCase(name, typeof c === 'function' ? { f: c } : c, fx));
  }
}

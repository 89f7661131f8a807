/** Creation and read-back parity with PyTorch (fixture: ops_creation, from test/fixtures/gen_ops.py). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { torch } from '../../src/index.js';
import { runFamily } from './ops-harness.js';

runFamily('creation', {
  zeros: () => torch.zeros([2, 3]),
  onesInt32: () => torch.ones(2, { dtype: 'int32' }),
  fullFloat: () => torch.full([2, 2], 1.5),
  fullInt: () => torch.full([3], 7),
  fullBool: () => torch.full([2], true),
  arangeInt: () => torch.arange(5),
  arangeStep: () => torch.arange(1, 10, 3),
  arangeFloat: () => torch.arange(0, 1, 0.25),
  linspace: () => torch.linspace(-1, 1, 5),
  linspace64: () => torch.linspace(0, 1, 4, { dtype: 'float64' }),
  logspace: () => torch.logspace(0, 2, 3),
  eye: () => torch.eye(3),
  eyeRect: () => torch.eye(2, 3, { dtype: 'float64' }),
  scalarTensor: () => torch.scalarTensor(2.5),
  zerosLike: (x) => torch.zerosLike(x),
  fullLike: (x) => torch.fullLike(x, 3),
  onesLike64: (x) => torch.onesLike(x, 'float64'),
  tensorNested: () => torch.tensor([[1, 2], [3, 4]]),
  tensorFloat: () => torch.tensor([[1.5, 2], [3, 4]]),
  tensorBool: () => torch.tensor([true, false]),
  tensorUint8: () => torch.tensor([1, 255], { dtype: 'uint8' }),
  tensorInt32: () => torch.tensor([-3, 4], { dtype: 'int32' }),
  tensorComplex: () => torch.tensor([1.5, -2], { dtype: 'complex64' }),
});

test('creation: TypedArrays keep their dtype, fromBuffer checks the byte count', () => {
  torch.tidy(() => {
    const cases: [ArrayBufferView, string][] = [[new Float32Array([1, 2]), 'float32'], [new Float64Array([1, 2]), 'float64'],
      [new Int32Array([1, 2]), 'int32'], [new BigInt64Array([1n, 2n]), 'int64'], [new Uint8Array([1, 2]), 'uint8']];
    for (const [arr, dt] of cases) {
      const t = torch.tensor(arr);
      assert.equal(t.dtype, dt);
      assert.deepEqual(t.toArray(), [1, 2]);
    }
    const m = torch.fromBuffer(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], 'float32');
    assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.throws(() => torch.fromBuffer(new Float32Array([1, 2, 3]), [2, 2], 'float32'), /needs 16 bytes, the data has 12/);
  });
});

test('read-back: shape, dtype, toArray, data, item for each dtype', () => {
  torch.tidy(() => {
    const f = torch.tensor([[1.5, -2], [3, 4]]);
    assert.deepEqual(f.shape, [2, 2]);
    assert.deepEqual([...f.data()], [1.5, -2, 3, 4]);
    assert.equal(torch.tensor([2.5], { dtype: 'float64' }).item(), 2.5);
    assert.deepEqual(torch.tensor([7, -1]).data(), new BigInt64Array([7n, -1n]));
    assert.equal(torch.tensor([true]).item(), true);
    assert.deepEqual(torch.tensor([true, false]).toArray(), [true, false]);
    assert.deepEqual(torch.complex(torch.tensor([1.5]), torch.tensor([-2.5])).item(), [1.5, -2.5]);
    assert.deepEqual(torch.complex(torch.tensor([1.5]), torch.tensor([-2.5])).conj().toArray(), [[1.5, 2.5]]);
    assert.deepEqual(torch.tensor([1.5, 3]).half().toArray(), [1.5, 3]);
    assert.deepEqual(torch.tensor([1.5, 3]).to('bfloat16').toArray(), [1.5, 3]);
    assert.equal(torch.scalarTensor(3).toArray(), 3);
    assert.deepEqual(torch.zeros([0, 2]).toArray(), []);
    assert.throws(() => torch.tensor([[1, 2], [3]]), /ragged/);
  });
});

/** Shape and layout ops: parity with PyTorch (fixture ops_shape), and views sharing storage. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { torch } from '../../src/index.js';
import { runFamily } from './ops-harness.js';

runFamily('shape', {
  reshape: (x) => x.reshape([4, -1]),
  view: (x) => x.view([6, 4]),
  permute: (x) => x.permute([2, 0, 1]),
  transpose: (x) => x.transpose(0, 2),
  t: (x) => x.t(),
  mT: (x) => x.mT(),
  flatten: (x) => x.flatten(1),
  unflatten: (x) => x.unflatten(2, [2, 2]),
  squeeze: (x) => x.squeeze(),
  squeezeDim: (x) => x.squeeze(2),
  unsqueeze: (x) => x.unsqueeze(1),
  expand: (x) => x.expand([2, 3, 4]),
  expandAs: (x, y) => x.expandAs(y),
  broadcastTo: (x) => x.broadcastTo([2, 3]),
  repeat: (x) => x.repeat([2, 1, 3]),
  repeatInterleave: (x) => x.repeatInterleave(2, 0),
  narrow: (x) => x.narrow(2, 1, 2),
  slice: (x) => x.slice(1, 1, 4, 2),
  select: (x) => x.select(1, -1),
  cat: (a, b) => torch.cat([a!, b!], 1),
  stack: (a, b) => torch.stack([a!, b!], 2),
  split: (x) => x.split(3, 2),
  splitWithSizes: (x) => x.splitWithSizes([1, 3], 1),
  chunk: (x) => x.chunk(2, 0),
  unbind: (x) => x.unbind(1),
  flip: (x) => x.flip([0, 2]),
  roll: (x) => x.roll(1, 1),
  rot90: (x) => x.rot90(1, [0, 1]),
  tril: (x) => x.tril(),
  triu: (x) => x.triu(1),
  diag: (x) => x.diag(),
  diagonal: (x) => x.diagonal(0, 1, 2),
  diagEmbed: (x) => x.diagEmbed(),
  tile: (x) => x.tile([2]),
  meshgrid: (a, b) => torch.meshgrid([a!, b!], 'xy'),
  int64Reshape: (x) => x.reshape([2, 2]).t(),
});

test('shape: views share storage with their base, reshape of a non-contiguous tensor copies', () => {
  torch.tidy(() => {
    const x = torch.zeros([2, 3]);
    const v = x.view([3, 2]);
    v.fill_(1);
    assert.equal(x.sum().item(), 6);
    x.transpose(0, 1).select(0, 0).fill_(5);
    assert.deepEqual(x.toArray(), [[5, 1, 1], [5, 1, 1]]);
    const t = x.t();
    assert.equal(t.isContiguous(), false);
    assert.throws(() => t.view([6]), /view size is not compatible/);
    assert.deepEqual(t.reshape([6]).toArray(), [5, 5, 1, 1, 1, 1]);
  });
});

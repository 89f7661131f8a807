/**
 * Device tier: runs only where libtorch has CUDA and a GPU is present (skipped
 * elsewhere, e.g. in CI). Checks that ops, autograd and errors behave on 'cuda'
 * as on 'cpu'. Run on the GPU machine by scripts/device-check.sh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, TorchError } from '../../src/index.js';
import { assertClose } from '../helpers.js';

const cuda = torch.cuda.isAvailable();
const skip = cuda ? false : 'no CUDA device (libtorch built without CUDA or no GPU)';

test('cuda: device count and placement', { skip }, () => {
  assert.ok(torch.cuda.deviceCount() >= 1);
  torch.tidy(() => {
    const x = torch.randn([4, 5], { device: 'cuda' });
    assert.equal(x.device, 'cuda:0');
    assert.equal(x.cpu().device, 'cpu');
  });
});

test('cuda: matmul, conv2d forward and backward match the CPU', { skip }, () => {
  torch.manualSeed(0);
  torch.tidy(() => {
    const x = torch.randn([8, 3, 16, 16], { dtype: 'float64' });
    const w = torch.randn([6, 3, 3, 3], { dtype: 'float64' });
    const grads = ['cpu', 'cuda'].map((dev) => {
      const xd = x.to(dev).detach().requiresGrad_();
      const wd = w.to(dev).detach().requiresGrad_();
      const y = torch.conv2d(xd, wd, null, 1, 1).relu().sum();
      y.backward();
      return [y.cpu(), xd.grad!.cpu(), wd.grad!.cpu()];
    });
    for (let i = 0; i < 3; i++) assertClose(grads[1]![i]!, grads[0]![i]!, { atol: 1e-9, rtol: 1e-9, what: `item ${i}` });
    const a = torch.randn([64, 32]);
    const b = torch.randn([32, 16]);
    assertClose(a.cuda().matmul(b.cuda()).cpu(), a.matmul(b), { atol: 1e-3, rtol: 1e-3 });
  });
});

test('cuda: complex64 autograd', { skip }, () => {
  torch.tidy(() => {
    const re = torch.randn([3, 3], { device: 'cuda' });
    const im = torch.randn([3, 3], { device: 'cuda' });
    const z = torch.complex(re, im).requiresGrad_();
    const loss = z.matmul(z).abs().sum();
    const [g] = torch.autograd.grad(loss, z);
    assert.equal(g!.dtype, 'complex64');
    assert.equal(g!.device, 'cuda:0');
  });
});

test('cuda: mixing devices is a TorchError naming the op and devices', { skip }, () => {
  torch.tidy(() => {
    const a = torch.randn([2, 2], { device: 'cuda' });
    const b = torch.randn([2, 2]);
    assert.throws(() => a.matmul(b), (e: unknown) => e instanceof TorchError && /matmul/.test(e.message) && /cuda/.test(e.message));
  });
});

test('cuda: tensors are freed (liveTensors back to baseline)', { skip }, () => {
  const before = torch.liveTensors();
  for (let i = 0; i < 100; i++) torch.tidy(() => { torch.randn([256, 256], { device: 'cuda' }).matmul(torch.randn([256, 256], { device: 'cuda' })).sum(); });
  assert.equal(torch.liveTensors(), before);
});

test('cpu-only build: asking for cuda is a TorchError, not a crash', { skip: cuda ? 'CUDA is available' : false }, () => {
  assert.throws(() => torch.zeros([2], { device: 'cuda' }), TorchError);
});

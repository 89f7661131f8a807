/**
 * Memory: dispose() is idempotent, use after dispose throws, `using` disposes,
 * tidy() disposes all but what is returned (nested, and on throw), and 1,000
 * training steps of a small CNN leave no tensor behind and RSS bounded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { torch, DisposedError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

test('dispose() is idempotent and liveTensors counts it once', () => {
  const n0 = torch.liveTensors();
  const x = torch.ones([3]);
  assert.equal(torch.liveTensors(), n0 + 1);
  x.dispose();
  x.dispose();
  assert.equal(x.isDisposed, true);
  assert.equal(torch.liveTensors(), n0);
  assert.equal(String(x), 'Tensor(disposed)');
});

test('use after dispose throws DisposedError (methods, ops, read-back)', () => {
  const x = torch.ones([2]);
  x.dispose();
  for (const f of [() => x.shape, () => x.data(), () => x.item(), () => x.add(1), () => torch.stack([x]), () => x.requiresGrad]) {
    assert.throws(f, DisposedError);
  }
});

test('`using` disposes at the end of the block', () => {
  const n0 = torch.liveTensors();
  let escaped: Tensor;
  {
    using x = torch.zeros([4]);
    escaped = x;
    assert.equal(torch.liveTensors(), n0 + 1);
  }
  assert.equal(escaped.isDisposed, true);
  assert.equal(torch.liveTensors(), n0);
});

test('tidy disposes everything but the returned tensors (also in arrays and objects)', () => {
  const n0 = torch.liveTensors();
  let inner: Tensor | undefined;
  const r = torch.tidy(() => {
    inner = torch.ones([2]).mul(3);
    const a = inner.add(1);
    return { a, list: [a.exp()], n: 5 };
  });
  assert.equal(inner!.isDisposed, true);
  assert.deepEqual(r.a.toArray(), [4, 4]);
  assert.equal(torch.liveTensors(), n0 + 2);
  torch.dispose(r);
  assert.equal(torch.liveTensors(), n0);
});

test('nested tidy: the inner result moves to the outer scope; keep() escapes all scopes', () => {
  const n0 = torch.liveTensors();
  let kept: Tensor | undefined;
  let innerResult: Tensor | undefined;
  const out = torch.tidy(() => {
    const a = torch.ones([2]);
    innerResult = torch.tidy(() => a.add(torch.ones([2])));
    kept = torch.keep(innerResult.mul(2));
    assert.equal(torch.scopeDepth(), 1);
    return innerResult.sum();
  });
  assert.equal(innerResult!.isDisposed, true, 'owned by the outer scope, disposed when it closed');
  assert.equal(out.item(), 4);
  assert.deepEqual(kept!.toArray(), [4, 4]);
  assert.equal(torch.liveTensors(), n0 + 2);
  torch.dispose(out, kept);
  assert.equal(torch.liveTensors(), n0);
  assert.equal(torch.scopeDepth(), 0);
});

test('tidy disposes on throw, and refuses async functions', () => {
  const n0 = torch.liveTensors();
  assert.throws(() => torch.tidy(() => { torch.ones([8]).mul(2); throw new Error('boom'); }), /boom/);
  assert.throws(() => torch.tidy(() => torch.tidy(() => { torch.ones([1]); return torch.matmul(torch.ones([2]), torch.ones([3])); })),
    (e: Error) => e.name === 'TorchError');
  assert.equal(torch.liveTensors(), n0);
  assert.equal(torch.scopeDepth(), 0);
  assert.throws(() => torch.tidy((async () => torch.ones([1])) as never), /synchronous/);
  assert.equal(torch.liveTensors(), n0);
});

test('1,000 SGD steps of a small CNN inside tidy: no tensor leaks, median RSS growth per round bounded (and a real leak exceeds the bound)', (t) => {
  // One intra-op thread: this measures leaks, not speed, and OpenMP's spinning threads
  // slow a loaded machine down by 20x (5 ms a step on one thread, 120 ms on two under load).
  const threads = torch.getNumThreads();
  torch.setNumThreads(1);
  t.after(() => torch.setNumThreads(threads));
  torch.manualSeed(0);
  const init = (shape: number[], scale: number) => torch.randn(shape).mul(scale).requiresGrad_();
  const params = [init([16, 1, 3, 3], 0.3), torch.zeros([16]).requiresGrad_(), init([32, 16, 3, 3], 0.08),
    torch.zeros([32]).requiresGrad_(), init([10, 32 * 7 * 7], 0.03), torch.zeros([10]).requiresGrad_()];
  const [w1, b1, w2, b2, w3, b3] = params as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  const x = torch.randn([8, 1, 28, 28]);
  const y = torch.randint(0, 10, [8]);
  const step = (lr: number): number => torch.tidy(() => {
    let h = torch.maxPool2d(torch.relu(torch.conv2d(x, w1, b1, 1, 1)), 2);
    h = torch.maxPool2d(torch.relu(torch.conv2d(h, w2, b2, 1, 1)), 2);
    const loss = torch.crossEntropy(torch.linear(h.flatten(1), w3, b3), y);
    loss.backward();
    torch.noGrad(() => {
      for (const p of params) {
        p.sub_(p.grad!, lr);
        p.grad = null;
      }
    });
    return loss.item() as number;
  });
  const live0 = torch.liveTensors();
  const first = step(0.05);
  for (let i = 0; i < 49; i++) step(0.05);
  // RSS is noisy (allocator arenas, one-off jumps of tens of MiB): measure 5 rounds of 200 steps and bound the
  // MEDIAN growth per round, which a real leak raises in every round and a single jump does not.
  const rss = (): number => { global.gc?.(); return process.memoryUsage().rss / 2 ** 20; };
  const rounds: number[] = [];
  const t0 = Date.now();
  let last = first;
  for (let r = 0; r < 5; r++) {
    const before = rss();
    for (let i = 0; i < 200; i++) last = step(0.05);
    rounds.push(rss() - before);
  }
  const median = [...rounds].sort((a, b) => a - b)[2]!;
  t.diagnostic(`1000 steps in ${Date.now() - t0} ms; RSS growth per 200 steps ${rounds.map((g) => g.toFixed(1)).join(', ')} MiB (median ${median.toFixed(1)}); loss ${first.toFixed(3)} -> ${last.toFixed(4)}`);
  assert.equal(torch.liveTensors(), live0, 'live tensors back to where they started');
  assert.ok(last < first * 0.1, `the CNN learns its batch (loss ${first} -> ${last})`);
  assert.ok(median < 8, `median RSS growth ${median.toFixed(1)} MiB per 200 steps (rounds: ${rounds.map((g) => g.toFixed(1)).join(', ')})`);
  // the statistic sees a leak: 1 MiB kept per step shows up in every round
  const leaked: Tensor[] = [];
  const leak: number[] = [];
  for (let r = 0; r < 3; r++) {
    const before = rss();
    for (let i = 0; i < 40; i++) { step(0.05); leaked.push(torch.ones([256 * 1024])); }
    leak.push(rss() - before);
  }
  torch.dispose(leaked);
  assert.ok([...leak].sort((a, b) => a - b)[1]! > 8, `a 40 MiB-per-round leak is detected (rounds: ${leak.map((g) => g.toFixed(1)).join(', ')})`);
  torch.dispose(params, x, y);
});

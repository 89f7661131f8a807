/** The caching CPU allocator: blocks of 64 KiB and more are reused by exact size; the cap and emptyCache() bound what it holds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nn, torch } from '../../src/index.js';

const MiB = 1024 * 1024;

test('large blocks are reused: a repeated step is served from the cache', () => {
  torch.cpuCache.emptyCache();
  const step = () => torch.tidy(() => torch.ones([256, 256]).mul(2).add(1).sum().item());
  step();
  const a = torch.cpuCache.stats();
  assert.ok(a.installed);
  assert.ok(a.cachedBytes >= 256 * 1024, `after one step the freed 256 KiB blocks are cached (${a.cachedBytes})`);
  for (let i = 0; i < 10; i++) assert.equal(step(), 256 * 256 * 3);
  const b = torch.cpuCache.stats();
  assert.equal(b.misses, a.misses, 'no new system allocations after the first step');
  assert.ok(b.hits >= a.hits + 10 * 3, `hits grew by ${b.hits - a.hits}`);
});

test('small tensors bypass the cache', () => {
  const a = torch.cpuCache.stats();
  torch.tidy(() => { torch.ones([100]).add(1); });
  const b = torch.cpuCache.stats();
  assert.equal(b.hits + b.misses, a.hits + a.misses);
});

test('emptyCache returns everything; the limit caps what is kept; limit 0 turns caching off', () => {
  torch.tidy(() => { torch.zeros([1024, 1024]); });
  assert.ok(torch.cpuCache.stats().cachedBytes >= 4 * MiB);
  torch.cpuCache.emptyCache();
  assert.equal(torch.cpuCache.stats().cachedBytes, 0);
  const limit = torch.cpuCache.stats().limitBytes;
  try {
    torch.cpuCache.setLimit(2 * MiB);
    torch.tidy(() => { torch.zeros([1024, 1024]); torch.zeros([256, 1024]); });
    const s = torch.cpuCache.stats();
    assert.ok(s.cachedBytes <= 2 * MiB, `cached ${s.cachedBytes} <= 2 MiB`);
    assert.equal(s.cachedBytes, 1 * MiB, 'the 1 MiB block fits, the 4 MiB block was returned');
    torch.cpuCache.setLimit(0);
    assert.equal(torch.cpuCache.stats().cachedBytes, 0);
    const before = torch.cpuCache.stats();
    torch.tidy(() => { torch.zeros([1024, 1024]).add(1).sum(); });
    const after = torch.cpuCache.stats();
    assert.equal(after.cachedBytes, 0);
    assert.equal(after.hits + after.misses, before.hits + before.misses, 'limit 0: nothing goes through the cache');
  } finally {
    torch.cpuCache.setLimit(limit);
  }
  assert.throws(() => torch.cpuCache.setLimit(-1), RangeError);
});

test('values are unaffected by reuse (no stale data leaks into fresh zeros)', () => {
  torch.tidy(() => { torch.full([512, 512], 7); });
  torch.tidy(() => {
    const z = torch.zeros([512, 512]);
    assert.equal(z.abs().sum().item(), 0);
  });
});

test('graph mode gives the cached blocks back before it traces (a new phase reuses memory instead of adding to it)', () => {
  const lin = new nn.Linear(4, 2);
  const x = torch.ones([3, 4]);
  torch.tidy(() => { torch.zeros([2048, 2048]); }); // 16 MiB freed into the cache, as a training step leaves it
  assert.ok(torch.cpuCache.stats().cachedBytes >= 16 * MiB);
  const c = torch.jit.compile(lin, x);
  assert.ok(torch.cpuCache.stats().cachedBytes < 16 * MiB, `cached after compile: ${torch.cpuCache.stats().cachedBytes}`);
  c.dispose();
  lin.dispose();
  x.dispose();
});

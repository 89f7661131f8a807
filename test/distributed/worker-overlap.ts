/**
 * @module Worker for overlap.test.ts (2 ranks): drives DataParallel and
 * GradientReducer directly and asserts inside; prints { rank, checked } (the
 * names of the checks that passed). Parameters are ordered [never, side, body]
 * so that in reverse order (the bucket order) the body comes first: `side` is
 * used on rank 0 only, `never` on no rank.
 */
import assert from 'node:assert/strict';
import * as dist from '../../src/core/distributed.js';
import * as torch from '../../src/core/torch.js';
import type { Tensor } from '../../src/core/torch.js';
import * as nn from '../../src/core/nn/index.js';
import { native as N } from '../../src/core/tensor/native.js';
import { DataParallel, type DataParallelOptions } from '../../src/train/distributed.js';

await dist.initProcessGroup();
const rank = dist.getRank();
const K = 2; // micro-batches per cycle
torch.manualSeed(5);
const body = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 3));
const side = new nn.Linear(6, 3);
const never = new nn.Linear(6, 3);
const params = [...never.parameters(), ...side.parameters(), ...body.parameters()];
const checked: string[] = [];

/** Rank r's micro-batch m (the same on every process), its loss divided by K. */
function lossOf(r: number, m: number, o: { nan?: boolean; inf?: boolean } = {}): Tensor {
  const g = new torch.Generator(100 + 10 * r + m);
  const x = torch.randn([4, 6], { generator: g });
  const y = torch.randint(0, 3, [4], { generator: g, dtype: 'int64' });
  let l = torch.crossEntropy(body.call(x), y);
  if (r === 0) l = l.add(side.call(x).pow(2).mean());
  if (o.inf) { const w = (body.at(0) as nn.Linear).weight; l = l.add(w.sub(w.detach()).sqrt().sum()); } // finite value, infinite gradient
  if (o.nan) l = l.mul(NaN);
  return l.div(K);
}
const clearGrads = (): void => { for (const p of params) p.grad = null; };
const grads = (): (number[] | null)[] => params.map((p) => { const g = p.grad; const a = g ? Array.from(g.data() as Float32Array) : null; g?.dispose(); return a; });

// the one-process reference: the mean over both ranks of their summed micro-batch gradients
clearGrads();
torch.tidy(() => { for (let r = 0; r < 2; r++) for (let m = 0; m < K; m++) lossOf(r, m).backward(); });
const ref = grads().map((g) => g && g.map((v) => v / 2));

/** One accumulation cycle under DataParallel; returns the agreement and the gradients after reduce(). */
async function cycle(dp: DataParallel, o: { nan?: boolean; inf?: boolean; roots?: boolean } = {}): Promise<{ a: Awaited<ReturnType<DataParallel['reduce']>>; g: (number[] | null)[] }> {
  clearGrads();
  let bad: string | null = null;
  for (let m = 0; m < K; m++) {
    torch.tidy(() => {
      const l = lossOf(rank, m, m === K - 1 ? o : {});
      if (!Number.isFinite(Number(l.item()))) { bad = 'loss is NaN'; return; }
      if (m === K - 1) dp.backward(params, () => l.backward(), o.roots ? l : undefined);
      else l.backward();
    });
  }
  const a = await dp.reduce(params, { bad, stop: false, lossSum: 0, count: 1 });
  return { a, g: grads() };
}

const close = (g: (number[] | null)[], what: string): void => {
  g.forEach((v, i) => {
    if (ref[i] === null) { assert.equal(v, null, `${what}: parameter ${i} should have no gradient`); return; }
    assert.ok(v !== null, `${what}: parameter ${i} has no gradient`);
    v.forEach((x, j) => assert.ok(Math.abs(x - ref[i]![j]!) <= 1e-6, `${what}: parameter ${i}[${j}]: ${x} vs ${ref[i]![j]}`));
  });
};

const live0 = torch.liveTensors();
const modes: [string, DataParallelOptions][] = [['off', { overlap: false }], ['tiny', { overlap: true, bucketMb: 1e-6 }], ['one', { overlap: true }],
  ['tiny-roots', { overlap: true, bucketMb: 1e-6 }], ['one-roots', { overlap: true }]];
// per-parameter buckets: body's 6 start inside backward on both ranks, side's 2 on rank 0 (where it is used);
// then `never` (unused everywhere) holds the order until finish(). One bucket: held by `never` on every rank.
// With the loss as root, unreachable parameters are ready at arm(): every bucket starts before backward returns.
const EARLY: Record<string, number> = { off: 0, tiny: rank === 0 ? 8 : 6, one: 0, 'tiny-roots': 10, 'one-roots': 1 };
const results: Record<string, (number[] | null)[]> = {};
for (const [name, opts] of modes) {
  const dp = new DataParallel(opts);
  const { a, g } = await cycle(dp, { roots: name.endsWith('-roots') });
  assert.equal(a.early, EARLY[name], `${name}: early buckets`);
  assert.equal(a.bad, null);
  close(g, name);
  results[name] = g;
  dp.dispose();
  checked.push(`grads-${name}`);
}
assert.deepEqual(results['tiny'], results['off'], 'overlapped (per-parameter buckets) and non-overlapped gradients differ');
assert.deepEqual(results['one'], results['off'], 'overlapped (one bucket) and non-overlapped gradients differ');
assert.deepEqual(results['tiny-roots'], results['off'], 'overlapped (per-parameter buckets, roots) and non-overlapped gradients differ');
assert.deepEqual(results['one-roots'], results['off'], 'overlapped (one bucket, roots) and non-overlapped gradients differ');
checked.push('overlap=off bitwise');
assert.equal(torch.liveTensors(), live0, 'tensor handles leaked');
checked.push('no leaked handles');

const dp = new DataParallel({ overlap: true, bucketMb: 1e-6 });
// an infinite gradient made during rank 1's backward reaches every rank (so every rank's gradient norm is non-finite and all skip)
{
  const { a, g } = await cycle(dp, rank === 1 ? { inf: true } : {});
  assert.equal(a.bad, null);
  assert.ok(g[4]!.some((v) => !Number.isFinite(v)), 'the infinite gradient did not reach this rank');
  checked.push('inf gradient on rank 1 reaches all');
}
// a NaN loss on rank 1 (its last backward skipped, its buckets all go after): every rank learns it
{
  const { a } = await cycle(dp, rank === 1 ? { nan: true } : {});
  assert.equal(a.bad, rank === 1 ? 'loss is NaN' : 'non-finite values on 1 of 2 ranks');
  assert.equal(a.early, rank === 0 ? 8 : 0);
  checked.push('NaN loss on rank 1 agreed');
}
// roots that do not reach the parameters backward reaches: every bucket goes at arm(), then a hook sees a late gradient
{
  clearGrads();
  torch.tidy(() => {
    const l = lossOf(rank, 0);
    dp.backward(params, () => l.backward(), torch.zeros([1]));
  });
  await assert.rejects(dp.reduce(params, { bad: null, stop: false, lossSum: 0, count: 1 }), /not reachable from the roots/);
  checked.push('wrong roots refused');
}
// a failure inside the backward pass after 4 buckets started (the last two layers'; the first layer's graph was already freed)
{
  clearGrads();
  const err = torch.tidy(() => {
    const g = new torch.Generator(1);
    const h = body.at(0).call(torch.randn([4, 6], { generator: g }));
    h.sum().backward();
    try { dp.backward(params, () => body.at(4).call(body.at(2).call(h.relu()).relu()).sum().backward()); return null; } catch (e) { return e as Error; }
  });
  assert.ok(err && /second time|freed/.test(err.message), `expected backward to fail, got ${err?.message}`);
  // reduce() refuses the cycle the failed pass left (its buckets hold partial gradients) ...
  await assert.rejects(dp.reduce(params, { bad: null, stop: false, lossSum: 0, count: 1 }), /backward pass failed after 4 of 10 buckets/);
  checked.push('failure inside backward');
  // the next cycle starts clean (the abandoned buckets were issued on both ranks and complete on their own)
  const { a, g } = await cycle(dp);
  assert.equal(a.early, rank === 0 ? 8 : 6);
  close(g, 'after a failed backward');
  checked.push('clean cycle after failure');
}
dp.dispose();
dp.dispose();
// hooks go with dispose(), also from a reducer disposed while armed
const hooks = (): number => params.reduce((n, p) => n + (N.distGradHookCount!(p.handle) as number), 0);
assert.equal(hooks(), 0, 'hooks left after DataParallel.dispose()');
const order = params.map((_, i) => params.length - 1 - i);
// (`armed` keeps the accumulators alive, so a count that drops shows hooks removed, not accumulators freed)
const armed = new dist.GradientReducer(params, order.slice(0, 6).map((i) => [i]));
const gone = new dist.GradientReducer(params, order.slice(0, 6).map((i) => [i]));
assert.equal(hooks(), 12);
gone.arm();
gone.dispose();
assert.equal(hooks(), 6, 'hooks left after GradientReducer.dispose()');
assert.throws(() => gone.arm(), /disposed/);
armed.arm();
await dist.barrier();
dist.destroyProcessGroup();
clearGrads();
// `armed`'s hooks now fail (no process group): backward throws a JS error instead of crashing
assert.throws(() => torch.tidy(() => lossOf(rank, 0).backward()), /no process group/);
assert.throws(() => armed.finish(), /gradient reduction: .*no process group/);
armed.dispose();
clearGrads();
torch.tidy(() => lossOf(rank, 0).backward()); // no hooks left: a plain backward
assert.equal(hooks(), 0);
checked.push('dispose removes hooks', 'hook failure is a JS error');
process.stdout.write(JSON.stringify({ rank, checked }) + '\n');

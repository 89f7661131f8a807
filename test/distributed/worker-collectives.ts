/**
 * @module A worker for collectives.test.ts: joins a group from the torchrun
 * environment, runs each collective on rank-dependent values and prints one
 * JSON line with what it got (or the error). Modes (argv[2]): 'ok', 'timeout'
 * (rank 0 skips the barrier, so rank 1's times out), 'die' (rank 1 kills itself
 * with SIGKILL before the all-reduce).
 */
import * as torch from '../../src/core/torch.js';
import * as dist from '../../src/core/distributed.js';

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'ok';
  await dist.initProcessGroup();
  const rank = dist.getRank();
  const world = dist.getWorldSize();
  const out: Record<string, unknown> = { rank, world };
  try {
    if (mode === 'timeout') {
      if (rank !== 0) await dist.barrier();
      else await new Promise((r) => setTimeout(r, 4000));
    } else if (mode === 'die') {
      if (rank === 1) process.kill(process.pid, 'SIGKILL');
      const t = torch.ones([4]);
      await dist.allReduce(t);
      out['sum'] = Array.from(t.data() as Float32Array);
    } else {
      const a = torch.tensor([rank + 1, 10 * (rank + 1)], { dtype: 'float32' });
      await dist.allReduce(a, 'sum');
      const b = torch.tensor([rank + 1, 2], { dtype: 'float32' });
      await dist.allReduce(b, 'avg');
      const c = torch.tensor([rank, -rank], { dtype: 'float32' });
      await dist.allReduce(c, 'max');
      // a bucket of two tensors of different shapes, one non-contiguous
      const d1 = torch.full([2, 2], rank + 1, { dtype: 'float32' });
      const d2 = torch.arange(6).reshape([2, 3]).to('float32').mul(rank + 1).t();
      await dist.allReduce([d1, d2], 'sum');
      const e = torch.full([3], rank === 1 ? 7 : -1);
      await dist.broadcast(e, 1);
      const g = await dist.allGather(torch.tensor([rank, rank * rank], { dtype: 'float32' }));
      await dist.barrier();
      const arr = (t: torch.Tensor): number[] => Array.from(t.contiguous().data() as Float32Array, Number);
      Object.assign(out, { sum: arr(a), avg: arr(b), max: arr(c), bucket1: arr(d1), bucket2: arr(d2), bcast: arr(e), gather: g.map(arr) });
    }
  } catch (err) {
    const x = err as dist.DistributedError;
    out['error'] = { name: x.name, message: x.message, rank: x.rank, timedOut: x.timedOut, isTyped: err instanceof dist.DistributedError };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  dist.destroyProcessGroup();
}

main().catch((e) => { process.stderr.write(String((e as Error).stack ?? e) + '\n'); process.exit(1); });

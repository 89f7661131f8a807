/** @module Launching N loopback workers for the distributed tests. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (for MASTER_PORT). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
  });
}

/** What one worker left behind. */
export interface WorkerResult { rank: number; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** The last stdout line of a worker as JSON. */
export function lastJson<T = Record<string, unknown>>(r: WorkerResult): T {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try { return JSON.parse(line) as T; } catch { throw new Error(`rank ${r.rank} printed no JSON (exit ${r.code}); stderr:\n${r.stderr}`); }
}

/** Runs `script` in `n` processes with the torchrun variables (or one plain process when n is 0); `env` may differ per rank. */
export async function launch(script: string, args: string[], n: number, env: Record<string, string> | ((rank: number) => Record<string, string>) = {}): Promise<WorkerResult[]> {
  const port = await freePort();
  const ranks = n === 0 ? [null] : Array.from({ length: n }, (_, r) => r);
  return Promise.all(ranks.map((rank) => new Promise<WorkerResult>((res) => {
    const t0 = Date.now();
    const dist = rank === null ? {} : { RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(n), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ADAPTUNE_NUM_THREADS: '1', ...dist, ...(typeof env === 'function' ? env(rank ?? 0) : env) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code, signal) => res({ rank: rank ?? 0, code, signal, stdout, stderr, ms: Date.now() - t0 }));
  })));
}

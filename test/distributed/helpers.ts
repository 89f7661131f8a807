/** @module Launching N loopback workers for the distributed tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The kernel's ephemeral range (bind(0) and outgoing connections take ports from it; ours stay outside). */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch { /* not Linux */ }
  return [32768, 60999];
}

const canBind = (port: number): Promise<boolean> => new Promise((res) => {
  const s = createServer();
  s.once('error', () => res(false));
  s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => res(true)));
});

/**
 * A rendezvous port (MASTER_PORT) that no one else takes meanwhile: outside the kernel's ephemeral range (so
 * neither bind(0) nor an outgoing connection is handed it), claimed with an O_EXCL lock file in the temp
 * directory (so concurrent test processes, ours or another checkout's, never pick the same one) and checked
 * bindable. release() frees the claim. (libtorch's TCPStore cannot adopt a listening socket, and the addon's
 * rendezvous takes a fixed port, so the socket itself cannot be handed over.)
 */
export async function claimPort(): Promise<{ port: number; release: () => void }> {
  const [lo, hi] = ephemeralRange();
  const [from, to] = lo > 20000 ? [20000, lo - 1] : [hi + 1, 65535];
  for (let i = 0; i < 200; i++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    const lock = join(tmpdir(), `adaptune-port-${port}.lock`);
    try { if (Date.now() - statSync(lock).mtimeMs > 3_600_000) rmSync(lock, { force: true }); } catch { /* no lock */ }
    let fd: number;
    try { fd = openSync(lock, 'wx'); } catch { continue; }
    closeSync(fd);
    if (await canBind(port)) return { port, release: () => rmSync(lock, { force: true }) };
    rmSync(lock, { force: true });
  }
  throw new Error(`no free rendezvous port in ${from}-${to} after 200 tries`);
}

/** What one worker left behind. */
export interface WorkerResult { rank: number; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** The last stdout line of a worker as JSON. */
export function lastJson<T = Record<string, unknown>>(r: WorkerResult): T {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try { return JSON.parse(line) as T; } catch { throw new Error(`rank ${r.rank} printed no JSON (exit ${r.code}); stderr:\n${r.stderr}`); }
}

const ADDR_IN_USE = /Address already in use|EADDRINUSE|errno: 98\b/;

/**
 * Runs `script` in `n` processes with the torchrun variables (or one plain process when n is 0); `env` may differ
 * per rank. Should rank 0 still find the port taken (a process outside our lock scheme), the launch is stopped
 * and retried on another port.
 */
export async function launch(script: string, args: string[], n: number, env: Record<string, string> | ((rank: number) => Record<string, string>) = {}): Promise<WorkerResult[]> {
  for (let attempt = 0; ; attempt++) {
    const { port, release } = await claimPort();
    try {
      const rs = await launchOn(port, script, args, n, env);
      if (n > 0 && attempt < 3 && ADDR_IN_USE.test(rs[0]!.stderr + rs[0]!.stdout)) continue;
      return rs;
    } finally { release(); }
  }
}

function launchOn(port: number, script: string, args: string[], n: number, env: Record<string, string> | ((rank: number) => Record<string, string>)): Promise<WorkerResult[]> {
  const ranks = n === 0 ? [null] : Array.from({ length: n }, (_, r) => r);
  const children: ChildProcess[] = [];
  return Promise.all(ranks.map((rank) => new Promise<WorkerResult>((res) => {
    const t0 = Date.now();
    const dist = rank === null ? {} : { RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(n), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ADAPTUNE_NUM_THREADS: '1', ...dist, ...(typeof env === 'function' ? env(rank ?? 0) : env) }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      // rank 0 could not host the rendezvous: stop the others at once (they would wait for it until the init timeout)
      if (rank === 0 && ADDR_IN_USE.test(stderr)) for (const c of children) if (c !== child && c.exitCode === null) c.kill('SIGKILL');
    });
    child.on('close', (code, signal) => res({ rank: rank ?? 0, code, signal, stdout, stderr, ms: Date.now() - t0 }));
  })));
}

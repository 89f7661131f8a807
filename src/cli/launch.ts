/**
 * @module The multi-process launcher (torchrun's conventions): `adaptune
 * <command> --nproc N [--nnodes M --node-rank K --master-addr A --master-port P]`
 * starts N local workers running `adaptune <command> ...` with RANK,
 * LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set;
 * each worker joins the c10d process group before its command runs, and the
 * training engine then trains data-parallel (src/train/distributed.ts).
 * - Output: rank 0's stdout and stderr pass through (so --json still prints
 *   one object); other ranks' lines go to stderr prefixed with `[rank R]`.
 * - Run directories: ranks other than 0 get a scratch --out (removed when they
 *   exit) and resume from a mirror of --resume DIR (rankArgs), so only rank 0
 *   writes the run.
 * - Failure: a worker that exits non-zero or is killed makes the launcher
 *   stop the others (SIGTERM, then SIGKILL after 5 s) and exit non-zero
 *   with a message naming the rank. Ctrl-C is forwarded once (the workers
 *   finish their step and save); a second Ctrl-C kills them.
 * Light: no libtorch at import; workerSetup() loads it lazily.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CliError } from './args.js';
import { defaultOf, flagOf, formatHelp, takeFlags } from '../core/options.js';
import { LAUNCH_OPTIONS, RUN_OPTIONS, resumeOption } from '../train/options.js';

/** The run-placement flags a rank other than 0 gets rewritten (their one definition: src/train/options.ts). */
const OUT = `--${flagOf('out', RUN_OPTIONS.out)}`;
const RESUME = `--${flagOf('resume', resumeOption())}`;

/** The launcher's flags, removed from the command line the workers get. */
export interface LaunchArgs { nproc: number; nnodes: number; nodeRank: number; masterAddr: string; masterPort: number; rest: string[] }

/** The launcher's --help: its table (src/train/options.ts). */
export const LAUNCH_USAGE = formatHelp('Usage: adaptune <command> --nproc N [launch flags] [command flags]', [LAUNCH_OPTIONS],
  'Settings (config or --set): parallel.syncBatchNorm=true, parallel.overlap=false, parallel.bucketMb=MB,\nparallel.buffers=average|broadcast|none.\nEnv: ADAPTUNE_DIST_TIMEOUT_MS (per collective, default 300000), GLOO_SOCKET_IFNAME. See docs/distributed.md.');

/** Splits the launcher's flags (LAUNCH_OPTIONS) from argv; null when there is no --nproc. */
export function parseLaunch(argv: string[]): LaunchArgs | null {
  const { values: v, given, rest } = takeFlags(LAUNCH_OPTIONS, argv);
  if (!given) return null;
  if (v.nproc !== undefined && v.nprocPerNode !== undefined) throw new CliError('give --nproc or --nproc-per-node, not both');
  const nproc = v.nproc ?? v.nprocPerNode;
  if (nproc === undefined) throw new CliError('--nnodes, --node-rank, --master-addr and --master-port go with --nproc N');
  const o: LaunchArgs = { nproc, nnodes: v.nnodes ?? defaultOf(LAUNCH_OPTIONS.nnodes), nodeRank: v.nodeRank ?? defaultOf(LAUNCH_OPTIONS.nodeRank), masterAddr: v.masterAddr ?? defaultOf(LAUNCH_OPTIONS.masterAddr), masterPort: v.masterPort ?? defaultOf(LAUNCH_OPTIONS.masterPort), rest };
  if (o.nodeRank >= o.nnodes) throw new CliError(`--node-rank must be below --nnodes (${o.nnodes}), got ${o.nodeRank}`);
  if (!o.rest.length || o.rest[0]!.startsWith('-')) throw new CliError('--nproc needs a command, e.g. adaptune finetune --nproc 2 ...');
  return o;
}

/**
 * The arguments of a rank other than 0: `--out` points to its scratch directory
 * (added when absent, unless the command resumes: `--resume` is refused beside
 * `--out`, and the mirror is the rank's run directory), and `--resume DIR` to a
 * mirror of DIR in it (DIR's files copied, its folders such as checkpoints/
 * linked), so the rank reads the run but never writes into it.
 */
export function rankArgs(args: string[], scratch: string): string[] {
  const out: string[] = [];
  let seenOut = false;
  let resumes = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag !== OUT && flag !== RESUME) { out.push(a); continue; }
    const value = inline ?? args[++i];
    if (value === undefined) { out.push(a); continue; }
    if (flag === OUT) { out.push(OUT, scratch); seenOut = true; } else { out.push(RESUME, mirror(value, join(scratch, 'resume'))); resumes = true; }
  }
  return seenOut || resumes ? out : [...out, OUT, scratch];
}

function mirror(dir: string, to: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return dir; // the command reports the bad path
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const src = resolve(dir, e.name);
    if (e.isDirectory()) symlinkSync(src, join(to, e.name));
    else if (e.isFile()) copyFileSync(src, join(to, e.name));
  }
  return to;
}

function relay(stream: NodeJS.ReadableStream, prefix: string): void {
  createInterface({ input: stream }).on('line', (l) => process.stderr.write(`${prefix}${l}\n`));
}

/** Starts the workers and waits for them; returns the exit status (0 when all succeeded). */
export async function launch(a: LaunchArgs, entry = process.argv[1]!): Promise<number> {
  const world = a.nproc * a.nnodes;
  const threads = process.env['ADAPTUNE_NUM_THREADS'] ?? String(Math.max(1, Math.floor(cpus().length / a.nproc)));
  const kids: { rank: number; child: ChildProcess; scratch: string | null; done: boolean }[] = [];
  let failure: string | null = null;
  let code = 0;
  let interrupts = 0;
  let killTimer: NodeJS.Timeout | null = null;
  const stopAll = (sig: NodeJS.Signals): void => {
    for (const k of kids) if (!k.done) { try { process.kill(-k.child.pid!, sig); } catch { /* gone */ } }
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (code === 0) code = sig === 'SIGINT' ? 130 : 143;
    stopAll(interrupts > 1 ? 'SIGKILL' : sig);
  };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => { const h = (): void => onSignal(s); process.on(s, h); return [s, h] as const; });
  try {
    await Promise.all(Array.from({ length: a.nproc }, (_, local) => new Promise<void>((resolve) => {
      const rank = a.nodeRank * a.nproc + local;
      const scratch = rank === 0 ? null : mkdtempSync(join(tmpdir(), `adaptune-rank${rank}-`));
      const args = scratch ? rankArgs(a.rest, scratch) : a.rest;
      const env = {
        ...process.env, RANK: String(rank), LOCAL_RANK: String(local), WORLD_SIZE: String(world), LOCAL_WORLD_SIZE: String(a.nproc),
        MASTER_ADDR: a.masterAddr, MASTER_PORT: String(a.masterPort), ADAPTUNE_DIST_WORKER: '1', ADAPTUNE_NUM_THREADS: threads,
      };
      // Own process group: the launcher forwards Ctrl-C once (a second one reaching a worker would skip its checkpoint).
      const child = spawn(process.execPath, [...process.execArgv, entry, ...args], { env, detached: true, stdio: ['ignore', rank === 0 ? 'inherit' : 'pipe', rank === 0 ? 'inherit' : 'pipe'] });
      const k = { rank, child, scratch, done: false };
      kids.push(k);
      if (rank !== 0) { relay(child.stdout!, `[rank ${rank}] `); relay(child.stderr!, `[rank ${rank}] `); }
      child.on('exit', (c, sig) => {
        k.done = true;
        if (scratch) rmSync(scratch, { recursive: true, force: true });
        if ((c !== 0 || sig) && failure === null && interrupts === 0) {
          failure = `worker rank ${rank} (pid ${child.pid}) ${sig ? `was killed by ${sig}` : `exited with code ${c}`}; stopping the other workers`;
          process.stderr.write(`adaptune: ${failure}\n`);
          code = c && c > 0 ? c : 1;
          stopAll('SIGTERM');
          killTimer = setTimeout(() => stopAll('SIGKILL'), 5000);
        }
        resolve();
      });
    })));
  } finally {
    if (killTimer) clearTimeout(killTimer);
    for (const [s, h] of handlers) process.off(s, h);
  }
  return code;
}

/**
 * In a worker started by launch(): joins the process group from the
 * environment and returns a function that leaves it; null elsewhere.
 */
export async function workerSetup(): Promise<(() => void) | null> {
  if (process.env['ADAPTUNE_DIST_WORKER'] !== '1') return null;
  const dist = await import('../core/distributed.js');
  if (!dist.isAvailable()) throw new CliError('distributed support not built: install libgloo-dev and rebuild (bash scripts/build-native.sh)');
  await dist.initProcessGroup();
  return () => dist.destroyProcessGroup();
}

/**
 * @module The kill-during-save harness shared by test/train/crash.test.ts and the campaign
 * scripts/probes/kill-save.mjs: runs the training child (child.ts) and SIGKILLs it at a chosen line.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.js');
/** The checkpoint write phases the child reports, in order. */
export const PHASES = ['begin', 'model.safetensors', 'optimizer.safetensors', 'rng.safetensors', 'task.safetensors', 'optimizer.json', 'state.json', 'manifest', 'rename', 'pointer', 'retention'];

export interface Outcome { code: number | null; signal: NodeJS.Signals | null; lines: string[]; killedAt: string | null }

/** Runs the child; kill(line) returning true sends SIGKILL at that line. */
export function runChild(config: Record<string, unknown>, runDir: string, resume: boolean, kill: (line: string) => boolean, pauseMs: number, pausePhase?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const env = { ...process.env, CHILD_OPTS: JSON.stringify({ runDir, resume, config, pauseMs, pausePhase }) };
    const p = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let killedAt: string | null = null;
    let buf = '';
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (killedAt === null && kill(line)) { killedAt = line; p.kill('SIGKILL'); }
      }
    });
    p.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) lines.push(`STDERR ${err}`);
      resolve({ code, signal, lines, killedAt });
    });
  });
}

/**
 * A kill rule: inside the checkpoint write of `phase` (of step 2 or later, in this child), or when
 * phase is null at a step 0-2 steps after the child's first (drawn with `rand`).
 */
export function killAt(phase: string | null, rand: (n: number) => number): (line: string) => boolean {
  let startStep = -1;
  let target = -1;
  return (line) => {
    const [kind, a, b] = line.split(' ');
    if (kind === 'STEP' && startStep < 0) { startStep = Number(a); target = startStep + rand(3); }
    if (phase) return kind === 'PHASE' && a === phase && Number(b) >= 2 && Number(b) >= startStep;
    return kind === 'STEP' && Number(a) >= target && target > 0;
  };
}

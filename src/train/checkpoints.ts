/**
 * @module The checkpoints directory of a run: `step-<8 digits>/` checkpoints,
 * `last.json` and `best.json` pointers (each replaced atomically), retention
 * of the newest k (the best one always kept), clean-up of temp directories
 * left by a killed save, and finding the newest checkpoint that verifies
 * (falling back past a damaged one, R2).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../core/errors.js';
import { atomicWriteJson, fsyncPath } from './atomic.js';
import { saveCheckpoint, verifyCheckpoint, type CheckpointContent, type PhaseHook } from './checkpoint.js';

/** What last.json / best.json hold. */
export interface Pointer {
  checkpoint: string;
  step: number;
  metric?: string | null;
  value?: number | null;
}

/** The directory name of the checkpoint at `step`. */
export const checkpointName = (step: number): string => `step-${String(step).padStart(8, '0')}`;
const STEP_DIR = /^step-(\d{8,})$/;

/** Manages `<run>/checkpoints/`. */
export class Checkpoints {
  constructor(readonly root: string) {}

  /** Removes temp and trash directories left by a killed save; returns how many. */
  cleanStale(): number {
    if (!existsSync(this.root)) return 0;
    let n = 0;
    for (const e of readdirSync(this.root)) {
      if (e.startsWith('.tmp-') || e.startsWith('.trash-') || /^\.(last|best)\.json\.tmp-/.test(e)) {
        rmSync(join(this.root, e), { recursive: true, force: true });
        n++;
      }
    }
    if (n) fsyncPath(this.root);
    return n;
  }

  /** Checkpoint directory names, oldest first. */
  list(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root).filter((e) => STEP_DIR.test(e)).sort((a, b) => stepOf(a) - stepOf(b));
  }

  /** Saves a checkpoint, moves `last` (and `best` when given) to it, then applies retention. */
  save(step: number, content: CheckpointContent, o: { keep: number; best?: { metric: string; value: number } | null; onPhase?: PhaseHook }): string {
    mkdirSync(this.root, { recursive: true });
    const name = checkpointName(step);
    const dir = join(this.root, name);
    saveCheckpoint(dir, content, { step, onPhase: o.onPhase });
    o.onPhase?.('pointer', dir);
    if (o.best) this.#point('best', { checkpoint: name, step, metric: o.best.metric, value: o.best.value });
    this.#point('last', { checkpoint: name, step });
    o.onPhase?.('retention', dir);
    this.retain(o.keep);
    return dir;
  }

  #point(which: 'last' | 'best', p: Pointer): void {
    atomicWriteJson(join(this.root, `${which}.json`), p);
  }

  /** The pointer `which`, or null when absent or unreadable. */
  pointer(which: 'last' | 'best'): Pointer | null {
    try {
      const p = JSON.parse(readFileSync(join(this.root, `${which}.json`), 'utf8')) as Pointer;
      return typeof p?.checkpoint === 'string' && STEP_DIR.test(p.checkpoint) ? p : null;
    } catch {
      return null;
    }
  }

  /** Keeps the newest `keep` checkpoints plus the ones `last` and `best` point to; deletes the rest (renamed away first). */
  retain(keep: number): string[] {
    const all = this.list();
    const protect = new Set([this.pointer('best')?.checkpoint, this.pointer('last')?.checkpoint]);
    const drop = all.slice(0, Math.max(0, all.length - keep)).filter((n) => !protect.has(n));
    for (const n of drop) {
      const trash = join(this.root, `.trash-${n}-${process.pid}`);
      renameSync(join(this.root, n), trash);
      rmSync(trash, { recursive: true, force: true });
    }
    if (drop.length) fsyncPath(this.root);
    return drop;
  }

  /**
   * The newest checkpoint that verifies (a published directory is complete, so
   * it wins over a `last` pointer a kill left one step behind). `fellBack` is
   * true when newer directories failed their check; `problems` says why.
   * Throws CheckpointError when none verifies.
   */
  latest(): { dir: string; fellBack: boolean; problems: string[] } {
    const problems: string[] = [];
    for (const n of this.list().reverse()) {
      const dir = join(this.root, n);
      try { verifyCheckpoint(dir); return { dir, fellBack: problems.length > 0, problems }; } catch (e) { problems.push((e as Error).message); }
    }
    throw new CheckpointError(`no loadable checkpoint in ${this.root}${problems.length ? `: ${problems.join('; ')}` : ''}`);
  }
}

function stepOf(name: string): number { return Number(STEP_DIR.exec(name)![1]); }

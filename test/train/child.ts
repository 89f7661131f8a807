/**
 * @module A training run in a child process, driven by the CHILD_OPTS env (JSON):
 * { runDir, resume, config, pauseMs, pausePhase, stepSleepMs }. It prints, synchronously on
 * stdout, `STEP <n>` after each step, `PHASE <phase> <step>` at each checkpoint
 * write phase (then sleeps pauseMs at pausePhase, so a parent's SIGKILL lands inside the save
 * window), and `DONE <status> <step> <hash>` at the end; it exits with the
 * run's exit code.
 */
import { writeSync } from 'node:fs';
import { basename } from 'node:path';
import { resume, train } from '../../src/train/index.js';
import { makeDataset, makeLoader, TinyTask, weightsHash } from './fixtures.js';

interface ChildOpts { runDir: string; resume: boolean; config: Record<string, unknown>; pauseMs?: number; pausePhase?: string; stepSleepMs?: number }
const o = JSON.parse(process.env['CHILD_OPTS'] ?? '{}') as ChildOpts;
const say = (s: string): void => { writeSync(1, s + '\n'); };
const sleep = (ms: number): void => { if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

const ds = makeDataset();
const task = new TinyTask({ afterStep: () => sleep(o.stepSleepMs ?? 0) });
const opts = {
  data: makeLoader(ds),
  onEvent: (e: { type: string; step?: number }) => { if (e.type === 'step') say(`STEP ${e.step}`); },
  onCheckpointPhase: (phase: string, dir: string) => {
    const step = Number(/step-(\d+)/.exec(basename(dir))?.[1] ?? -1);
    say(`PHASE ${phase} ${step}`);
    if (!o.pausePhase || o.pausePhase === phase) sleep(o.pauseMs ?? 0);
  },
};
const r = o.resume
  ? await resume(o.runDir, task, opts)
  : await train(task, o.config, { ...opts, runDir: o.runDir });
say(`DONE ${r.status} ${r.step} ${weightsHash(task)}`);
process.exitCode = r.exitCode;

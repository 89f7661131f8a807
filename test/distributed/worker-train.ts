/**
 * @module A training worker for train.test.ts, driven by DP_OPTS (JSON):
 * { runDir, batchSize, config, resume? (a checkpoint directory), parallel? (DataParallelOptions),
 * nanAtStep? (a NaN loss at that step, on this process only) }. With
 * WORLD_SIZE set it joins the process group first, so the Trainer trains
 * data-parallel. It prints one JSON line: rank, status, steps, the dataset
 * indices of every batch it saw, the final weights as arrays, and (rank 0)
 * the start event's data-parallel settings.
 */
import * as dist from '../../src/core/distributed.js';
import * as torch from '../../src/core/torch.js';
import { resume, train, type TrainEvent } from '../../src/train/index.js';
import type { DataParallelOptions } from '../../src/train/distributed.js';
import { makeDataset, makeLoader, TinyTask } from '../train/fixtures.js';

interface Opts { runDir: string; batchSize: number; config: Record<string, unknown>; resume?: string; dropout?: number; jitter?: boolean; parallel?: DataParallelOptions; nanAtStep?: number }
const o = JSON.parse(process.env['DP_OPTS'] ?? '{}') as Opts;
const grouped = process.env['WORLD_SIZE'] !== undefined;
if (grouped) await dist.initProcessGroup();
const task = new TinyTask({ dropout: o.dropout ?? 0, jitter: o.jitter ?? false, ...(o.nanAtStep !== undefined ? { nanAtStep: o.nanAtStep } : {}) });
let started: unknown = undefined;
const onEvent = (e: TrainEvent): void => { if (e.type === 'start') started = e.parallel; };
const opts = { data: makeLoader(makeDataset(), o.batchSize), handleSignals: false, onEvent, ...(o.parallel ? { parallel: o.parallel } : {}) };
const r = o.resume
  ? await resume(o.runDir, task, { ...opts, checkpoint: o.resume })
  : await train(task, o.config, { ...opts, runDir: o.runDir });
const weights = Object.fromEntries([...task.model.stateDict()].map(([k, t]) => [k, Array.from(t.data() as Float32Array)]));
// libtorch's generator after training (a draw of the rank's current stream) and the task stream's jitters
const after = Array.from(torch.rand([4]).data() as Float32Array);
process.stdout.write(JSON.stringify({ rank: grouped ? dist.getRank() : 0, parallel: started, status: r.status, step: r.step, epochsRun: r.epochsRun, skipped: r.skippedSteps, seen: task.seen, jitters: task.jitters, after, weights, ema: Array.from(task.ema!.data() as Float32Array) }) + '\n');
if (grouped) dist.destroyProcessGroup();

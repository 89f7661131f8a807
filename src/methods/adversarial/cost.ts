/** @module Cost accounting of an adversarial run: passes and wall time of a run, the pre-training behind it, and the measured ratio against a from-scratch run. No native code. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';

/** Example passes (batch size x batched passes) and seconds of one run, cumulative over resumes. */
export interface RunCost {
  /** Training: attack steps plus the training forward/backward. */
  trainForwardPasses: number;
  trainBackwardPasses: number;
  /** The held-out robust-accuracy monitor. */
  monitorForwardPasses: number;
  monitorBackwardPasses: number;
  /** Wall time of the engine run(s), monitor included, and the monitor's share. */
  wallSec: number;
  monitorSec: number;
}

/** What the weights' own training cost (from its sidecar), when it records steps and batch size. */
export interface PretrainCost { steps: number; batchSize: number; examplePasses: number; elapsedSec: number | null }

/** The measured ratio of a from-scratch run's cost to this run's. */
export interface CostRatio {
  against: string;
  /** scratch (forward + backward training passes) / this run's. */
  passes: number;
  /** scratch (wall - monitor seconds) / this run's. */
  trainWall: number;
  /** As `passes`, with the pre-training passes added to this run's (null when the sidecar does not say). */
  passesWithPretrain: number | null;
}

/** Training passes of a cost, forward plus backward. */
export const trainPasses = (c: RunCost): number => c.trainForwardPasses + c.trainBackwardPasses;

/** The pre-training cost a sidecar records (one forward and one backward pass per example and step), or null. */
export function pretrainCost(training: Record<string, unknown> | undefined, elapsedSec: number | null): PretrainCost | null {
  const steps = Number(training?.['steps']);
  const bs = Number(training?.['batchSize']);
  if (!(steps > 0 && bs > 0)) return null;
  return { steps, batchSize: bs, examplePasses: 2 * steps * bs, elapsedSec };
}

/** Reads the cost and init of a run directory written by `adaptune adversarial` (ConfigError naming --compare-to when it is not one). */
export function readRunCost(dir: string): { cost: RunCost; init: string; status: string } {
  const f = join(dir, 'summary.json');
  if (!existsSync(f)) throw new ConfigError(`--compare-to ${dir}: no summary.json there (not a finished run of adaptune adversarial)`);
  const s = JSON.parse(readFileSync(f, 'utf8')) as { cost?: RunCost; init?: string; status?: string };
  if (!s.cost || typeof s.cost.trainForwardPasses !== 'number') throw new ConfigError(`--compare-to ${dir}: its summary.json has no cost record (not a run of adaptune adversarial)`);
  return { cost: s.cost, init: s.init ?? 'unknown', status: s.status ?? 'unknown' };
}

/** The measured cost ratio of `scratch` against `run` (and with the pre-training added, when known). */
export function costRatio(against: string, scratch: RunCost, run: RunCost, pretrain: PretrainCost | null): CostRatio {
  const mine = trainPasses(run);
  return {
    against,
    passes: trainPasses(scratch) / mine,
    trainWall: (scratch.wallSec - scratch.monitorSec) / Math.max(1e-9, run.wallSec - run.monitorSec),
    passesWithPretrain: pretrain ? trainPasses(scratch) / (mine + pretrain.examplePasses) : null,
  };
}

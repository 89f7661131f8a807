/**
 * @module The layer-wise training schedule of the unrolled networks [R]: for each added layer t, inner (layer t alone,
 * lr) then outer (layers 1..t, lrFine), then end-to-end (lrFine); or end-to-end only with the same total number of
 * steps (ablation). Fresh slots every step from the simulator (on-the-fly data, spec 6(e)).
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { Adam } from '../../core/optim/index.js';
import type { TrainSchedule } from './config.js';
import { disposeSlots, type Simulator, type Slots } from './simulate.js';

/** An unrolled network the schedule can train. */
export interface Trainable {
  readonly layers: number;
  /** Learnable tensors of layer t (0-based). */
  layerParams(t: number): Tensor[];
  /** The training loss (linear NMSE against the target) after the first `depth` layers. */
  loss(s: Slots, depth: number): Tensor;
}

/** One logged stage: which layers trained, steps run, loss at its first and last step (mean of up to 5 steps); the final stage also its validation curve and the step kept. */
export interface StageLog {
  stage: 'inner' | 'outer' | 'final'; layer: number; steps: number; lossStart: number; lossEnd: number;
  val?: { step: number; nmseDb: number }[]; bestStep?: number; bestValDb?: number; stoppedEarly?: boolean;
}

/** Held-out slots for early stopping of the final stage. */
export interface Validation { batches: Slots[] }

/** Validation NMSE (dB) of the full-depth model: sum of per-batch linear NMSE over batches, averaged. */
function validate(model: Trainable, v: Validation): number {
  const l = torch.noGrad(() => v.batches.reduce((acc, s) => acc + torch.tidy(() => model.loss(s, model.layers).item() as number), 0));
  return 10 * Math.log10(l / v.batches.length);
}

/** Early stopping of a stage: validate every `every` steps, stop after `patience` checks without improvement, restore the best. */
interface Stopper { v: Validation; every: number; patience: number; curve: { step: number; nmseDb: number }[]; best: number; bestStep: number; snapshot: Tensor[] | null; stopped: boolean }

/** Runs up to `steps` Adam steps on params with the loss at `depth` (fewer when the stopper stops it); returns the first and last mean losses and the steps run. */
function runStage(model: Trainable, sim: Simulator, params: Tensor[], depth: number, steps: number, lr: number, batch: number, stop?: Stopper): [number, number, number] {
  const opt = new Adam(params, { lr });
  const losses: number[] = [];
  const check = (i: number): boolean => {
    const db = validate(model, stop!.v);
    stop!.curve.push({ step: i, nmseDb: db });
    if (db < stop!.best) {
      stop!.best = db; stop!.bestStep = i;
      torch.dispose(stop!.snapshot ?? []);
      stop!.snapshot = params.map((p) => torch.keep(p.detach().clone()));
    }
    return stop!.curve.length - 1 - stop!.curve.findIndex((c) => c.step === stop!.bestStep) >= stop!.patience;
  };
  if (stop) check(0);
  let i = 0;
  for (; i < steps; i++) {
    const s = sim.sample(batch);
    try {
      torch.tidy(() => {
        opt.zeroGrad();
        const l = model.loss(s, depth);
        l.backward();
        losses.push(l.item() as number);
      });
      opt.step();
    } finally {
      disposeSlots(s, sim.phi !== null);
    }
    if (stop && ((i + 1) % stop.every === 0 || i + 1 === steps) && check(i + 1)) { stop.stopped = i + 1 < steps; i++; break; }
  }
  opt.dispose();
  if (stop?.snapshot) {
    torch.noGrad(() => params.forEach((p, k) => p.copy_(stop.snapshot![k]!)));
    torch.dispose(stop.snapshot);
    stop.snapshot = null;
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return [mean(losses.slice(0, 5)), mean(losses.slice(-5)), i];
}

/**
 * Trains the model under the schedule; returns the stage log. With `val`, the final (full-depth) stage is early-stopped
 * on it (checks every sched.evalEvery steps, patience sched.patience checks) and the best-validating parameters are kept.
 */
export function trainUnrolled(model: Trainable, sim: Simulator, sched: TrainSchedule, log: (s: string) => void = () => {}, val?: Validation): StageLog[] {
  const out: StageLog[] = [];
  const all = (upTo: number): Tensor[] => Array.from({ length: upTo }, (_, t) => model.layerParams(t)).flat();
  const stage = (name: StageLog['stage'], layer: number, params: Tensor[], depth: number, steps: number, lr: number): void => {
    if (steps === 0 || params.length === 0) return;
    const stop: Stopper | undefined = name === 'final' && val ? { v: val, every: sched.evalEvery, patience: sched.patience, curve: [], best: Infinity, bestStep: 0, snapshot: null, stopped: false } : undefined;
    const [lossStart, lossEnd, ran] = runStage(model, sim, params, depth, steps, lr, sched.batch, stop);
    const rec: StageLog = { stage: name, layer, steps: ran, lossStart, lossEnd };
    if (stop) Object.assign(rec, { val: stop.curve, bestStep: stop.bestStep, bestValDb: stop.best, stoppedEarly: stop.stopped });
    out.push(rec);
    log(`  ${name} layer ${layer}: ${ran} steps, NMSE ${(10 * Math.log10(lossStart)).toFixed(2)} -> ${(10 * Math.log10(lossEnd)).toFixed(2)} dB${stop ? `; validation best ${stop.best.toFixed(2)} dB at step ${stop.bestStep}${stop.stopped ? ' (stopped early)' : ''}` : ''}`);
  };
  const T = model.layers;
  if (sched.schedule === 'layerwise') {
    for (let t = 0; t < T; t++) {
      stage('inner', t + 1, model.layerParams(t), t + 1, sched.innerSteps, sched.lr);
      if (t > 0) stage('outer', t + 1, all(t + 1), t + 1, sched.outerSteps, sched.lrFine);
    }
    stage('final', T, all(T), T, sched.finalSteps, sched.lrFine);
  } else {
    stage('final', T, all(T), T, T * sched.innerSteps + (T - 1) * sched.outerSteps + sched.finalSteps, sched.lr);
  }
  return out;
}

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

/** One logged stage: which layers trained, steps, loss at its first and last step (mean of up to 5 steps). */
export interface StageLog { stage: 'inner' | 'outer' | 'final'; layer: number; steps: number; lossStart: number; lossEnd: number }

/** Runs `steps` Adam steps on params with the loss at `depth`. */
function runStage(model: Trainable, sim: Simulator, params: Tensor[], depth: number, steps: number, lr: number, batch: number): [number, number] {
  const opt = new Adam(params, { lr });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
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
  }
  opt.dispose();
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return [mean(losses.slice(0, 5)), mean(losses.slice(-5))];
}

/** Trains the model under the schedule; returns the stage log. */
export function trainUnrolled(model: Trainable, sim: Simulator, sched: TrainSchedule, log: (s: string) => void = () => {}): StageLog[] {
  const out: StageLog[] = [];
  const all = (upTo: number): Tensor[] => Array.from({ length: upTo }, (_, t) => model.layerParams(t)).flat();
  const stage = (name: StageLog['stage'], layer: number, params: Tensor[], depth: number, steps: number, lr: number): void => {
    if (steps === 0 || params.length === 0) return;
    const [lossStart, lossEnd] = runStage(model, sim, params, depth, steps, lr, sched.batch);
    out.push({ stage: name, layer, steps, lossStart, lossEnd });
    log(`  ${name} layer ${layer}: ${steps} steps, NMSE ${(10 * Math.log10(lossStart)).toFixed(2)} -> ${(10 * Math.log10(lossEnd)).toFixed(2)} dB`);
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

/**
 * @module AMP against its state evolution: per-iteration NMSE of MMV-AMP on simulated slots next to the SE prediction,
 * for one scenario or a grid of (L, SNR) points; records and an SVG per grid.
 */
import * as torch from '../../core/torch.js';
import { mmvAmp, type OnsagerKind } from './amp.js';
import { fro2 } from './complex.js';
import type { ScenarioConfig } from './config.js';
import { linePlot } from './plot.js';
import { finiteStateEvolution, stateEvolution } from './se.js';
import { disposeSlots, Simulator } from './simulate.js';

/** Options of ampVsSe. */
export interface AmpVsSeOptions {
  iterations: number;
  damping: number;
  onsager: OnsagerKind;
  slots: number;
  batch: number;
  /** Pilot and slot seed (the pilot matrix is drawn from it, fixed over the slots). */
  seed: number;
  seSamples: number;
  /** AMP on unit-norm pilot columns (mmvAmp's columnNorm; default true); the finite-N SE's prior follows it. */
  columnNorm?: boolean;
}

/** One scenario's AMP and SE trajectories (dB), their gaps and the detection error of AMP's posterior rule. */
export interface AmpVsSe {
  pilotLength: number;
  snrDb: number;
  ampDb: number[];
  /** The large-system SE (activity lambda, unit columns) per iteration. */
  seDb: number[];
  /** The finite-N SE (se.ts finiteStateEvolution: averaged over the Binomial number of active devices, column norms with columnNorm). */
  seFiniteDb: number[];
  seFiniteFinalDb: number;
  /** AMP's final NMSE minus the finite-N SE's. */
  finiteGapDb: number;
  /** The finite-N SE pooled over the simulated slots' own numbers of active devices (no sampling noise of K), and AMP minus it. */
  seSlotsFinalDb: number;
  slotsGapDb: number;
  iterations: number;
  slots: number;
  /** AMP's and SE's final NMSE (mean over the last tenth of the iterations, at least 1) and their difference; the largest |gap| over iterations. */
  ampFinalDb: number;
  seFinalDb: number;
  finalGapDb: number;
  maxGapDb: number;
  pe: number;
}

/** Runs AMP (oracle prior) on `slots` slots of the scenario and the SE of the same scenario. */
export function ampVsSe(sc: ScenarioConfig, o: AmpVsSeOptions): AmpVsSe {
  const sim = new Simulator(sc, 7 * o.seed + 2_000_003, o.seed);
  const err = new Array<number>(o.iterations).fill(0);
  let energy = 0, wrong = 0, devices = 0;
  const counts: number[] = [];
  try {
    for (let done = 0; done < o.slots; done += o.batch) {
      const s = sim.sample(Math.min(o.batch, o.slots - done));
      try {
        torch.noGrad(() => torch.tidy(() => {
          const r = mmvAmp(s.y, s.phi, s.beta, { iterations: o.iterations, damping: o.damping, lambda: sc.activity, em: false, onsager: o.onsager, columnNorm: o.columnNorm ?? true, truth: s.x });
          r.errTrace!.forEach((e, t) => { err[t]! += e; });
          energy += fro2(s.x).sum().item() as number;
          wrong += r.pi.ge(0.5).float().sub(s.active).abs().sum().item() as number;
          devices += s.active.numel();
          counts.push(...(s.active.sum([1]).toArray() as number[]).map((v) => Math.round(v)));
        }));
      } finally {
        disposeSlots(s, true);
      }
    }
  } finally {
    sim.dispose();
  }
  const ampDb = err.map((e) => 10 * Math.log10(e / energy));
  const seDb = stateEvolution(sc, { iterations: o.iterations, samples: o.seSamples, seed: o.seed + 99 }).nmseDb;
  const gaps = ampDb.map((a, t) => a - seDb[t]!);
  const k = Math.max(1, Math.floor(o.iterations / 10));
  const tail = (xs: number[]): number => xs.slice(-k).reduce((a, b) => a + b, 0) / k;
  const fin = finiteStateEvolution(sc, { iterations: o.iterations, samples: Math.min(o.seSamples, 50000), seed: o.seed + 199, columnNorm: o.columnNorm ?? true, slotCounts: counts });
  const seFiniteDb = fin.nmseDb;
  const ampFinalDb = tail(ampDb), seFinalDb = tail(seDb), seFiniteFinalDb = tail(seFiniteDb), seSlotsFinalDb = tail(fin.slotsNmseDb!);
  return {
    pilotLength: sc.pilotLength, snrDb: sc.snrDb, ampDb, seDb, seFiniteDb, ampFinalDb, seFinalDb, seFiniteFinalDb, finalGapDb: ampFinalDb - seFinalDb,
    finiteGapDb: ampFinalDb - seFiniteFinalDb, seSlotsFinalDb, slotsGapDb: ampFinalDb - seSlotsFinalDb, maxGapDb: Math.max(...gaps.map(Math.abs)), pe: wrong / devices, iterations: o.iterations, slots: o.slots,
  };
}

/** An SVG of the final NMSE of AMP and SE against the SNR, one pair of lines per pilot length. */
export function seGridPlot(rows: AmpVsSe[], title: string): string {
  const snrs = [...new Set(rows.map((r) => r.snrDb))].sort((a, b) => a - b);
  const ls = [...new Set(rows.map((r) => r.pilotLength))].sort((a, b) => a - b);
  const series = ls.flatMap((l) => {
    const at = (f: (r: AmpVsSe) => number): number[] => snrs.map((s) => { const r = rows.find((q) => q.pilotLength === l && q.snrDb === s); return r ? f(r) : NaN; });
    return [
      { name: `AMP L=${l}`, y: at((r) => r.ampFinalDb), spread: snrs.map(() => 0) },
      { name: `SE L=${l}`, y: at((r) => r.seFinalDb), spread: snrs.map(() => 0) },
      { name: `finite-N SE L=${l}`, y: at((r) => r.seFiniteFinalDb), spread: snrs.map(() => 0) },
    ];
  });
  return linePlot(title, 'SNR (dB)', 'NMSE (dB)', snrs, series);
}

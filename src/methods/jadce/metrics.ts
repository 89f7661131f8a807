/** @module JADCE metrics: NMSE (dB), missed-detection and false-alarm probabilities, detection error rate; accumulated over batches. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { abs2 } from './complex.js';

/** Counts accumulated over slots. */
export interface Tally {
  slots: number;
  devices: number;
  /** sum ||X_hat - X||_F^2 and sum ||X||_F^2. */
  errEnergy: number;
  energy: number;
  active: number;
  missed: number;
  falseAlarms: number;
}

/** The metrics of a tally. */
export interface JadceMetrics {
  /** 10 log10(sum ||X_hat - X||^2 / sum ||X||^2). */
  nmseDb: number;
  /** missed active / active. */
  pMd: number;
  /** false alarms / inactive. */
  pFa: number;
  /** (#MD + #FA) / (N slots): the detection error rate reported here. */
  pe: number;
  /** (P_MD + P_FA) / 2 (the other common definition). */
  peAvg: number;
}

export function emptyTally(): Tally { return { slots: 0, devices: 0, errEnergy: 0, energy: 0, active: 0, missed: 0, falseAlarms: 0 }; }

/** Adds a batch: estimate xHat and truth x [B, N, M], detected and true activity [B, N] (0/1). */
export function addBatch(t: Tally, xHat: Tensor, x: Tensor, detected: Tensor, active: Tensor): Tally {
  const r = torch.tidy(() => ({
    err: abs2(xHat.sub(x)).sum().item() as number,
    en: abs2(x).sum().item() as number,
    act: active.sum().item() as number,
    md: active.mul(detected.neg().add(1)).sum().item() as number,
    fa: detected.mul(active.neg().add(1)).sum().item() as number,
  }));
  const [b, n] = active.shape as [number, number];
  return {
    slots: t.slots + b, devices: t.devices + b * n, errEnergy: t.errEnergy + r.err, energy: t.energy + r.en,
    active: t.active + r.act, missed: t.missed + r.md, falseAlarms: t.falseAlarms + r.fa,
  };
}

/** NMSE dB, P_MD, P_FA, P_e from a tally (P_MD = 0 when no device was active, P_FA = 0 when all were). */
export function metricsOf(t: Tally): JadceMetrics {
  const inactive = t.devices - t.active;
  const pMd = t.active > 0 ? t.missed / t.active : 0;
  const pFa = inactive > 0 ? t.falseAlarms / inactive : 0;
  return {
    nmseDb: 10 * Math.log10(t.errEnergy / t.energy), pMd, pFa,
    pe: t.devices > 0 ? (t.missed + t.falseAlarms) / t.devices : 0, peAvg: (pMd + pFa) / 2,
  };
}

/** P_FA levels of the threshold sweep (log-spaced, 1e-4 to 0.3). */
export const ROC_PFA = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3];

/** Soft detection scores (higher = more likely active) split by the truth, accumulated over batches. */
export interface ScoreBag { active: number[]; inactive: number[] }

/** Adds a batch's scores [B, N] and true activity [B, N]. */
export function addScores(bag: ScoreBag, score: Tensor, active: Tensor): void {
  const s = score.flatten().toArray() as number[];
  const a = active.flatten().toArray() as number[];
  for (let i = 0; i < s.length; i++) (a[i]! > 0.5 ? bag.active : bag.inactive).push(s[i]!);
}

/** The threshold sweep: for each P_FA level the threshold that reaches it on the inactive scores, and P_MD there. */
export function rocOf(bag: ScoreBag, levels: number[] = ROC_PFA): { pFa: number[]; pMd: number[] } {
  const neg = Float64Array.from(bag.inactive).sort().reverse();
  const pos = Float64Array.from(bag.active).sort();
  const pFa: number[] = [], pMd: number[] = [];
  for (const p of levels) {
    const k = Math.floor(p * neg.length);
    if (neg.length === 0 || k >= neg.length) continue;
    const thr = neg[k]!; // declare active iff score > thr: at most k false alarms
    let lo = 0, hi = pos.length; // count of active scores <= thr
    while (lo < hi) { const mid = (lo + hi) >> 1; if (pos[mid]! <= thr) lo = mid + 1; else hi = mid; }
    let fa = k;
    while (fa > 0 && neg[fa - 1] === thr) fa--;
    pFa.push(fa / neg.length);
    pMd.push(pos.length ? lo / pos.length : 0);
  }
  return { pFa, pMd };
}

/** @module The method table: the baselines (MMV-AMP, EM-MMV-AMP, group-ISTA, FISTA), LISTA-GS and the network with its ablations; each maps a batch of slots to (X_hat, detected support), with its multiply-add count. */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { mmvAmp, reestimate } from './amp.js';
import type { JadceConfig, NetConfig, TrainSchedule } from './config.js';
import { defaultKappa, detectRows, groupIsta } from './ista.js';
import type { ListaGS } from './lista.js';
import type { FaatNet } from './network.js';
import { lift } from './reduce.js';
import { rowEnergy } from './complex.js';
import type { Slots } from './simulate.js';

export const BASELINE_METHODS = ['amp', 'em-amp', 'ista', 'fista'] as const;
export const NET_METHODS = ['net', 'net-nodr', 'net-noem', 'net-e2e'] as const;
export const LEARNED_METHODS = ['lista', ...NET_METHODS] as const;
export const ALL_METHODS = [...BASELINE_METHODS, ...LEARNED_METHODS] as const;
export type MethodName = (typeof ALL_METHODS)[number];
export type NetMethod = (typeof NET_METHODS)[number];

/** The network and schedule of a network variant: 'net' (as configured), 'net-nodr' (no reduction), 'net-noem' (no EM sweeps), 'net-e2e' (end-to-end training only). */
export function netVariant(name: NetMethod, cfg: JadceConfig): { net: NetConfig; train: TrainSchedule } {
  const net = { ...cfg.net };
  const train = { ...cfg.train };
  if (name === 'net-nodr') net.dimReduction = 'none';
  if (name === 'net-noem') net.emSweeps = 0;
  if (name === 'net-e2e') train.schedule = 'end-to-end';
  return { net, train };
}

/** Trained models by method name. */
export interface Models { lista?: ListaGS; nets: Partial<Record<NetMethod, FaatNet>> }

/**
 * One method's output on a batch: the estimate in the antenna domain, the detected support (0/1), a soft detection
 * score [B, N] (higher = more likely active: AMP and the network the posterior log-odds, ISTA/LISTA
 * log(||x_n||^2 / (M beta_n))) for threshold sweeps, and the working rank.
 */
export interface MethodOutput { xHat: Tensor; detected: Tensor; score: Tensor; rank: number }

const energyScore = (x: Tensor, beta: Tensor): Tensor => torch.tidy(() => rowEnergy(x).squeeze(-1).div(beta.mul(x.shape[2]!)).add(1e-30).log());

/** Runs one method on a batch (no autograd). */
export function runMethod(name: MethodName, s: Slots, cfg: JadceConfig, models: Models): MethodOutput {
  const b = cfg.baselines;
  const m = cfg.scenario.antennas;
  return torch.noGrad(() => torch.tidy(() => {
    if (name === 'amp' || name === 'em-amp') {
      const r = mmvAmp(s.y, s.phi, s.beta, { iterations: b.ampIterations, damping: b.ampDamping, lambda: cfg.scenario.activity, em: name === 'em-amp', emInitActivity: b.emInitActivity, onsager: b.ampOnsager, columnNorm: b.ampColumnNorm });
      return { xHat: r.x, detected: (b.ampDetect === 'llr' ? r.piLlr : r.pi).ge(0.5).float(), score: r.logOdds, rank: m };
    }
    if (name === 'ista' || name === 'fista') {
      const kappa = defaultKappa(b.istaReg, s.noiseVar, m, cfg.scenario.devices);
      const x = groupIsta(s.y, s.phi, { iterations: b.istaIterations, kappa, fista: name === 'fista' });
      return { xHat: x, detected: detectRows(x, s.beta, b.rowThreshold), score: energyScore(x, s.beta), rank: m };
    }
    if (name === 'lista') {
      if (!models.lista) throw new Error('method lista needs a trained LISTA-GS model');
      const x = models.lista.forward(s.y, s.phi);
      return { xHat: x, detected: detectRows(x, s.beta, b.rowThreshold), score: energyScore(x, s.beta), rank: m };
    }
    const net = models.nets[name];
    if (!net) throw new Error(`method ${name} needs a trained network`);
    const o = net.forward(s);
    const detected = o.pi.ge(net.cfg.detectThreshold).float();
    const xHat = net.cfg.channel === 'network' ? lift(o.xr, o.red.v) : reestimate(s.y, s.phi, detected, s.beta, s.noiseVar, net.cfg.channel);
    return { xHat, detected, score: o.logOdds, rank: o.red.rank };
  }));
}

/**
 * Real multiply-adds per slot of a method's matrix products (a complex MAC = 4 real; elementwise work not counted):
 * AMP T 2NLD x 4 with the scalar Onsager term (T (2NLD + ND^2 + LD^2) x 4 with the matrix one), ISTA/LISTA T 2NLM x 4, the SVD of Y about 4 (L M^2 + M^3), the LMMSE re-estimate
 * 4 (L^2 N + L^3 / 3 + NLM) (rank is the working dimension D of the network).
 */
export function macsPerSlot(name: MethodName, cfg: JadceConfig, rank: number): number {
  const { devices: n, pilotLength: l, antennas: m } = cfg.scenario;
  const amp = (t: number, d: number, kind: string): number => 4 * t * (2 * n * l * d + (kind === 'matrix' ? n * d * d + l * d * d : 0));
  const lmmse = 4 * (l * l * n + (l * l * l) / 3 + n * l * m);
  if (name === 'amp' || name === 'em-amp') return amp(cfg.baselines.ampIterations, m, cfg.baselines.ampOnsager);
  if (name === 'ista' || name === 'fista') return 4 * cfg.baselines.istaIterations * 2 * n * l * m;
  if (name === 'lista') return 4 * cfg.baselines.listaLayers * 2 * n * l * m;
  const v = netVariant(name, cfg).net;
  const svd = v.dimReduction === 'none' ? 0 : 4 * (l * m * m + m * m * m + l * m * rank);
  return svd + amp(v.layers, rank, v.onsager) + (v.channel === 'network' ? 4 * n * rank * m : lmmse);
}

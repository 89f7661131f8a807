/** @module Training the learned methods, evaluating any set of methods on a seeded test set, and saving/loading trained models. */
import * as torch from '../../core/torch.js';
import { loadSafetensors, saveSafetensors } from '../../core/io/index.js';
import { reestimate } from './amp.js';
import { validateJadceConfig, type JadceConfig } from './config.js';
import { defaultKappa } from './ista.js';
import { ListaGS } from './lista.js';
import { addBatch, addScores, emptyTally, metricsOf, rocOf, type JadceMetrics, type ScoreBag, type Tally } from './metrics.js';
import { LEARNED_METHODS, macsPerSlot, NET_METHODS, netVariant, runMethod, type MethodName, type Models, type NetMethod } from './methods.js';
import { FaatNet } from './network.js';
import { disposeSlots, Simulator, type Slots } from './simulate.js';
import { trainUnrolled, type StageLog, type Validation } from './train.js';

/** The training and test streams of one seed share the pilot matrix (fixed pilots) and nothing else. */
export const trainSimulator = (cfg: JadceConfig, seed: number): Simulator => new Simulator(cfg.scenario, 7 * seed + 1, seed);
export const testSimulator = (cfg: JadceConfig, seed: number): Simulator => new Simulator(cfg.scenario, 7 * seed + 1_000_003, seed);
/** The validation stream (early stopping, lr choice): same pilots, its own slots. */
export const valSimulator = (cfg: JadceConfig, seed: number): Simulator => new Simulator(cfg.scenario, 7 * seed + 500_009, seed);

/** The validation batches of a seed (cfg.train.valSlots slots in batches of cfg.train.batch), or undefined. */
function validationSet(cfg: JadceConfig, seed: number): { v: Validation; dispose: () => void } | undefined {
  const n = cfg.train.valSlots;
  if (n === 0) return undefined;
  const sim = valSimulator(cfg, seed);
  const batches: Slots[] = [];
  for (let done = 0; done < n; done += cfg.train.batch) batches.push(sim.sample(Math.min(cfg.train.batch, n - done)));
  return { v: { batches }, dispose: () => { batches.forEach((s) => disposeSlots(s, true)); sim.dispose(); } };
}

/** ||Phi||_2^2 of i.i.d. CN(0, 1/L) L x N pilots, about (1 + sqrt(N / L))^2 (LISTA's step for resampled pilots). */
const lipGuess = (cfg: JadceConfig): number => (1 + Math.sqrt(cfg.scenario.devices / cfg.scenario.pilotLength)) ** 2;

/** One method's test row. */
export interface EvalRow extends JadceMetrics {
  method: MethodName;
  /** NMSE of the LMMSE re-estimate on the method's detected support (oracle sigma_w^2, known beta). */
  nmseReDb: number;
  /** Wall time per slot of the method (batched, no autograd), ms. */
  msPerSlot: number;
  macsPerSlot: number;
  /** Mean working dimension (rank after reduction; M for the others). */
  meanRank: number;
  /** The threshold sweep of the method's soft score: P_MD at each reached P_FA level (metrics.ROC_PFA). */
  roc: { pFa: number[]; pMd: number[] };
}

/** What trainModels returns: the models, each one's stage log and training seconds. */
export interface Trained { models: Models; logs: Partial<Record<MethodName, StageLog[]>>; trainSec: Partial<Record<MethodName, number>> }

/** Trains the learned methods among `methods` on fresh slots of seed `seed`. */
export function trainModels(cfg: JadceConfig, methods: readonly MethodName[], seed: number, log: (s: string) => void = () => {}): Trained {
  const out: Trained = { models: { nets: {} }, logs: {}, trainSec: {} };
  for (const name of methods.filter((m) => (LEARNED_METHODS as readonly string[]).includes(m))) {
    torch.manualSeed(seed);
    const sim = trainSimulator(cfg, seed);
    const val = validationSet(cfg, seed);
    const t0 = performance.now();
    try {
      log(`train ${name} (L=${cfg.scenario.pilotLength}, SNR ${cfg.scenario.snrDb} dB, seed ${seed})`);
      if (name === 'lista') {
        const b = cfg.baselines;
        const kappa = defaultKappa(b.istaReg, sim.noiseVar, cfg.scenario.antennas, cfg.scenario.devices);
        const model = new ListaGS(b.listaLayers, b.listaWeights, sim.phi, kappa, lipGuess(cfg));
        out.logs.lista = trainUnrolled(model, sim, cfg.train, log, val?.v);
        out.models.lista = model;
      } else {
        const v = netVariant(name as NetMethod, cfg);
        const net = new FaatNet(v.net, cfg.baselines.ampDamping);
        const batches = Array.from({ length: 4 }, () => sim.sample(cfg.train.batch));
        net.fitPrior(batches);
        batches.forEach((s) => disposeSlots(s, sim.phi !== null));
        out.logs[name] = trainUnrolled(net, sim, v.train, log, val?.v);
        out.models.nets[name as NetMethod] = net;
      }
    } finally {
      sim.dispose();
      val?.dispose();
    }
    out.trainSec[name] = (performance.now() - t0) / 1000;
  }
  return out;
}

/** Evaluates methods on `slots` test slots of seed `seed` (batches of `batch`); `test` replaces the seed's test stream (e.g. a mismatched scenario with the same pilots; the caller disposes it). The methods assume cfg (prior, SNR). */
export function evaluateMethods(cfg: JadceConfig, methods: readonly MethodName[], models: Models, seed: number, slots: number, batch: number, test?: Simulator): EvalRow[] {
  const sim = test ?? testSimulator(cfg, seed);
  const acc = methods.map(() => ({ own: emptyTally(), re: emptyTally() as Tally, ms: 0, rank: 0, bag: { active: [], inactive: [] } as ScoreBag }));
  try {
    for (let done = 0; done < slots; done += batch) {
      const s = sim.sample(Math.min(batch, slots - done));
      try {
        methods.forEach((name, i) => {
          const a = acc[i]!;
          const t0 = performance.now();
          const o = runMethod(name, s, cfg, models);
          a.ms += performance.now() - t0;
          const re = torch.noGrad(() => reestimate(s.y, s.phi, o.detected, s.beta, s.noiseVar, 'lmmse'));
          a.own = addBatch(a.own, o.xHat, s.x, o.detected, s.active);
          a.re = addBatch(a.re, re, s.x, o.detected, s.active);
          a.rank += o.rank * s.active.shape[0]!;
          addScores(a.bag, o.score, s.active);
          torch.dispose(o, re);
        });
      } finally {
        disposeSlots(s, sim.phi !== null);
      }
    }
  } finally {
    if (!test) sim.dispose();
  }
  return methods.map((method, i) => {
    const a = acc[i]!;
    const meanRank = a.rank / a.own.slots;
    return { method, ...metricsOf(a.own), nmseReDb: metricsOf(a.re).nmseDb, msPerSlot: a.ms / a.own.slots, macsPerSlot: macsPerSlot(method, cfg, Math.round(meanRank)), meanRank, roc: rocOf(a.bag) };
  });
}

/** Saves the trained models (model.safetensors, tensors prefixed by method) with the config, seed and prior features in the metadata. */
export function saveModels(file: string, cfg: JadceConfig, models: Models, seed: number): void {
  const tensors = new Map<string, torch.Tensor>();
  const priors: Record<string, { lambda: number; scale: number }> = {};
  if (models.lista) for (const [k, v] of models.lista.params) tensors.set(`lista.${k}`, v.detach());
  for (const [name, net] of Object.entries(models.nets)) {
    for (const [k, v] of net.params) tensors.set(`${name}.${k}`, v.detach());
    priors[name] = net.prior;
  }
  saveSafetensors(file, tensors, { config: JSON.stringify(cfg), seed: String(seed), priors: JSON.stringify(priors) });
  torch.dispose([...tensors.values()]);
}

/** Loads saveModels' file: the config, seed and models (the pilot matrix is rebuilt from the seed). */
export function loadModels(file: string): { cfg: JadceConfig; seed: number; models: Models } {
  const { tensors, metadata } = loadSafetensors(file);
  const cfg = validateJadceConfig(JSON.parse(metadata['config'] ?? '{}'));
  const seed = Number(metadata['seed'] ?? 0);
  const priors = JSON.parse(metadata['priors'] ?? '{}') as Record<string, { lambda: number; scale: number }>;
  const models: Models = { nets: {} };
  const copyInto = (prefix: string, params: Map<string, torch.Tensor>): void => {
    torch.noGrad(() => {
      for (const [k, p] of params) {
        const t = tensors.get(`${prefix}.${k}`);
        if (!t) throw new Error(`${file}: missing tensor ${prefix}.${k}`);
        p.copy_(t);
      }
    });
  };
  if ([...tensors.keys()].some((k) => k.startsWith('lista.'))) {
    const sim = trainSimulator(cfg, seed);
    const b = cfg.baselines;
    const lista = new ListaGS(b.listaLayers, b.listaWeights, sim.phi, 1, lipGuess(cfg));
    sim.dispose();
    copyInto('lista', lista.params);
    models.lista = lista;
  }
  for (const name of NET_METHODS) {
    if (!priors[name]) continue;
    const net = new FaatNet(netVariant(name, cfg).net, cfg.baselines.ampDamping);
    copyInto(name, net.params);
    net.prior = priors[name]!;
    models.nets[name] = net;
  }
  torch.dispose([...tensors.values()]);
  return { cfg, seed, models };
}

/** Disposes trained models. */
export function disposeModels(m: Models): void {
  m.lista?.dispose();
  for (const n of Object.values(m.nets)) n.dispose();
}

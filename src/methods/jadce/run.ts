/**
 * @module The library entry points of `adaptune jadce`: typed options in, a typed report out, files written where
 * asked. The CLI (src/cli/jadce*.ts) only parses flags, calls these and prints.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { mergeConfig, planOutputRun, RunSession, settingsDiff } from '../../train/index.js';
import { atomicWriteJson } from '../../train/atomic.js';
import { validateJadceConfig, type JadceConfig, type ScenarioConfig } from './config.js';
import { disposeModels, evaluateMethods, loadModels, saveModels, trainModels, type EvalRow } from './experiment.js';
import { BASELINE_METHODS, type MethodName, type Models } from './methods.js';
import { Simulator } from './simulate.js';
import { ampVsSe, seGridPlot, type AmpVsSe, type AmpVsSeOptions } from './secheck.js';
import { runSweep, type SummaryRow, type SweepOptions } from './sweep.js';
import type { StageLog } from './train.js';

/** A partial config (sections scenario, baselines, net, train), as from a file and flags. */
export type JadceOverrides = Record<string, Record<string, unknown>>;

/** defaults < each layer in order (the engine's one deep merge, src/train/config.ts), validated (ConfigError names the field). */
export function jadceConfig(...layers: (JadceOverrides | Partial<JadceConfig> | undefined)[]): JadceConfig {
  return validateJadceConfig(mergeConfig<JadceOverrides>({}, ...layers));
}

const noLog = (): void => {};

/** Options of runJadceTrain. */
export interface JadceTrainOptions { overrides?: JadceOverrides; methods: MethodName[]; seed: number; out: string; command?: string; log?: (s: string) => void }
/** What runJadceTrain returns (also written to OUT/train.json). */
export interface JadceTrainReport { command: string; config: JadceConfig; seed: number; methods: MethodName[]; trainSec: Partial<Record<MethodName, number>>; stages: Partial<Record<MethodName, StageLog[]>>; out: string; elapsedSec: number }

/**
 * Trains the learned methods of one scenario in the run directory `out` (the shared run lifecycle, src/train/lifecycle.ts:
 * refused where a run already holds models or the folder holds other files; cli.json, config.json and log.txt), then
 * writes OUT/models.safetensors and OUT/train.json.
 */
export function runJadceTrain(o: JadceTrainOptions): JadceTrainReport {
  const t0 = Date.now();
  const cfg = jadceConfig(o.overrides);
  const plan = planOutputRun<object>('jadce train', o.out, { marker: 'models.safetensors' });
  const session = RunSession.open(plan, { methods: o.methods, seed: o.seed }, o.command !== undefined ? { command: o.command } : {});
  session.saveConfig(cfg);
  const log = (s: string): void => { session.log(s); o.log?.(s); };
  const tr = trainModels(cfg, o.methods, o.seed, log);
  try {
    saveModels(join(session.dir, 'models.safetensors'), cfg, tr.models, o.seed);
    const rep: JadceTrainReport = { command: o.command ?? '', config: cfg, seed: o.seed, methods: o.methods, trainSec: tr.trainSec, stages: tr.logs, out: session.dir, elapsedSec: (Date.now() - t0) / 1000 };
    atomicWriteJson(join(session.dir, 'train.json'), rep);
    log(`trained ${o.methods.join(', ')} in ${rep.elapsedSec.toFixed(1)} s`);
    return rep;
  } finally {
    disposeModels(tr.models);
  }
}

/** Options of runJadceEval: the baselines, plus the models of `from` (a runJadceTrain directory, whose config is the base). */
export interface JadceEvalOptions {
  overrides?: JadceOverrides;
  from?: string;
  methods?: MethodName[];
  seed: number;
  slots: number;
  batch: number;
  /** Test slots from this scenario instead (same N and L: same pilots); the methods keep assuming the configured one. */
  testScenario?: Partial<ScenarioConfig>;
  out?: string;
  command?: string;
}
/** What runJadceEval returns (also OUT/eval.json when out is given). */
export interface JadceEvalReport { command: string; config: JadceConfig; testScenario: ScenarioConfig; seed: number; slots: number; rows: EvalRow[]; elapsedSec: number }

/** Evaluates methods on seeded test slots. */
export function runJadceEval(o: JadceEvalOptions): JadceEvalReport {
  const t0 = Date.now();
  let models: Models = { nets: {} };
  let cfg: JadceConfig;
  let seed = o.seed;
  let trained: MethodName[] = [];
  if (o.from) {
    const loaded = loadModels(join(resolve(o.from), 'models.safetensors'));
    models = loaded.models;
    seed = loaded.seed;
    cfg = jadceConfig(loaded.cfg, o.overrides);
    trained = [...(models.lista ? ['lista' as const] : []), ...(Object.keys(models.nets) as MethodName[])];
  } else {
    cfg = jadceConfig(o.overrides);
  }
  let sim: Simulator | undefined;
  try {
    const methods = o.methods ?? [...BASELINE_METHODS, ...trained];
    const missing = methods.filter((m) => !(BASELINE_METHODS as readonly string[]).includes(m) && !trained.includes(m));
    if (missing.length) throw new ConfigError(`methods ${missing.join(', ')} need trained models: pass the directory of a 'jadce train' run that trained them`);
    const testScenario = jadceConfig(cfg, { scenario: { ...o.testScenario } }).scenario;
    if (testScenario.devices !== cfg.scenario.devices || testScenario.pilotLength !== cfg.scenario.pilotLength) {
      throw new ConfigError(`test scenario must keep scenario.devices and scenario.pilotLength (${cfg.scenario.devices}, ${cfg.scenario.pilotLength}): the pilots are shared`);
    }
    if (o.testScenario) sim = new Simulator(testScenario, 7 * seed + 1_000_003, seed);
    const rows = evaluateMethods(cfg, methods, models, seed, o.slots, o.batch, sim);
    const rep: JadceEvalReport = { command: o.command ?? '', config: cfg, testScenario, seed, slots: o.slots, rows, elapsedSec: (Date.now() - t0) / 1000 };
    if (o.out) { mkdirSync(resolve(o.out), { recursive: true }); writeFileSync(join(resolve(o.out), 'eval.json'), JSON.stringify(rep, null, 1) + '\n'); }
    return rep;
  } finally {
    sim?.dispose();
    disposeModels(models);
  }
}

/** What runJadceSweep returns. */
export interface JadceSweepReport { command: string; out: string; rows: SummaryRow[]; elapsedSec: number }

/**
 * The resumable L / SNR sweep (sweep.ts) with the layered config, in the run directory `o.out` (the shared run
 * lifecycle): a directory holding points.jsonl is continued (its finished points are skipped); one whose recorded
 * config or slots differ from these is refused, naming each difference.
 */
export function runJadceSweep(overrides: JadceOverrides | undefined, o: SweepOptions, command = '', log: (s: string) => void = noLog): JadceSweepReport {
  const t0 = Date.now();
  const cfg = jadceConfig(overrides);
  const plan = planOutputRun<{ slots?: number; batch?: number; seSamples?: number }>('jadce sweep', o.out, { marker: 'points.jsonl', continues: true });
  if (plan.saved && Object.keys(plan.saved.config).length) {
    const diffs = settingsDiff({ config: plan.saved.config, slots: plan.saved.args.slots }, { config: cfg, slots: o.slots }, ['config.scenario.pilotLength', 'config.scenario.snrDb']);
    if (diffs.length) throw new ConfigError(`--out ${o.out}: the sweep there was run with other settings, and these differ: ${diffs.join('; ')} (its points would mix with new ones; choose another --out)`);
  }
  const session = RunSession.open(plan, { slots: o.slots, batch: o.batch, seSamples: o.seSamples ?? 0 }, command ? { command } : {});
  if (!plan.saved || !Object.keys(plan.saved.config).length) session.saveConfig(cfg);
  const rows = runSweep(cfg, { ...o, out: session.dir }, (s) => { session.log(s); log(s); });
  return { command, out: session.dir, rows, elapsedSec: (Date.now() - t0) / 1000 };
}

/** Options of runJadceSe: AMP against its state evolution over a grid of pilot lengths and SNRs. */
export interface JadceSeOptions extends AmpVsSeOptions { overrides?: JadceOverrides; pilotLengths: number[]; snrs: number[]; out?: string; command?: string; log?: (s: string) => void }
/** What runJadceSe returns (OUT/se.json, OUT/se-vs-amp.svg with out). */
export interface JadceSeReport { command: string; scenario: ScenarioConfig; options: AmpVsSeOptions; rows: AmpVsSe[]; maxFinalGapDb: number; maxFiniteGapDb: number; elapsedSec: number }

/** AMP (the configured Onsager form, damping and iterations unless overridden in o) against SE at every (L, SNR). */
export function runJadceSe(o: JadceSeOptions): JadceSeReport {
  const t0 = Date.now();
  const cfg = jadceConfig(o.overrides);
  const rows: AmpVsSe[] = [];
  for (const l of o.pilotLengths) {
    for (const snr of o.snrs) {
      const sc = jadceConfig(cfg, { scenario: { pilotLength: l, snrDb: snr } }).scenario;
      const r = ampVsSe(sc, { ...o, columnNorm: o.columnNorm ?? cfg.baselines.ampColumnNorm });
      rows.push(r);
      o.log?.(`L=${l} SNR=${snr} dB: AMP ${r.ampFinalDb.toFixed(2)} dB, finite-N SE ${r.seFiniteFinalDb.toFixed(2)} dB (gap ${r.finiteGapDb.toFixed(2)}), at the slots' K ${r.seSlotsFinalDb.toFixed(2)} dB (gap ${r.slotsGapDb.toFixed(2)}), large-system SE ${r.seFinalDb.toFixed(2)} dB (gap ${r.finalGapDb.toFixed(2)}), P_e ${r.pe.toFixed(4)}`);
    }
  }
  const { overrides: _o, pilotLengths: _l, snrs: _s, out: _out, command: _c, log: _g, ...opts } = o;
  const rep: JadceSeReport = { command: o.command ?? '', scenario: cfg.scenario, options: opts, rows, maxFinalGapDb: Math.max(...rows.map((r) => Math.abs(r.finalGapDb))), maxFiniteGapDb: Math.max(...rows.map((r) => Math.abs(r.finiteGapDb))), elapsedSec: (Date.now() - t0) / 1000 };
  if (o.out) {
    const out = resolve(o.out);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'se.json'), JSON.stringify(rep) + '\n');
    writeFileSync(join(out, 'se-vs-amp.svg'), seGridPlot(rows, `AMP (${o.onsager} Onsager, damping ${o.damping}, ${o.iterations} it.${(o.columnNorm ?? cfg.baselines.ampColumnNorm) ? ', unit columns' : ''}) vs SE, N=${cfg.scenario.devices} M=${cfg.scenario.antennas}`));
  }
  return rep;
}

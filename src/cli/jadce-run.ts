/** @module `adaptune jadce` runner: config layering (defaults < --config < flags), train, eval and sweep. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import {
  BASELINE_METHODS, disposeModels, evaluateMethods, loadModels, runSweep, saveModels, trainModels, validateJadceConfig,
  type EvalRow, type JadceConfig, type MethodName, type Models,
} from '../methods/jadce/index.js';
import { loadConfigFile } from '../train/index.js';
import { applyThreads, commandLine } from './common.js';
import { CliError } from './flags.js';
import type { JadceArgs } from './jadce.js';

const log = (s: string): void => { process.stderr.write(s + '\n'); };

/** defaults < base (a loaded run's config) < --config file < flags, section by section, validated. */
async function layered(a: JadceArgs, base: Partial<JadceConfig> = {}): Promise<JadceConfig> {
  const file = a.configFile ? await loadConfigFile(a.configFile) : {};
  const merged: Record<string, Record<string, unknown>> = {};
  for (const layer of [base as Record<string, unknown>, file, a.config]) {
    for (const [k, v] of Object.entries(layer)) merged[k] = { ...(merged[k] ?? {}), ...(v as Record<string, unknown>) };
  }
  try { return validateJadceConfig(merged); } catch (e) { if (e instanceof ConfigError) throw new CliError(e.message); throw e; }
}

/** A fixed-width table of evaluation rows. */
function table(rows: EvalRow[]): string {
  const head = `${'method'.padEnd(10)} ${'NMSE dB'.padStart(8)} ${'LMMSE dB'.padStart(9)} ${'P_e'.padStart(8)} ${'P_MD'.padStart(7)} ${'P_FA'.padStart(8)} ${'ms/slot'.padStart(8)} ${'MMAC'.padStart(8)} ${'rank'.padStart(5)}`;
  return [head, ...rows.map((r) => `${r.method.padEnd(10)} ${r.nmseDb.toFixed(2).padStart(8)} ${r.nmseReDb.toFixed(2).padStart(9)} ${r.pe.toFixed(4).padStart(8)} ${r.pMd.toFixed(3).padStart(7)} ${r.pFa.toFixed(4).padStart(8)} ${r.msPerSlot.toFixed(2).padStart(8)} ${(r.macsPerSlot / 1e6).toFixed(2).padStart(8)} ${r.meanRank.toFixed(1).padStart(5)}`)].join('\n');
}

/** `adaptune jadce`: returns the exit status. */
export async function jadceCommand(a: JadceArgs): Promise<number> {
  applyThreads(a.threads);
  const t0 = Date.now();
  if (a.action === 'train') {
    const cfg = await layered(a);
    const methods = (a.methods ?? ['lista', 'net']) as MethodName[];
    const out = resolve(a.out!);
    if (existsSync(join(out, 'models.safetensors'))) throw new CliError(`${out} already holds trained models (models.safetensors); choose another --out`);
    mkdirSync(out, { recursive: true });
    const tr = trainModels(cfg, methods, a.seed, log);
    try {
      saveModels(join(out, 'models.safetensors'), cfg, tr.models, a.seed);
      const rep = { command: commandLine(), config: cfg, seed: a.seed, methods, trainSec: tr.trainSec, stages: tr.logs, out, elapsedSec: (Date.now() - t0) / 1000 };
      writeFileSync(join(out, 'train.json'), JSON.stringify(rep, null, 1) + '\n');
      if (a.json) process.stdout.write(JSON.stringify(rep) + '\n');
      else process.stdout.write(`trained ${methods.join(', ')} in ${rep.elapsedSec.toFixed(1)} s -> ${join(out, 'models.safetensors')}\n`);
    } finally {
      disposeModels(tr.models);
    }
    return 0;
  }
  if (a.action === 'eval') {
    let models: Models = { nets: {} };
    let cfg: JadceConfig;
    let seed = a.seed;
    let trained: MethodName[] = [];
    if (a.from) {
      const loaded = loadModels(join(resolve(a.from), 'models.safetensors'));
      models = loaded.models;
      seed = loaded.seed;
      cfg = await layered(a, loaded.cfg);
      trained = [...(models.lista ? ['lista' as const] : []), ...(Object.keys(models.nets) as MethodName[])];
    } else {
      cfg = await layered(a);
    }
    const methods = a.methods ?? [...BASELINE_METHODS, ...trained];
    const missing = methods.filter((m) => !(BASELINE_METHODS as readonly string[]).includes(m) && !trained.includes(m));
    if (missing.length) throw new CliError(`--methods ${missing.join(', ')} need trained models: pass --from DIR of an 'adaptune jadce train' run that trained them`);
    try {
      const rows = evaluateMethods(cfg, methods, models, seed, a.slots, a.batch);
      const rep = { command: commandLine(), config: cfg, seed, slots: a.slots, rows, elapsedSec: (Date.now() - t0) / 1000 };
      if (a.out) { mkdirSync(resolve(a.out), { recursive: true }); writeFileSync(join(resolve(a.out), 'eval.json'), JSON.stringify(rep, null, 1) + '\n'); }
      if (a.json) process.stdout.write(JSON.stringify(rep) + '\n');
      else process.stdout.write(`N=${cfg.scenario.devices} M=${cfg.scenario.antennas} L=${cfg.scenario.pilotLength} activity ${cfg.scenario.activity} SNR ${cfg.scenario.snrDb} dB (${cfg.scenario.snrMode}); ${a.slots} slots, seed ${seed}\n${table(rows)}\n`);
    } finally {
      disposeModels(models);
    }
    return 0;
  }
  const cfg = await layered(a);
  const o = { pilotLengths: a.pilotLengths, snrs: a.snrs, fixedSnr: a.fixedSnr, fixedPilotLength: a.fixedPilotLength, seeds: a.seeds, methods: (a.methods ?? [...BASELINE_METHODS, 'lista', 'net', 'net-nodr', 'net-noem', 'net-e2e']) as MethodName[], slots: a.slots, batch: a.batch, out: resolve(a.out!) };
  const rows = runSweep(cfg, o, log);
  const rep = { command: commandLine(), out: o.out, rows, elapsedSec: (Date.now() - t0) / 1000 };
  if (a.json) process.stdout.write(JSON.stringify(rep) + '\n');
  else process.stdout.write(`sweep: ${rows.length} rows -> ${join(o.out, 'results.md')} (${rep.elapsedSec.toFixed(0)} s)\n`);
  return 0;
}

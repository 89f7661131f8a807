/** @module `adaptune jadce` runner: reads --config, calls the library's runJadce* functions and prints their reports. */
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import {
  ALL_METHODS, runJadceEval, runJadceSe, runJadceSweep, runJadceTrain, jadceConfig, type EvalRow, type JadceOverrides, type MethodName,
} from '../methods/jadce/index.js';
import { layerConfig } from '../train/index.js';
import { applyThreads, commandLine } from './common.js';
import { CliError } from './flags.js';
import type { JadceArgs } from './jadce.js';

const log = (s: string): void => { process.stderr.write(s + '\n'); };

/** --config FILE < flags (the one layering of every command, src/train/lifecycle.ts; the library adds the defaults and validates). */
async function overrides(a: JadceArgs): Promise<JadceOverrides> {
  return (await layerConfig({ file: a.configFile, flags: a.config })) as JadceOverrides;
}

/** A fixed-width table of evaluation rows. */
function table(rows: EvalRow[]): string {
  const head = `${'method'.padEnd(10)} ${'NMSE dB'.padStart(8)} ${'LMMSE dB'.padStart(9)} ${'P_e'.padStart(8)} ${'P_MD'.padStart(7)} ${'P_FA'.padStart(8)} ${'ms/slot'.padStart(8)} ${'MMAC'.padStart(8)} ${'rank'.padStart(5)}`;
  return [head, ...rows.map((r) => `${r.method.padEnd(10)} ${r.nmseDb.toFixed(2).padStart(8)} ${r.nmseReDb.toFixed(2).padStart(9)} ${r.pe.toFixed(4).padStart(8)} ${r.pMd.toFixed(3).padStart(7)} ${r.pFa.toFixed(4).padStart(8)} ${r.msPerSlot.toFixed(2).padStart(8)} ${(r.macsPerSlot / 1e6).toFixed(2).padStart(8)} ${r.meanRank.toFixed(1).padStart(5)}`)].join('\n');
}

const print = (json: boolean, rep: unknown, text: string): void => { process.stdout.write(json ? JSON.stringify(rep) + '\n' : text + '\n'); };

/** The config the flags give (and the eval test scenario), validated without running. */
export async function checkJadce(a: JadceArgs): Promise<void> {
  const cfg = jadceConfig(await overrides(a));
  if (a.testScenario) jadceConfig(cfg, { scenario: a.testScenario });
}

/** `adaptune jadce`: returns the exit status. */
export async function jadceCommand(a: JadceArgs): Promise<number> {
  applyThreads(a.threads);
  try {
    const ov = await overrides(a);
    const command = commandLine();
    if (a.action === 'train') {
      const rep = runJadceTrain({ overrides: ov, methods: (a.methods ?? ['lista', 'net']) as MethodName[], seed: a.seed, out: a.out!, command, log });
      print(a.json, rep, `trained ${rep.methods.join(', ')} in ${rep.elapsedSec.toFixed(1)} s -> ${join(rep.out, 'models.safetensors')}`);
    } else if (a.action === 'eval') {
      const o = { overrides: ov, seed: a.seed, slots: a.slots, batch: a.batch, command, ...(a.from ? { from: a.from } : {}), ...(a.methods ? { methods: a.methods as MethodName[] } : {}), ...(a.out ? { out: a.out } : {}), ...(a.testScenario ? { testScenario: a.testScenario } : {}) };
      const rep = runJadceEval(o);
      const sc = rep.testScenario;
      print(a.json, rep, `N=${sc.devices} M=${sc.antennas} L=${sc.pilotLength} activity ${sc.activity} SNR ${sc.snrDb} dB (${sc.snrMode})${sc.pathLoss ? ' path loss' : ''}; ${a.slots} slots, seed ${rep.seed}\n${table(rep.rows)}`);
    } else if (a.action === 'sweep') {
      const methods = (a.methods ?? [...ALL_METHODS]) as MethodName[];
      const rep = runJadceSweep(ov, { pilotLengths: a.pilotLengths, snrs: a.snrs, fixedSnr: a.fixedSnr, fixedPilotLength: a.fixedPilotLength, seeds: a.seeds, methods, slots: a.slots, batch: a.batch, out: a.out!, seSamples: a.seSamples }, command, log);
      print(a.json, rep, `sweep: ${rep.rows.length} rows -> ${join(rep.out, 'results.md')} (${rep.elapsedSec.toFixed(0)} s)`);
    } else {
      const b = jadceConfig(ov).baselines;
      const rep = runJadceSe({
        overrides: ov, pilotLengths: a.pilotLengths, snrs: a.snrs, onsager: a.onsager ?? b.ampOnsager, damping: a.damping ?? b.ampDamping, iterations: a.iterations ?? b.ampIterations,
        slots: a.slots, batch: a.batch, seed: a.seed, seSamples: a.seSamples, command, log, ...(a.out ? { out: a.out } : {}),
      });
      print(a.json, rep, `AMP vs SE: largest |final gap| ${rep.maxFiniteGapDb.toFixed(2)} dB (finite-N SE), ${rep.maxFinalGapDb.toFixed(2)} dB (large-system SE) over ${rep.rows.length} points (${rep.elapsedSec.toFixed(0)} s)`);
    }
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message);
    throw e;
  }
}

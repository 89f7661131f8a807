/** @module `adaptune jadce train|eval|sweep|se`: flags (the table of src/methods/jadce/options.ts) and usage (light; the runner is src/cli/jadce-run.ts). */
import { CliError, convertFlags, defaultOf, formatHelp, readFlags } from '../core/options.js';
import { JADCE_LEARNED, JADCE_OPTIONS as T, type JadceMethodName } from '../methods/jadce/options.js';

export { JADCE_METHODS, JADCE_LEARNED, type JadceMethodName } from '../methods/jadce/options.js';

/** Parsed `adaptune jadce` arguments. `config` holds the flag layer (sections scenario/baselines/net/train). */
export interface JadceArgs {
  action: 'train' | 'eval' | 'sweep' | 'se';
  configFile: string | null;
  config: Record<string, Record<string, unknown>>;
  methods: JadceMethodName[] | null;
  out: string | null;
  from: string | null;
  seed: number;
  seeds: number[];
  slots: number;
  batch: number;
  pilotLengths: number[];
  snrs: number[];
  fixedSnr: number;
  fixedPilotLength: number;
  json: boolean;
  threads?: number;
  /** eval: test-scenario overrides (mismatch); se: the AMP options. */
  testScenario: Record<string, unknown> | null;
  onsager: 'scalar' | 'matrix' | null;
  damping: number | null;
  iterations: number | null;
  seSamples: number;
}

export const JADCE_USAGE = formatHelp(`Usage: adaptune jadce <train|eval|sweep|se> [flags]

Joint activity detection and channel estimation in grant-free massive access
(Shao et al., feature-aided adaptive-tuning deep learning; details marked [R] in
src/methods/jadce/README.md are reconstructions). Y = Phi X + W, N devices, M
antennas, pilot length L, Bernoulli activity, Rayleigh channels.

  train   train learned methods (LISTA-GS, the network and its ablations) for one
          scenario; writes OUT/models.safetensors (+ config, seed) and OUT/train.json
  eval    evaluate methods on seeded test slots: the baselines, plus the models of
          --from DIR; prints NMSE (dB), P_e, P_MD, P_FA, ms/slot, multiply-adds/slot
  sweep   NMSE and P_e against L (at --fixed-snr) and against SNR (at
          --fixed-pilot-length) for --seeds; trains the learned methods at every
          point; resumable (OUT/points.jsonl); writes results.md, summary.json, SVGs
          (NMSE with AMP's SE line, P_e, and P_MD-vs-P_FA per point)
  se      MMV-AMP against its state evolution at every (L in --pilot-lengths,
          SNR in --snrs): per-iteration NMSE over --slots slots, the SE fixed
          point, the gap; writes OUT/se.json and OUT/se-vs-amp.svg with --out
`, [T]);

/** Parses `adaptune jadce` flags. */
export function parseJadce(args: string[]): JadceArgs | 'help' {
  const raw = readFlags('jadce', [T], args);
  if (raw === 'help') return 'help';
  const positionals = raw.positionals;
  if (positionals.length !== 1) throw new CliError(`'adaptune jadce' needs one action: train, eval, sweep or se${positionals.length ? `, got '${positionals.join(' ')}'` : ''}`);
  const action = positionals[0] as JadceArgs['action'];
  if (!['train', 'eval', 'sweep', 'se'].includes(action)) throw new CliError(`'adaptune jadce' action must be one of train, eval, sweep, se, got '${action}'`);
  const v = convertFlags(T, raw.values);
  const methods = v.methods ?? null;
  if (action === 'train' && methods?.some((m) => !(JADCE_LEARNED as readonly string[]).includes(m))) {
    throw new CliError(`--methods for 'jadce train' must be learned methods (${JADCE_LEARNED.join(', ')}), got '${methods.join(',')}'`);
  }
  if ((action === 'train' || action === 'sweep') && v.out === undefined) throw new CliError(`--out DIR is required for 'jadce ${action}'`);
  if (action !== 'eval' && v.from !== undefined) throw new CliError(`--from is only for 'jadce eval'`);
  const defined = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
  const sc = { devices: v.devices, antennas: v.antennas, pilotLength: v.pilotLength, activity: v.activity, snrDb: v.snr, snrMode: v.snrMode, pilots: v.pilots, pathLoss: v.pathLoss };
  const net = { layers: v.layers, emSweeps: v.emSweeps };
  const train = { innerSteps: v.innerSteps, outerSteps: v.outerSteps, finalSteps: v.finalSteps, batch: v.batchTrain };
  const test = defined({ activity: v.testActivity, snrDb: v.testSnr, pathLoss: v.testPathLoss });
  if (Object.keys(test).length && action !== 'eval') throw new CliError(`--test-activity, --test-snr and --test-path-loss are only for 'jadce eval'`);
  return {
    action, configFile: v.config ?? null, config: { scenario: defined(sc), net: defined(net), train: defined(train) }, methods, out: v.out ?? null,
    from: v.from ?? null, seed: v.seed ?? defaultOf(T.seed), seeds: v.seeds ?? defaultOf(T.seeds), slots: v.slots ?? defaultOf(T.slots), batch: v.batch ?? defaultOf(T.batch),
    pilotLengths: v.pilotLengths ?? defaultOf(T.pilotLengths), snrs: v.snrs ?? defaultOf(T.snrs), fixedSnr: v.fixedSnr ?? defaultOf(T.fixedSnr),
    fixedPilotLength: v.fixedPilotLength ?? defaultOf(T.fixedPilotLength), json: v.json === true,
    testScenario: Object.keys(test).length ? test : null, onsager: v.onsager ?? null, damping: v.damping ?? null, iterations: v.iterations ?? null,
    seSamples: v.seSamples ?? defaultOf(T.seSamples), ...(v.threads !== undefined ? { threads: v.threads } : {}),
  };
}

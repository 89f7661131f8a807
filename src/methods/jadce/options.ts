/**
 * @module The option table of `adaptune jadce train|eval|sweep|se` (runJadceTrain, runJadceEval, runJadceSweep,
 * runJadceSe): the one definition of each flag (src/core/options.ts says how to add one). Scenario, method and
 * training flags are a config layer (sections scenario, net, train) over --config FILE. No native code.
 */
import { CliError, opt } from '../../core/options.js';

export const JADCE_METHODS = ['amp', 'em-amp', 'ista', 'fista', 'lista', 'net', 'net-nodr', 'net-noem', 'net-e2e'] as const;
export const JADCE_LEARNED = ['lista', 'net', 'net-nodr', 'net-noem', 'net-e2e'] as const;
export type JadceMethodName = (typeof JADCE_METHODS)[number];

const SC = 'Scenario flags (override --config FILE, a JSON/YAML object with the sections\nscenario, baselines, net, train; see the README for every field)';
const ME = 'Method flags';
const RUN = 'Run flags';

/** A comma list of numbers, each an integer >= min (int) or finite. */
const numbers = (flag: string, int: boolean, min: number) => (v: string): number[] => v.split(',').map((s) => s.trim()).map((p) => {
  const n = Number(p);
  if (p === '' || !Number.isFinite(n) || (int && (!/^\d+$/.test(p) || n < min))) throw new CliError(`--${flag} must be ${int ? `an integer >= ${min}` : 'a number'}, got '${p}'`);
  return n;
});

/** Flags of `adaptune jadce`. */
export const JADCE_OPTIONS = {
  config: opt.string({ arg: 'FILE', section: SC, doc: 'JSON/YAML config (sections scenario, baselines, net, train); flags override it' }),
  devices: opt.int({ min: 2, section: SC, doc: 'devices N' }),
  antennas: opt.int({ min: 1, arg: 'M', section: SC, doc: 'antennas M' }),
  pilotLength: opt.int({ min: 1, arg: 'L', section: SC, doc: 'pilot length L' }),
  activity: opt.number({ gt: 0, lt: 1, arg: 'P', section: SC, doc: 'activity probability' }),
  snr: opt.number({ arg: 'DB', section: SC, doc: 'SNR in dB' }),
  snrMode: opt.enum(['per-symbol', 'per-slot'], { section: SC, doc: 'SNR per symbol or per slot' }),
  pilots: opt.enum(['fixed', 'resampled'], { section: SC, doc: 'pilots fixed or resampled per slot' }),
  pathLoss: opt.bool({ section: SC, doc: 'large-scale fading (path loss)' }),
  layers: opt.int({ min: 1, arg: 'T', section: ME, default: 8, doc: 'network layers' }),
  emSweeps: opt.int({ min: 0, arg: 'K', section: ME, default: 2, doc: 'inner EM sweeps per layer (0 = no EM)' }),
  innerSteps: opt.int({ min: 0, section: ME, doc: 'training schedule: inner steps' }),
  outerSteps: opt.int({ min: 0, section: ME, doc: 'training schedule: outer steps' }),
  finalSteps: opt.int({ min: 0, section: ME, doc: 'training schedule: final steps' }),
  batchTrain: opt.int({ min: 1, section: ME, doc: 'training batch' }),
  methods: opt.custom((v) => v.split(',').map((s) => {
    const m = s.trim();
    if (!(JADCE_METHODS as readonly string[]).includes(m)) throw new CliError(`--methods must be one of ${JADCE_METHODS.join(', ')}, got '${m}'`);
    return m as JadceMethodName;
  }), { arg: 'LIST', section: RUN, doc: `comma list of ${JADCE_METHODS.join(', ')}\n(train: default lista,net; eval: the baselines + those in --from; sweep: all)` }),
  from: opt.string({ arg: 'DIR', section: RUN, doc: 'eval: a train output directory (its scenario; --snr may override)' }),
  out: opt.string({ arg: 'DIR', section: RUN, doc: 'train, sweep: output directory (required); eval: also writes OUT/eval.json' }),
  seed: opt.int({ min: 0, arg: 'S', section: RUN, default: 0, doc: 'train/eval seed' }),
  seeds: opt.custom(numbers('seeds', true, 0), { arg: 'LIST', section: RUN, default: [0, 1], doc: 'sweep seeds' }),
  slots: opt.int({ min: 1, section: RUN, default: 1000, doc: 'test slots' }),
  batch: opt.int({ min: 1, section: RUN, default: 250, doc: 'evaluation batch' }),
  pilotLengths: opt.custom(numbers('pilot-lengths', true, 1), { arg: 'LIST', section: RUN, default: [20, 30, 40], doc: 'sweep, se: pilot lengths' }),
  snrs: opt.custom(numbers('snrs', false, 0), { arg: 'LIST', section: RUN, default: [0, 10, 20], doc: 'sweep, se: SNRs (dB)' }),
  fixedSnr: opt.number({ arg: 'DB', section: RUN, default: 10, doc: 'sweep: the SNR of the sweep over L' }),
  fixedPilotLength: opt.int({ min: 1, arg: 'L', section: RUN, default: 40, doc: 'sweep: the L of the sweep over SNR' }),
  testActivity: opt.number({ gt: 0, lt: 1, arg: 'P', section: RUN, doc: 'eval: draw the test slots with this activity (mismatch)' }),
  testSnr: opt.number({ arg: 'DB', section: RUN, doc: 'eval: draw the test slots at this SNR (mismatch)' }),
  testPathLoss: opt.bool({ section: RUN, doc: 'eval: draw the test slots with path loss (the methods keep the configured scenario)' }),
  onsager: opt.enum(['scalar', 'matrix'], { section: RUN, defaultText: "the config's baselines", doc: 'se: the AMP Onsager term' }),
  damping: opt.number({ gt: 0, arg: 'R', section: RUN, defaultText: "the config's baselines", doc: 'se: AMP damping' }),
  iterations: opt.int({ min: 1, arg: 'T', section: RUN, defaultText: "the config's baselines", doc: 'se: AMP iterations' }),
  seSamples: opt.int({ min: 0, section: RUN, default: 200000, doc: 'se and sweep: SE Monte-Carlo draws per iteration (sweep: 0 = no SE line)' }),
  threads: opt.int({ min: 1, section: RUN, doc: 'intra-op threads' }),
  json: opt.bool({ section: RUN, doc: 'print ONE JSON object on stdout' }),
} as const;

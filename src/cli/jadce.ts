/** @module `adaptune jadce train|eval|sweep`: flags and usage (light; the runner is src/cli/jadce-run.ts). */
import { CliError, enumFlag, intFlag, numFlag, strictParse } from './flags.js';

export const JADCE_METHODS = ['amp', 'em-amp', 'ista', 'fista', 'lista', 'net', 'net-nodr', 'net-noem', 'net-e2e'] as const;
export const JADCE_LEARNED = ['lista', 'net', 'net-nodr', 'net-noem', 'net-e2e'] as const;
export type JadceMethodName = (typeof JADCE_METHODS)[number];

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

export const JADCE_USAGE = `Usage: adaptune jadce <train|eval|sweep|se> [flags]

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

Scenario flags (override --config FILE, a JSON/YAML object with the sections
scenario, baselines, net, train; see the README for every field):
  --devices N  --antennas M  --pilot-length L  --activity P  --snr DB
  --snr-mode per-symbol|per-slot   --pilots fixed|resampled   --path-loss
Method flags:
  --layers T            network layers (default 8)
  --em-sweeps K         inner EM sweeps per layer (default 2; 0 = no EM)
  --inner-steps N  --outer-steps N  --final-steps N  --batch-train N   training schedule
Run flags:
  --methods LIST        comma list of ${JADCE_METHODS.join(', ')}
                        (train: default lista,net; eval: the baselines + those in --from; sweep: all)
  --from DIR            eval: a train output directory (its scenario; --snr may override)
  --out DIR             train, sweep: output directory (required); eval: also writes OUT/eval.json
  --seed S              train/eval seed (default 0)
  --seeds LIST          sweep seeds (default 0,1)
  --slots N             test slots (default 1000)
  --batch N             evaluation batch (default 250)
  --pilot-lengths LIST  sweep (default 20,30,40)
  --snrs LIST           sweep (default 0,10,20)
  --fixed-snr DB        sweep (default 10)    --fixed-pilot-length L  sweep (default 40)
  --test-activity P  --test-snr DB  --test-path-loss
                        eval: draw the test slots from this changed scenario
                        (mismatch); the methods keep the trained/configured one
  --onsager scalar|matrix  --damping R  --iterations T  --se-samples N
                        se: the AMP form (default: the config's baselines);
                        se and sweep: SE Monte-Carlo draws per iteration
                        (default 200000; sweep: 0 = no SE line)
  --threads N           intra-op threads
  --json                print ONE JSON object on stdout
  -h, --help            this help
`;

const OPTIONS = {
  config: { type: 'string' }, devices: { type: 'string' }, antennas: { type: 'string' }, 'pilot-length': { type: 'string' }, activity: { type: 'string' },
  snr: { type: 'string' }, 'snr-mode': { type: 'string' }, pilots: { type: 'string' }, 'path-loss': { type: 'boolean' }, layers: { type: 'string' },
  'em-sweeps': { type: 'string' }, 'inner-steps': { type: 'string' }, 'outer-steps': { type: 'string' }, 'final-steps': { type: 'string' },
  'batch-train': { type: 'string' }, methods: { type: 'string' }, from: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' },
  seeds: { type: 'string' }, slots: { type: 'string' }, batch: { type: 'string' }, 'pilot-lengths': { type: 'string' }, snrs: { type: 'string' },
  'fixed-snr': { type: 'string' }, 'test-activity': { type: 'string' }, 'test-snr': { type: 'string' }, 'test-path-loss': { type: 'boolean' },
  onsager: { type: 'string' }, damping: { type: 'string' }, iterations: { type: 'string' }, 'se-samples': { type: 'string' }, 'fixed-pilot-length': { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A comma list of numbers (integers >= min when int). */
function listFlag(name: string, v: string | undefined, int: boolean, min: number): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  return parts.map((p) => (int ? intFlag(name, p, min)! : numFlag(name, p)!));
}

/** Parses `adaptune jadce` flags. */
export function parseJadce(args: string[]): JadceArgs | 'help' {
  const { values: v, positionals } = strictParse('jadce', args, OPTIONS);
  if (v.help) return 'help';
  if (positionals.length !== 1) throw new CliError(`'adaptune jadce' needs one action: train, eval, sweep or se${positionals.length ? `, got '${positionals.join(' ')}'` : ''}`);
  const action = positionals[0] as JadceArgs['action'];
  if (!['train', 'eval', 'sweep', 'se'].includes(action)) throw new CliError(`'adaptune jadce' action must be one of train, eval, sweep, se, got '${action}'`);
  const methods = v.methods === undefined ? null : v.methods.split(',').map((s) => enumFlag('methods', s.trim(), JADCE_METHODS)!);
  if (action === 'train' && methods?.some((m) => !(JADCE_LEARNED as readonly string[]).includes(m))) {
    throw new CliError(`--methods for 'jadce train' must be learned methods (${JADCE_LEARNED.join(', ')}), got '${v.methods}'`);
  }
  if ((action === 'train' || action === 'sweep') && v.out === undefined) throw new CliError(`--out DIR is required for 'jadce ${action}'`);
  if (action !== 'eval' && v.from !== undefined) throw new CliError(`--from is only for 'jadce eval'`);
  const sc: Record<string, unknown> = {
    devices: intFlag('devices', v.devices, 2), antennas: intFlag('antennas', v.antennas), pilotLength: intFlag('pilot-length', v['pilot-length']),
    activity: numFlag('activity', v.activity, { gt: 0, lt: 1 }), snrDb: numFlag('snr', v.snr), snrMode: enumFlag('snr-mode', v['snr-mode'], ['per-symbol', 'per-slot'] as const),
    pilots: enumFlag('pilots', v.pilots, ['fixed', 'resampled'] as const), pathLoss: v['path-loss'],
  };
  const net = { layers: intFlag('layers', v.layers), emSweeps: intFlag('em-sweeps', v['em-sweeps'], 0) };
  const train = { innerSteps: intFlag('inner-steps', v['inner-steps'], 0), outerSteps: intFlag('outer-steps', v['outer-steps'], 0), finalSteps: intFlag('final-steps', v['final-steps'], 0), batch: intFlag('batch-train', v['batch-train']) };
  const defined = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
  const out: JadceArgs = {
    action, configFile: v.config ?? null, config: { scenario: defined(sc), net: defined(net), train: defined(train) }, methods, out: v.out ?? null,
    from: v.from ?? null, seed: intFlag('seed', v.seed, 0) ?? 0, seeds: listFlag('seeds', v.seeds, true, 0) ?? [0, 1],
    slots: intFlag('slots', v.slots) ?? 1000, batch: intFlag('batch', v.batch) ?? 250, pilotLengths: listFlag('pilot-lengths', v['pilot-lengths'], true, 1) ?? [20, 30, 40],
    snrs: listFlag('snrs', v.snrs, false, 0) ?? [0, 10, 20], fixedSnr: numFlag('fixed-snr', v['fixed-snr']) ?? 10,
    fixedPilotLength: intFlag('fixed-pilot-length', v['fixed-pilot-length']) ?? 40, json: v.json === true,
    testScenario: null, onsager: null, damping: null, iterations: null, seSamples: 200000,
  };
  const test = defined({ activity: numFlag('test-activity', v['test-activity'], { gt: 0, lt: 1 }), snrDb: numFlag('test-snr', v['test-snr']), pathLoss: v['test-path-loss'] });
  if (Object.keys(test).length && action !== 'eval') throw new CliError(`--test-activity, --test-snr and --test-path-loss are only for 'jadce eval'`);
  out.testScenario = Object.keys(test).length ? test : null;
  out.onsager = enumFlag('onsager', v.onsager, ['scalar', 'matrix'] as const) ?? null;
  out.damping = numFlag('damping', v.damping, { gt: 0 }) ?? null;
  out.iterations = intFlag('iterations', v.iterations) ?? null;
  out.seSamples = intFlag('se-samples', v['se-samples'], 0) ?? 200000;
  const threads = intFlag('threads', v.threads);
  if (threads !== undefined) out.threads = threads;
  return out;
}

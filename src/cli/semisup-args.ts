/** @module Flags and help of `adaptune semisup` (strict; errors name the flag). No native code. */
import { ConfigError } from '../core/errors.js';
import { parseLabelsPerClass, parseTaskSpec, type LabelsPerClass, type TaskName } from '../data/tasks/spec.js';
import { CliError, enumFlag, intFlag, noPositionals, numFlag, strictParse } from './flags.js';

const ALGORITHMS = ['supervised', 'pseudo-label', 'mean-teacher', 'fixmatch', 'mixmatch', 'ict'] as const;

/** Options of `adaptune semisup`; undefined = not given (config file or defaults decide). */
export interface SemisupArgs {
  /** undefined only with --resume (the run's own). */
  data?: TaskName;
  labelsPerClass?: LabelsPerClass;
  algorithm?: (typeof ALGORITHMS)[number];
  akc?: boolean;
  arc?: boolean;
  lambdaAkc?: number;
  lambdaArc?: number;
  akcScale?: number;
  threshold?: number;
  coef?: number;
  steps?: number;
  batchSize?: number;
  mu?: number;
  lr?: number;
  weightDecay?: number;
  emaDecay?: number;
  evalEvery?: number;
  seed?: number;
  threads?: number;
  weights: string | null;
  config: string | null;
  set: string[];
  out: string | null;
  resume: string | null;
  json: boolean;
}

export const SEMISUP_USAGE = `Usage: adaptune semisup [flags]

Semi-supervised transfer (Abuduweili et al., CVPR 2021): the bundled backbone (or --weights FILE)
is the target model (new head, imprinted from the labelled images) and, frozen in eval mode
with its source head, the source model of AKC. Each step takes B labelled images (weak view:
crop with 2 px padding + flip) and mu x B unlabelled images (weak view, plus a strong view
RandAugment + Cutout 0.5 for fixmatch, a second weak view for pseudo-label / mean-teacher, K-1
more for mixmatch). Loss: CE + coef * SSL + lambda_ARC * ARC + lambda_AKC * AKC, weights warmed
up linearly; SGD Nesterov 0.9, cosine lr, no weight decay on BatchNorm and biases. Evaluates the
EMA model on the task's test split; reports the mean of the last 5 evaluations and the AKC/ARC
gate ratios over training. Writes config.json, metrics.jsonl (per step: losses, gate_akc,
gate_arc, ssl_mask), log.txt, summary.json and checkpoints/ into the run directory.

Flags:
  --data TASK               target task (default fmnist:target-mid)
  --labels-per-class N      10, 50, 100 or all (default 10); the rest of the training split is unlabelled
  --algorithm NAME          ${ALGORITHMS.join(', ')} (default fixmatch;
                            'ict' is what the official code calls MixMatch)
  --akc / --arc             add Adaptive Knowledge / Representation Consistency
  --lambda-akc X            weight of AKC (default 1)
  --lambda-arc X            weight of ARC (default 50)
  --akc-scale X             AKC divides the squared feature distance by X (default 100; official 10000)
  --threshold X             pseudo-label / fixmatch confidence threshold (default 0.95)
  --coef X                  SSL weight (default per algorithm: pseudo-label/fixmatch 1, mean-teacher 10,
                            ict 100, mixmatch 75)
  --steps N                 optimizer steps (default 1000; 100 steps per epoch)
  --batch-size N            labelled batch B (default 16)
  --mu N                    unlabelled batch is mu x B (default 3)
  --lr X                    SGD lr (default 0.01)
  --weight-decay X          on conv/linear weights only (default 5e-4)
  --ema-decay X             EMA model decay in [0, 1) (default 0.999, warm-up min(1 - 1/t, decay))
  --eval-every N            evaluate every N steps (default 100)
  --weights FILE            backbone with an adaptune sidecar (default: the bundled one)
  --seed N                  seed of the label budget, init, data order and augmentation (default 0)
  --config FILE             JSON/YAML engine config (method options under "method");
                            order: defaults < file < flags < --set
  --set a.b=c               override any config field, repeatable (e.g. --set method.tableSizeL=64)
  --out DIR                 run directory (default runs/<timestamp>-semisup)
  --resume DIR              continue an interrupted run in DIR (bit-identical on CPU); --steps N extends it,
                            other changed flags are refused
  --threads N               libtorch intra-op threads (default: ADAPTUNE_NUM_THREADS or the cores)
  --json                    print ONE JSON object on stdout (progress stays on stderr)
  -h, --help                this help
`;

/** Parses `adaptune semisup` flags. */
export function parseSemisup(args: string[]): SemisupArgs | 'help' {
  const s = { type: 'string' } as const;
  const { values: v, positionals } = strictParse('semisup', args, {
    data: s, 'labels-per-class': s, algorithm: s, akc: { type: 'boolean' }, arc: { type: 'boolean' }, 'lambda-akc': s, 'lambda-arc': s,
    'akc-scale': s, threshold: s, coef: s, steps: s, 'batch-size': s, mu: s, lr: s, 'weight-decay': s, 'ema-decay': s, 'eval-every': s,
    weights: s, seed: s, threads: s, config: s, set: { type: 'string', multiple: true }, out: s, resume: s, json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const);
  if (v.help) return 'help';
  noPositionals('semisup', positionals);
  const resuming = v.resume !== undefined;
  let data: TaskName | undefined = resuming ? undefined : 'fmnist:target-mid';
  let labelsPerClass: LabelsPerClass | undefined = resuming ? undefined : 10;
  try { if (v.data !== undefined) data = parseTaskSpec(v.data).name; } catch (e) { if (e instanceof ConfigError) throw new CliError(`--data: ${e.message}`); throw e; }
  try { if (v['labels-per-class'] !== undefined) labelsPerClass = parseLabelsPerClass(v['labels-per-class']); } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`--labels-per-class must be one of 10, 50, 100, all; got '${v['labels-per-class']}'`); throw e;
  }
  const set = (v.set as string[] | undefined) ?? [];
  for (const o of set) if (o.indexOf('=') <= 0) throw new CliError(`--set '${o}' must look like field.path=value (e.g. --set method.tableSizeL=64)`);
  if (v.resume !== undefined && (v.config !== undefined || v.weights !== undefined || v.out !== undefined)) throw new CliError('--resume DIR continues a run with its own config.json; it cannot be combined with --config, --weights or --out');
  const out: SemisupArgs = { data, labelsPerClass, weights: v.weights ?? null, config: v.config ?? null, set, out: v.out ?? null, resume: v.resume ?? null, json: v.json === true };
  const opt: Partial<SemisupArgs> = {
    algorithm: enumFlag('algorithm', v.algorithm, ALGORITHMS), akc: v.akc, arc: v.arc,
    lambdaAkc: numFlag('lambda-akc', v['lambda-akc'], { min: 0 }), lambdaArc: numFlag('lambda-arc', v['lambda-arc'], { min: 0 }),
    akcScale: numFlag('akc-scale', v['akc-scale'], { gt: 0 }), threshold: numFlag('threshold', v.threshold, { min: 0 }),
    coef: numFlag('coef', v.coef, { min: 0 }), steps: intFlag('steps', v.steps), batchSize: intFlag('batch-size', v['batch-size']), mu: intFlag('mu', v.mu),
    lr: numFlag('lr', v.lr, { gt: 0 }), weightDecay: numFlag('weight-decay', v['weight-decay'], { min: 0 }),
    emaDecay: numFlag('ema-decay', v['ema-decay'], { min: 0, lt: 1 }), evalEvery: intFlag('eval-every', v['eval-every']),
    seed: intFlag('seed', v.seed, 0), threads: intFlag('threads', v.threads),
  };
  if (opt.threshold !== undefined && opt.threshold > 1) throw new CliError(`--threshold must be a number in [0, 1], got '${v.threshold}'`);
  for (const [k, x] of Object.entries(opt)) if (x !== undefined) (out as unknown as Record<string, unknown>)[k] = x;
  return out;
}

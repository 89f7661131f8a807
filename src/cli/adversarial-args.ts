/** @module Flags and help of `adaptune adversarial` (strict; errors name the flag and the allowed range). No native code. */
import { ConfigError } from '../core/errors.js';
import { parseLabelsPerClass, parseTaskSpec, type LabelsPerClass, type TaskName } from '../data/tasks/spec.js';
import { ADVERSARIAL_DEFAULTS } from '../methods/adversarial/defaults.js';
import { CliError, enumFlag, intFlag, noPositionals, numFlag, strictParse } from './flags.js';

const D = ADVERSARIAL_DEFAULTS.args;

/** Options of `adaptune adversarial`; undefined = not given (the config file or the defaults decide). */
export interface AdversarialArgs {
  /** undefined only with --resume (the run's own). */
  data?: TaskName;
  labelsPerClass?: LabelsPerClass;
  weights: string | null;
  resume: string | null;
  config: string | null;
  set: string[];
  out: string | null;
  json: boolean;
  seed?: number;
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  threads?: number;
  init?: 'finetune' | 'scratch';
  loss?: 'pgd' | 'trades' | 'fast';
  norm?: 'linf' | 'l2';
  eps?: number;
  steps?: number;
  stepSize?: number;
  bnMode?: 'eval' | 'train';
  tradesBeta?: number;
  schedule?: 'slow-start-fast-decay' | 'piecewise' | 'cyclic' | 'constant';
  warmupFraction?: number;
  warmupShape?: 'linear' | 'cosine';
  startFactor?: number;
  decayShape?: 'exponential' | 'linear' | 'cosine';
  decayRate?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Held-out images (taken from the training split) for the robust-overfitting monitor; 0 = no monitor. */
  valImages?: number;
  /** Train on this many images per class, drawn with the seed from what is left after the hold-out (null: all of them). */
  trainPerClass?: number | null;
  /** Monitor key of the best checkpoint: 'robust-then-clean' (default; ties broken by clean accuracy) or 'robust'. */
  select?: 'robust' | 'robust-then-clean';
  evalSteps?: number;
  evalEvery?: number;
  /** Final test: PGD steps, restarts, and at most this many test images (spread over the split). */
  testSteps?: number;
  testRestarts?: number;
  testLimit?: number;
  /** Training images (spread, no augmentation) attacked at the end for the train-test robust gap; 0 = skip. */
  gapImages?: number;
  /** A from-scratch run directory of this command to measure the cost ratio against. */
  compareTo?: string | null;
}

export const ADVERSARIAL_USAGE = `Usage: adaptune adversarial [flags]

PGD adversarial training (Madry et al.) of the bundled backbone (or --weights
FILE): as a short fine-tuning of the pre-trained weights (--init finetune,
Jeddi et al. 2020) or from re-initialised weights (--init scratch), under a
learning-rate schedule (default slow-start-fast-decay). Inputs are in [0, 1].
Each epoch (and every --eval-every steps) the robust accuracy on a held-out
split of the training images is measured; the best checkpoint on it is kept,
exported as OUT/weights.safetensors and evaluated on the test split (clean,
FGSM, PGD-k). Every run counts forward/backward example passes and wall time;
with --compare-to SCRATCH_RUN it prints the measured cost ratio.

Data and model:
  --data TASK               task (default fmnist:source); the head is kept when TASK
                            is the weights' own task, else a new head is trained
  --labels-per-class N      10, 50, 100 or all (default all)
  --train-per-class N       train on N images per class, drawn with --seed from the training split
                            after the --val-images hold-out (default: all of them)
  --weights FILE            weights with an adaptune sidecar (default: the bundled backbone)
  --init MODE               finetune (default) or scratch (every layer re-initialised)
Attack used in training:
  --loss L                  pgd (default), trades or fast (FGSM with random start)
  --norm N                  linf (default) or l2
  --eps E                   radius in [0, 1] pixel units (default 0.1)
  --steps K                 PGD steps (default 7)
  --step-size A             (default eps / 4)
  --bn-mode M               BN mode while generating: eval (default) or train
  --trades-beta B           TRADES beta (default 6)
Schedule (peak lr = --lr):
  --schedule S              slow-start-fast-decay (default), piecewise, cyclic or constant
                            (piecewise boundaries/factors and cyclic cycles/peakAt: --set
                            method.schedule.FIELD=V or --config)
  --warmup-fraction F       slow-start-fast-decay: t_w / T in [0, 1) (default 0.5)
  --warmup-shape S          linear (default) or cosine
  --start-factor F          lr at step 0 / peak lr, in [0, 1] (default 0.01)
  --decay-shape S           exponential (default), linear or cosine
  --decay-rate K            exponential decay exp(-K u) (default 5)
Optimisation:
  --lr LR                   peak learning rate (default 0.05)
  --momentum M              SGD momentum in [0, 1) (default 0.9)
  --weight-decay W          (default 5e-4)
  --epochs N                (default 3)
  --max-steps N             stop after N optimizer steps (overrides --epochs)
  --batch-size N            (default 128)
Monitor and evaluation:
  --val-images N            held-out training images for the robust-overfitting monitor
                            (default 500; 0 = no monitor, the last weights are kept)
  --eval-steps K            PGD steps of the monitor (default 10)
  --eval-every N            also run the monitor every N steps (default 0: epoch ends only)
  --select S                which checkpoint to keep: robust-then-clean (default: best held-out
                            robust accuracy, ties broken by clean accuracy) or robust (first best)
  --test-steps K            PGD steps of the final test evaluation (default 20)
  --test-restarts R         its restarts (default 1)
  --test-limit N            evaluate on N test images, spread over the split (default all)
  --gap-images N            also attack N training images at the end (train-test robust gap;
                            default 0)
  --compare-to DIR          a from-scratch run of this command: print the cost ratio
Run:
  --config FILE             JSON or YAML engine config (method.* = adversarial options)
  --set field.path=value    override any config field (repeatable)
  --seed S                  (default 0)
  --out DIR                 run directory (default runs/adversarial-<time>)
  --resume DIR              continue an interrupted run (its own config and flags; --epochs or --max-steps extend it)
  --threads N               intra-op threads
  --json                    print ONE JSON object on stdout
  -h, --help                this help
`;

const S = { type: 'string' } as const;
const OPTIONS = {
  data: S, 'labels-per-class': S, weights: S, init: S, loss: S, norm: S, eps: S, steps: S, 'step-size': S, 'bn-mode': S, 'trades-beta': S,
  schedule: S, 'warmup-fraction': S, 'warmup-shape': S, 'start-factor': S, 'decay-shape': S, 'decay-rate': S,
  lr: S, momentum: S, 'weight-decay': S, epochs: S, 'max-steps': S, 'batch-size': S,
  'val-images': S, 'train-per-class': S, select: S, 'eval-steps': S, 'eval-every': S, 'test-steps': S, 'test-restarts': S, 'test-limit': S, 'gap-images': S, 'compare-to': S,
  config: S, set: { type: 'string', multiple: true }, seed: S, out: S, resume: S, threads: S, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

/** --data / --labels-per-class through the benchmark's validators, as CliErrors naming the flag. */
export function taskFlag<T>(flag: string, f: () => T): T {
  try { return f(); } catch (e) { if (e instanceof ConfigError) throw new CliError(`--${flag}: ${e.message}`); throw e; }
}

/** Parses `adaptune adversarial` flags. */
export function parseAdversarial(args: string[]): AdversarialArgs | 'help' {
  const { values: v, positionals } = strictParse('adversarial', args, OPTIONS);
  if (v.help) return 'help';
  noPositionals('adversarial', positionals);
  if (v.resume !== undefined) {
    const fixed = Object.keys(v).filter((k) => !['resume', 'json', 'threads', 'compare-to', 'epochs', 'max-steps'].includes(k));
    if (fixed.length) throw new CliError(`--resume DIR continues a run with its own config and flags; it cannot be combined with --${fixed[0]} (only --json, --threads, --compare-to, and --epochs / --max-steps to extend it)`);
  }
  const set = v.set ?? [];
  for (const o of set) if (o.indexOf('=') <= 0) throw new CliError(`--set '${o}' must look like field.path=value (e.g. --set method.schedule.boundaries=[0.3,0.6])`);
  const out: AdversarialArgs = {
    ...(v.resume !== undefined ? {} : {
      data: taskFlag('data', () => parseTaskSpec(v.data ?? D.data).name),
      labelsPerClass: taskFlag('labels-per-class', () => parseLabelsPerClass(v['labels-per-class'] ?? String(D.labelsPerClass))),
    }),
    weights: v.weights ?? null, resume: v.resume ?? null, config: v.config ?? null, set, out: v.out ?? null, json: v.json === true,
    compareTo: v['compare-to'] ?? D.compareTo,
    // with --resume these are the run's own (cli.json)
    ...(v.resume !== undefined ? {} : {
      valImages: intFlag('val-images', v['val-images'], 0) ?? D.valImages, testSteps: intFlag('test-steps', v['test-steps']) ?? D.testSteps,
      testRestarts: intFlag('test-restarts', v['test-restarts']) ?? D.testRestarts, gapImages: intFlag('gap-images', v['gap-images'], 0) ?? D.gapImages,
      trainPerClass: intFlag('train-per-class', v['train-per-class']) ?? D.trainPerClass,
      select: enumFlag('select', v.select, ['robust', 'robust-then-clean'] as const) ?? D.select,
    }),
  };
  if (out.select === 'robust' && out.valImages === 0) throw new CliError('--select needs the monitor; it cannot be combined with --val-images 0');
  const opt: Partial<AdversarialArgs> = {
    seed: intFlag('seed', v.seed, 0), epochs: intFlag('epochs', v.epochs), maxSteps: intFlag('max-steps', v['max-steps']), batchSize: intFlag('batch-size', v['batch-size']),
    threads: intFlag('threads', v.threads), init: enumFlag('init', v.init, ['finetune', 'scratch'] as const), loss: enumFlag('loss', v.loss, ['pgd', 'trades', 'fast'] as const),
    norm: enumFlag('norm', v.norm, ['linf', 'l2'] as const), eps: numFlag('eps', v.eps, { gt: 0 }), steps: intFlag('steps', v.steps), stepSize: numFlag('step-size', v['step-size'], { gt: 0 }),
    bnMode: enumFlag('bn-mode', v['bn-mode'], ['eval', 'train'] as const), tradesBeta: numFlag('trades-beta', v['trades-beta'], { min: 0 }),
    schedule: enumFlag('schedule', v.schedule, ['slow-start-fast-decay', 'piecewise', 'cyclic', 'constant'] as const),
    warmupFraction: numFlag('warmup-fraction', v['warmup-fraction'], { min: 0, lt: 1 }), warmupShape: enumFlag('warmup-shape', v['warmup-shape'], ['linear', 'cosine'] as const),
    startFactor: numFlag('start-factor', v['start-factor'], { min: 0 }), decayShape: enumFlag('decay-shape', v['decay-shape'], ['exponential', 'linear', 'cosine'] as const),
    decayRate: numFlag('decay-rate', v['decay-rate'], { min: 0 }), lr: numFlag('lr', v.lr, { gt: 0 }), momentum: numFlag('momentum', v.momentum, { min: 0, lt: 1 }),
    weightDecay: numFlag('weight-decay', v['weight-decay'], { min: 0 }), evalSteps: intFlag('eval-steps', v['eval-steps']), evalEvery: intFlag('eval-every', v['eval-every'], 0),
    testLimit: intFlag('test-limit', v['test-limit']),
  };
  if (opt.startFactor !== undefined && opt.startFactor > 1) throw new CliError(`--start-factor must be a number in [0, 1], got '${v['start-factor']}'`);
  const sched = ['warmupFraction', 'warmupShape', 'startFactor', 'decayShape', 'decayRate'] as const;
  const given = sched.filter((k) => opt[k] !== undefined);
  if (given.length && opt.schedule !== undefined && opt.schedule !== 'slow-start-fast-decay') {
    throw new CliError(`--${given[0]!.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} shapes the slow-start-fast-decay schedule; it cannot be combined with --schedule ${opt.schedule}`);
  }
  for (const [k, x] of Object.entries(opt)) if (x !== undefined) (out as unknown as Record<string, unknown>)[k] = x;
  return out;
}

/** @module Flags and help of `adaptune robustness` (strict; errors name the flag and the allowed range). No native code. */
import { parseTaskSpec, type TaskName } from '../data/tasks/spec.js';
import { taskFlag } from './adversarial-args.js';
import { ROBUSTNESS_DEFAULTS as D } from '../methods/adversarial/defaults.js';
import { CliError, enumFlag, intFlag, noPositionals, numFlag, strictParse } from './flags.js';

/** Options of `adaptune robustness`. */
export interface RobustnessArgs {
  weights: string | null;
  data: TaskName;
  split: 'test' | 'train';
  eps: number;
  norm: 'linf' | 'l2';
  steps: number[];
  restarts: number;
  stepSize: number | null;
  epsSweep: number[];
  bnMode: 'eval' | 'train';
  tolerance: number;
  limit?: number;
  batchSize: number;
  seed: number;
  out: string | null;
  json: boolean;
  threads?: number;
}

export const ROBUSTNESS_USAGE = `Usage: adaptune robustness [flags]

Evaluates a model's weights (default: the bundled backbone) on a task's test
split with inputs in [0, 1]: clean accuracy, FGSM accuracy, PGD-k accuracy for
each k with restarts (each example keeps its worst case), and PGD-kmax over an
eps sweep. A gradient-masking sanity check flags accuracy that does not fall as
the steps or eps grow, FGSM stronger than PGD, or attacked accuracy above clean.

Flags:
  --weights FILE            weights with an adaptune sidecar; its head must match the task
                            (default: the bundled backbone)
  --data TASK               task (default: the weights' own task, else fmnist:source)
  --split S                 test (default) or train
  --eps E                   radius in [0, 1] pixel units (default 0.1)
  --norm N                  linf (default) or l2
  --steps LIST              comma list of PGD step counts (default 7,20)
  --restarts R              restarts of every PGD attack (default 1)
  --step-size A             PGD step size (default 2.5 * eps / k)
  --eps-sweep LIST          extra radii attacked with the largest k (default 0.05,0.2;
                            'none' for none)
  --bn-mode M               BN mode while generating: eval (default) or train
  --tolerance T             allowed rise before a flag, as a fraction of examples (default 0)
  --limit N                 evaluate N images spread over the split (default all)
  --batch-size N            (default 250)
  --seed S                  seed of the random starts (default 0)
  --out DIR                 also write DIR/robustness.json
  --threads N               intra-op threads
  --json                    print ONE JSON object on stdout
  -h, --help                this help
`;

const S = { type: 'string' } as const;
const OPTIONS = {
  weights: S, data: S, split: S, eps: S, norm: S, steps: S, restarts: S, 'step-size': S, 'eps-sweep': S, 'bn-mode': S, tolerance: S,
  limit: S, 'batch-size': S, seed: S, out: S, threads: S, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

/** A comma list of values, each parsed by `one` (which names the flag). */
function list<T>(name: string, v: string, one: (s: string) => T): T[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '')) throw new CliError(`--${name} must be a comma list, got '${v}'`);
  return [...new Set(parts.map(one))];
}

/** Parses `adaptune robustness` flags; `data` is resolved against the weights later when not given (marked by dataGiven). */
export function parseRobustness(args: string[]): (RobustnessArgs & { dataGiven: boolean }) | 'help' {
  const { values: v, positionals } = strictParse('robustness', args, OPTIONS);
  if (v.help) return 'help';
  noPositionals('robustness', positionals);
  const sweep = v['eps-sweep'] ?? D.epsSweep.join(',');
  const out: RobustnessArgs & { dataGiven: boolean } = {
    weights: v.weights ?? null, dataGiven: v.data !== undefined,
    data: taskFlag('data', () => parseTaskSpec(v.data ?? D.data).name),
    split: enumFlag('split', v.split, ['test', 'train'] as const) ?? D.split,
    eps: numFlag('eps', v.eps, { gt: 0 }) ?? D.eps,
    norm: enumFlag('norm', v.norm, ['linf', 'l2'] as const) ?? D.norm,
    steps: list('steps', v.steps ?? D.steps.join(','), (s) => intFlag('steps', s)!).sort((a, b) => a - b),
    restarts: intFlag('restarts', v.restarts) ?? D.restarts,
    stepSize: numFlag('step-size', v['step-size'], { gt: 0 }) ?? D.stepSize,
    epsSweep: sweep === 'none' ? [] : list('eps-sweep', sweep, (s) => numFlag('eps-sweep', s, { gt: 0 })!),
    bnMode: enumFlag('bn-mode', v['bn-mode'], ['eval', 'train'] as const) ?? D.bnMode,
    tolerance: numFlag('tolerance', v.tolerance, { min: 0, lt: 1 }) ?? D.tolerance,
    batchSize: intFlag('batch-size', v['batch-size']) ?? D.batchSize,
    seed: intFlag('seed', v.seed, 0) ?? D.seed, out: v.out ?? null, json: v.json === true,
  };
  const opt = { limit: intFlag('limit', v.limit), threads: intFlag('threads', v.threads) };
  for (const [k, x] of Object.entries(opt)) if (x !== undefined) (out as unknown as Record<string, number>)[k] = x;
  return out;
}

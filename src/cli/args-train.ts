/** @module Flags of `adaptune pretrain`, `finetune` and `quickstart` (strict; errors name the flag). No native code. */
import { ConfigError } from '../core/errors.js';
import { parseLabelsPerClass, parseTaskSpec, type LabelsPerClass, type TaskName } from '../data/tasks/spec.js';
import { CliError, enumFlag, intFlag, noPositionals, numFlag, strictParse } from './flags.js';

/** Model names of src/models (kept here so that parsing needs no native code; a test checks it against listModels()). */
export const MODEL_NAMES = ['resnet18', 'resnet34', 'resnet50', 'cifar_resnet18', 'cifar_resnet34', 'cifar_resnet20', 'cifar_resnet32', 'cifar_resnet56', 'small_cnn'] as const;
export type CliModelName = (typeof MODEL_NAMES)[number];

/** Flags shared by the training commands; undefined = not given (the config file or the defaults decide). */
interface RunFlags {
  /** undefined only with --resume (the run's own). */
  data?: TaskName;
  labelsPerClass?: LabelsPerClass;
  seed?: number;
  epochs?: number;
  batchSize?: number;
  config: string | null;
  set: string[];
  out: string | null;
  json: boolean;
  threads?: number;
}

/** Options of `adaptune pretrain`. */
export interface PretrainArgs extends RunFlags {
  model: CliModelName;
  width?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  export: string | null;
}

/** Methods of `adaptune finetune --method`. */
export const FINETUNE_METHODS = ['finetune', 'adafilter'] as const;
export type FinetuneMethod = (typeof FINETUNE_METHODS)[number];

/** Options of `adaptune finetune`. */
export interface FinetuneArgs extends RunFlags {
  /** undefined: 'finetune' for a new run; the recorded method with --resume. */
  method?: FinetuneMethod;
  strategy?: 'full' | 'linear-probe' | 'partial' | 'scratch';
  elr?: number;
  lr?: number;
  momentum?: number;
  regularizer?: 'l2' | 'l2-sp' | 'none';
  alpha?: number;
  beta?: number;
  weightDecay?: number;
  head?: 'reinit' | 'imprint' | 'keep';
  bn?: 'train' | 'frozen';
  freezeUpTo?: string;
  weights: string | null;
  resume: string | null;
  /** AdaFilter options (--method adafilter only). */
  gate?: 'lstm' | 'gru' | 'mlp';
  binarize?: 'st' | 'gumbel';
  temperature?: number;
  stages?: string[];
  gatedBn?: boolean;
  usagePenalty?: number;
  gateLrScale?: number;
  headLrScale?: number;
}

/** Flags that only one method of `adaptune finetune` takes (the other refuses them, naming the flag). */
const FINETUNE_ONLY = ['strategy', 'freeze-up-to', 'elr', 'regularizer', 'alpha', 'beta', 'bn'] as const;
const ADAFILTER_ONLY = ['gate', 'binarize', 'temperature', 'stages', 'no-gated-bn', 'usage-penalty', 'gate-lr-scale'] as const;

/** Options of `adaptune quickstart`. */
export interface QuickstartArgs {
  data: TaskName;
  labelsPerClass: LabelsPerClass;
  seed: number;
  out: string | null;
  quick: boolean;
  json: boolean;
  threads?: number;
}

const COMMON = {
  data: { type: 'string' }, 'labels-per-class': { type: 'string' }, seed: { type: 'string' }, epochs: { type: 'string' },
  'batch-size': { type: 'string' }, config: { type: 'string' }, set: { type: 'string', multiple: true }, out: { type: 'string' },
  json: { type: 'boolean' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

/** --data and --labels-per-class through the benchmark's own validators, as CliErrors naming the flag. */
function taskFlags<D extends TaskName | undefined, L extends LabelsPerClass | undefined>(v: { data?: string; 'labels-per-class'?: string }, data: D, lpc: L): { data: TaskName | D; labelsPerClass: LabelsPerClass | L } {
  try {
    return {
      data: v.data === undefined ? data : parseTaskSpec(v.data).name,
      labelsPerClass: v['labels-per-class'] === undefined ? lpc : parseLabelsPerClass(v['labels-per-class']),
    };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const flag = /labelsPerClass/.test(e.message) ? '--labels-per-class' : '--data';
    throw new CliError(`${flag}: ${e.message.replace('task options.labelsPerClass', 'the label budget')}`);
  }
}

/** The flags every training command shares. */
function runFlags(v: Record<string, string | boolean | string[] | undefined>, data: TaskName | undefined, lpc: LabelsPerClass | undefined): RunFlags {
  const s = (k: string): string | undefined => v[k] as string | undefined;
  const set = (v.set as string[] | undefined) ?? [];
  for (const o of set) if (o.indexOf('=') <= 0) throw new CliError(`--set '${o}' must look like field.path=value (e.g. --set scheduler.name=cosine)`);
  const out: RunFlags = {
    ...taskFlags(v as { data?: string }, data, lpc),
    config: s('config') ?? null, set, out: s('out') ?? null, json: v.json === true,
  };
  const opt = { seed: intFlag('seed', s('seed'), 0), epochs: intFlag('epochs', s('epochs')), batchSize: intFlag('batch-size', s('batch-size')), threads: intFlag('threads', s('threads')) };
  for (const [k, x] of Object.entries(opt)) if (x !== undefined) (out as unknown as Record<string, number>)[k] = x;
  return out;
}

/** Copies the defined entries of `o` onto `target`. */
function assignDefined<T extends object>(target: T, o: Record<string, unknown>): T {
  for (const [k, x] of Object.entries(o)) if (x !== undefined) (target as Record<string, unknown>)[k] = x;
  return target;
}

/** Parses `adaptune pretrain` flags. */
export function parsePretrain(args: string[]): PretrainArgs | 'help' {
  const { values: v, positionals } = strictParse('pretrain', args, {
    ...COMMON, model: { type: 'string' }, width: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
    'weight-decay': { type: 'string' }, export: { type: 'string' },
  } as const);
  if (v.help) return 'help';
  noPositionals('pretrain', positionals);
  const base = runFlags(v, 'fmnist:source', 'all');
  const model = enumFlag('model', v.model, MODEL_NAMES) ?? 'cifar_resnet20';
  return assignDefined<PretrainArgs>({ ...base, model, export: v.export ?? null }, {
    width: intFlag('width', v.width), lr: numFlag('lr', v.lr, { gt: 0 }), momentum: numFlag('momentum', v.momentum, { min: 0, lt: 1 }),
    weightDecay: numFlag('weight-decay', v['weight-decay'], { min: 0 }),
  });
}

/** Parses `adaptune finetune` flags. */
export function parseFinetune(args: string[]): FinetuneArgs | 'help' {
  const { values: v, positionals } = strictParse('finetune', args, {
    ...COMMON, method: { type: 'string' }, strategy: { type: 'string' }, elr: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
    regularizer: { type: 'string' }, alpha: { type: 'string' }, beta: { type: 'string' }, 'weight-decay': { type: 'string' },
    head: { type: 'string' }, bn: { type: 'string' }, 'freeze-up-to': { type: 'string' }, weights: { type: 'string' }, resume: { type: 'string' },
    gate: { type: 'string' }, binarize: { type: 'string' }, temperature: { type: 'string' }, stages: { type: 'string' }, 'no-gated-bn': { type: 'boolean' },
    'usage-penalty': { type: 'string' }, 'gate-lr-scale': { type: 'string' }, 'head-lr-scale': { type: 'string' },
  } as const);
  if (v.help) return 'help';
  noPositionals('finetune', positionals);
  const method = enumFlag('method', v.method, FINETUNE_METHODS);
  const ada = method === 'adafilter';
  for (const f of ada ? FINETUNE_ONLY : ADAFILTER_ONLY) {
    if (v[f] !== undefined) throw new CliError(ada ? `--${f} is an option of standard fine-tuning; --method adafilter does not take it` : `--${f} needs --method adafilter`);
  }
  if (v.resume !== undefined && method !== undefined) throw new CliError('--resume DIR continues a run with its recorded method; drop --method');
  if (v.elr !== undefined && v.lr !== undefined) throw new CliError('--elr and --lr are mutually exclusive (lr = elr * (1 - momentum))');
  const strategy = enumFlag('strategy', v.strategy, ['full', 'linear-probe', 'partial', 'scratch'] as const);
  if (v['freeze-up-to'] !== undefined && strategy !== 'partial') throw new CliError("--freeze-up-to needs --strategy partial");
  if (strategy === 'partial' && v['freeze-up-to'] === undefined) throw new CliError('--strategy partial needs --freeze-up-to STAGE (e.g. layer1)');
  if (v.resume !== undefined && (v.config !== undefined || v.weights !== undefined || v.out !== undefined)) throw new CliError('--resume DIR continues a run with its own config.json; it cannot be combined with --config, --weights or --out');
  const head = enumFlag('head', v.head, ['reinit', 'imprint', 'keep'] as const);
  if (ada && head === 'imprint') throw new CliError("--head must be reinit or keep with --method adafilter, got 'imprint'");
  const stages = v.stages === undefined ? undefined : v.stages.split(',').map((x) => x.trim());
  if (stages && stages.some((x) => !x)) throw new CliError(`--stages must be a comma-separated list of stage names (e.g. layer2,layer3), got '${v.stages}'`);
  // with --resume, data and budget not given are the run's own (a given one must match it)
  const base = v.resume !== undefined ? runFlags(v, undefined, undefined) : runFlags(v, 'fmnist:target-mid', 50);
  return assignDefined<FinetuneArgs>({ ...base, weights: v.weights ?? null, resume: v.resume ?? null }, {
    method, strategy, elr: numFlag('elr', v.elr, { gt: 0 }), lr: numFlag('lr', v.lr, { gt: 0 }), momentum: numFlag('momentum', v.momentum, { min: 0, lt: 1 }),
    regularizer: enumFlag('regularizer', v.regularizer, ['l2', 'l2-sp', 'none'] as const),
    alpha: numFlag('alpha', v.alpha, { min: 0 }), beta: numFlag('beta', v.beta, { min: 0 }),
    weightDecay: numFlag('weight-decay', v['weight-decay'], { min: 0 }),
    head, bn: enumFlag('bn', v.bn, ['train', 'frozen'] as const),
    freezeUpTo: v['freeze-up-to'],
    gate: enumFlag('gate', v.gate, ['lstm', 'gru', 'mlp'] as const), binarize: enumFlag('binarize', v.binarize, ['st', 'gumbel'] as const),
    temperature: numFlag('temperature', v.temperature, { gt: 0 }), stages, gatedBn: v['no-gated-bn'] ? false : undefined,
    usagePenalty: numFlag('usage-penalty', v['usage-penalty'], { min: 0 }), gateLrScale: numFlag('gate-lr-scale', v['gate-lr-scale'], { min: 0 }),
    headLrScale: numFlag('head-lr-scale', v['head-lr-scale'], { min: 0 }),
  });
}

/** Parses `adaptune quickstart` flags. */
export function parseQuickstart(args: string[]): QuickstartArgs | 'help' {
  const { values: v, positionals } = strictParse('quickstart', args, {
    data: COMMON.data, 'labels-per-class': COMMON['labels-per-class'], seed: COMMON.seed, out: COMMON.out, json: COMMON.json,
    threads: COMMON.threads, quick: { type: 'boolean' }, help: COMMON.help,
  } as const);
  if (v.help) return 'help';
  noPositionals('quickstart', positionals);
  return assignDefined<QuickstartArgs>({
    ...taskFlags(v, 'fmnist:target-mid', 50), seed: intFlag('seed', v.seed, 0) ?? 0, out: v.out ?? null, quick: v.quick === true, json: v.json === true,
  }, { threads: intFlag('threads', v.threads) });
}

/**
 * @module The option-table entries every run command shares (run directory, config file, --set, threads, --json,
 * seed, epochs, batch size, the benchmark task), built with src/core/options.ts. A method's table spreads the ones
 * it takes (see src/methods/finetune/options.ts). No native code.
 */
import { ConfigError } from '../core/errors.js';
import { opt } from '../core/options.js';
import { parseLabelsPerClass, parseTaskSpec, type LabelsPerClass, type TaskName } from '../data/tasks/spec.js';
import { checkDataSpec } from '../data/spec.js';
import { MODEL_NAMES } from '../models/names.js';

/** The training augmentations (= data.AUGMENTS, repeated here without native code; a test checks they agree). */
export const AUGMENT_NAMES = ['none', 'flip', 'crop', 'crop+flip', 'randaugment', 'trivialaugment', 'mixup', 'cutmix'] as const;

/** A --set item: field.path=value. */
const setItem = (s: string): string | null => (s.indexOf('=') <= 0 ? 'must look like field.path=value (e.g. --set optim.lr=0.01)' : null);

/** --data TASK through the benchmark's own validator. */
export const taskOption = (s: { default?: TaskName; defaultText?: string; doc?: string; section?: string } = {}) =>
  opt.custom<TaskName>((v) => parseTaskSpec(v).name, { arg: 'TASK', doc: s.doc ?? 'benchmark task (fmnist:source, fmnist:target-mid, fmnist:target-shift, textures:target-far)', ...s });

/** --labels-per-class N: the seeded, class-balanced label budget. */
export const labelsOption = (s: { default?: LabelsPerClass; defaultText?: string; doc?: string; section?: string } = {}) =>
  opt.custom<LabelsPerClass>((v) => {
    try { return parseLabelsPerClass(v); } catch (e) { throw e instanceof ConfigError ? new ConfigError(e.message.replace('task options.labelsPerClass', 'the label budget')) : e; }
  }, { arg: 'N', doc: s.doc ?? 'labelled images per class: any N >= 1, or all', ...s });

/** The run-placement and output entries (out, resume, config, set, threads, json). */
export const RUN_OPTIONS = {
  config: opt.string({ arg: 'FILE', doc: 'JSON/YAML engine config (method options under "method");\norder: defaults < file < flags < --set', default: null }),
  set: opt.list({ repeat: true, item: setItem, arg: 'a.b=c', doc: 'override any config field, repeatable (e.g. --set maxSteps=100)' }),
  out: opt.string({ arg: 'DIR', doc: 'run directory', defaultText: 'runs/<timestamp>-<command>', default: null }),
  threads: opt.int({ min: 1, doc: 'libtorch intra-op threads', defaultText: 'ADAPTUNE_NUM_THREADS or the cores' }),
  precision: opt.enum(['fp32', 'bf16', 'fp16'] as const, { arg: 'P', default: null, defaultText: 'fp32', doc: 'forward precision: fp32, or mixed precision through autocast (weights and\ngradients stay fp32): bf16 (CPU or CUDA), fp16 (CUDA, with loss scaling)' }),
  json: opt.bool({ doc: 'print ONE JSON object on stdout (progress stays on stderr)' }),
} as const;

/** The launcher's entries (torchrun's conventions; src/cli/launch.ts takes them out of any training command's flags). */
const LAUNCH = 'Data-parallel launch (any training command; torchrun conventions)';
export const LAUNCH_OPTIONS = {
  nproc: opt.int({ min: 1, doc: 'worker processes on this machine', section: LAUNCH }),
  nprocPerNode: opt.int({ min: 1, doc: "the same as --nproc (torchrun's name)", section: LAUNCH }),
  nnodes: opt.int({ min: 1, arg: 'M', default: 1, doc: 'machines', section: LAUNCH }),
  nodeRank: opt.int({ min: 0, arg: 'K', default: 0, doc: "this machine's index (below --nnodes)", section: LAUNCH }),
  masterAddr: opt.string({ arg: 'HOST', default: '127.0.0.1', doc: "rank 0's machine", section: LAUNCH }),
  masterPort: opt.int({ min: 1, max: 65535, arg: 'PORT', default: 29500, doc: "rank 0's rendezvous port", section: LAUNCH }),
} as const;

/** --resume DIR. */
export const resumeOption = (doc = 'continue an interrupted run from its newest valid checkpoint') => opt.string({ arg: 'DIR', doc, default: null });
/** --seed N. */
export const seedOption = (doc = 'seed of init, data order and augmentation', section?: string) => opt.int({ min: 0, default: 0, doc, ...(section ? { section } : {}) });
/** --epochs N. */
export const epochsOption = (dflt: number, doc = 'passes over the training set', section?: string) => opt.int({ min: 1, default: dflt, doc, ...(section ? { section } : {}) });
/** --batch-size N. */
export const batchSizeOption = (dflt: number, doc = 'examples per step', section?: string) => opt.int({ min: 1, default: dflt, doc, ...(section ? { section } : {}) });

/** --data SPEC: a built-in task, imagefolder:DIR or csv:FILE (or, with `kinds`, mvtec:DIR / anomaly:DIR). */
export const dataSpecOption = (s: { default?: string; defaultText?: string; doc?: string; section?: string; kinds?: readonly string[] } = {}) => {
  const { kinds = ['imagefolder', 'csv'], ...rest } = s;
  return opt.custom<string>((v) => checkDataSpec(v, kinds), {
    arg: 'SPEC', doc: s.doc ?? `data: a built-in task (fmnist:source, fmnist:target-mid, fmnist:target-shift,\ntextures:target-far), ${kinds.map((k) => `${k}:${k === 'csv' ? 'FILE' : 'DIR'}`).join(', ')} (docs/own-data-and-weights.md)`, ...rest,
  });
};

/** The data and model entries every supervised run takes besides --data and --labels-per-class (docs/own-data-and-weights.md). */
export const dataOptions = (section?: string) => {
  const sec = section ? { section } : {};
  return {
    model: opt.enum(MODEL_NAMES, { arg: 'NAME', default: null, defaultText: "the weights' sidecar, else inferred from the keys", doc: 'registry model: resnet18/34/50, cifar_resnet18/20/32/34/56, small_cnn; the\narchitecture of --weights, or alone a freshly initialised model', ...sec }),
    valFraction: opt.number({ min: 0, lt: 1, arg: 'F', default: 0.1, doc: 'held out of the labelled training images for validation (best\ncheckpoint, early stopping, rankings), at least one per class;\nthe data\'s own val/ when it has one', ...sec }),
    testFraction: opt.number({ gt: 0, lt: 1, arg: 'F', default: 0.2, doc: 'held out for testing when the data has no test/ split', ...sec }),
    imageSize: opt.int({ min: 8, max: 4096, arg: 'N', default: null, defaultText: '28 on built-in tasks, 224 for torchvision ResNets, else the\nsidecar\'s or 32', doc: 'model input size: resize the shorter side to N*256/224, center crop N', ...sec }),
  } as const;
};

/** --augment NAME. */
export const augmentOption = (section?: string) => opt.enum(AUGMENT_NAMES, { arg: 'A', default: 'crop+flip', doc: 'training augmentation: none, flip, crop, crop+flip, randaugment,\ntrivialaugment, mixup, cutmix', ...(section ? { section } : {}) });
/** --optimizer NAME. */
export const optimizerOption = (section?: string, doc = 'sgd (with --elr/--momentum), adam or adamw (--lr, default 1e-3)') => opt.enum(['sgd', 'adam', 'adamw'] as const, { arg: 'O', default: 'sgd', doc, ...(section ? { section } : {}) });
/** --max-steps N. */
export const maxStepsOption = (section?: string) => opt.int({ min: 1, arg: 'N', doc: 'stop after N optimizer steps (overrides --epochs)', ...(section ? { section } : {}) });
/** --weights FILE (any format loadWeights reads). */
export const weightsOption = (s: { doc?: string; defaultText?: string; section?: string } = {}) => opt.string({ arg: 'FILE', default: null, defaultText: s.defaultText ?? 'the bundled backbone (or --model alone: fresh)', doc: s.doc ?? 'weights: .safetensors (with or without sidecar) or a PyTorch\n.pth/.pt/.bin state dict (weights-only reader)', ...(s.section ? { section: s.section } : {}) });

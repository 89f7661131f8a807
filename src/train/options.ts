/**
 * @module The option-table entries every run command shares (run directory, config file, --set, threads, --json,
 * seed, epochs, batch size, the benchmark task), built with src/core/options.ts. A method's table spreads the ones
 * it takes (see src/methods/finetune/options.ts). No native code.
 */
import { ConfigError } from '../core/errors.js';
import { opt } from '../core/options.js';
import { parseLabelsPerClass, parseTaskSpec, type LabelsPerClass, type TaskName } from '../data/tasks/spec.js';

/** A --set item: field.path=value. */
const setItem = (s: string): string | null => (s.indexOf('=') <= 0 ? 'must look like field.path=value (e.g. --set optim.lr=0.01)' : null);

/** --data TASK through the benchmark's own validator. */
export const taskOption = (s: { default?: TaskName; defaultText?: string; doc?: string; section?: string } = {}) =>
  opt.custom<TaskName>((v) => parseTaskSpec(v).name, { arg: 'TASK', doc: s.doc ?? 'benchmark task (fmnist:source, fmnist:target-mid, fmnist:target-shift, textures:target-far)', ...s });

/** --labels-per-class N: the seeded, class-balanced label budget. */
export const labelsOption = (s: { default?: LabelsPerClass; doc?: string; section?: string } = {}) =>
  opt.custom<LabelsPerClass>((v) => {
    try { return parseLabelsPerClass(v); } catch (e) { throw e instanceof ConfigError ? new ConfigError(e.message.replace('task options.labelsPerClass', 'the label budget')) : e; }
  }, { arg: 'N', doc: s.doc ?? '10, 50, 100 or all', ...s });

/** The run-placement and output entries (out, resume, config, set, threads, json). */
export const RUN_OPTIONS = {
  config: opt.string({ arg: 'FILE', doc: 'JSON/YAML engine config (method options under "method");\norder: defaults < file < flags < --set', default: null }),
  set: opt.list({ repeat: true, item: setItem, arg: 'a.b=c', doc: 'override any config field, repeatable (e.g. --set maxSteps=100)' }),
  out: opt.string({ arg: 'DIR', doc: 'run directory', defaultText: 'runs/<timestamp>-<command>', default: null }),
  threads: opt.int({ min: 1, doc: 'libtorch intra-op threads', defaultText: 'ADAPTUNE_NUM_THREADS or the cores' }),
  json: opt.bool({ doc: 'print ONE JSON object on stdout (progress stays on stderr)' }),
} as const;

/** --resume DIR. */
export const resumeOption = (doc = 'continue an interrupted run from its newest valid checkpoint') => opt.string({ arg: 'DIR', doc, default: null });
/** --seed N. */
export const seedOption = (doc = 'seed of init, data order and augmentation', section?: string) => opt.int({ min: 0, default: 0, doc, ...(section ? { section } : {}) });
/** --epochs N. */
export const epochsOption = (dflt: number, doc = 'passes over the training set', section?: string) => opt.int({ min: 1, default: dflt, doc, ...(section ? { section } : {}) });
/** --batch-size N. */
export const batchSizeOption = (dflt: number, doc = 'examples per step', section?: string) => opt.int({ min: 1, default: dflt, doc, ...(section ? { section } : {}) });

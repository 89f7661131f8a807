/**
 * @module The engine's configuration: the typed TrainConfig, its defaults, one
 * validator (errors name the field and the allowed range), the merge
 * defaults < config file < flags, `a.b=c` overrides, and the config hash
 * recorded in checkpoints. Method options live under `method` and are validated
 * by the method itself; the engine only carries and hashes them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '../core/errors.js';

/** Everything the training loop reads; `M` is the method's resolved options (untyped for the engine itself). */
export interface TrainConfig<M extends object = Record<string, unknown>> {
  /** Seed of every random stream (libtorch's generator, data order, the tasks' JS PRNG). */
  seed: number;
  /** Passes over the data. */
  epochs: number;
  /** Optimizer steps of the run; when set it overrides epochs (null: epochs × steps per epoch). */
  maxSteps: number | null;
  /** Micro-batches per optimizer step (gradient accumulation). */
  accumulate: number;
  /** Clip the total gradient 2-norm to this value (null: no clipping). */
  clipGradNorm: number | null;
  /**
   * Precision of the forward passes: 'fp32', or mixed precision through libtorch's autocast with float32 weights
   * and gradients: 'bf16' (CPU or CUDA) or 'fp16' (CUDA only, with dynamic loss scaling).
   */
  precision: 'fp32' | 'bf16' | 'fp16';
  optim: {
    name: 'sgd' | 'adam' | 'adamw';
    lr: number;
    /** SGD momentum. */
    momentum: number;
    nesterov: boolean;
    /** null: the optimizer's own default (0; 0.01 for AdamW). */
    weightDecay: number | null;
    betas: [number, number];
    eps: number;
  };
  scheduler: {
    name: 'none' | 'step' | 'multistep' | 'exponential' | 'cosine' | 'linear' | 'onecycle';
    /** Step the schedule after every optimizer step or every epoch. */
    interval: 'step' | 'epoch';
    stepSize: number;
    gamma: number;
    milestones: number[];
    /** Cosine period (null: the whole run in the chosen interval). */
    tMax: number | null;
    etaMin: number;
    startFactor: number;
    endFactor: number;
    totalIters: number;
    /** OneCycle peak lr (null: optim.lr). */
    maxLr: number | null;
    pctStart: number;
  };
  eval: {
    /** Evaluate every N optimizer steps (0: never by steps). */
    every: number;
    atEpochEnd: boolean;
    /**
     * Evaluate the final weights when the run completes between scheduled evaluations (maxSteps ending
     * mid-epoch, or a step count that is not a multiple of every), so that they are a candidate for
     * checkpoint.monitor and earlyStop. Only when evaluation is on (every > 0 or atEpochEnd).
     */
    atEnd: boolean;
  };
  earlyStop: {
    /** Metric returned by evaluate() (null: no early stopping). */
    metric: string | null;
    mode: 'min' | 'max';
    /** Evaluations without improvement before stopping. */
    patience: number;
    /** Smallest change that counts as an improvement. */
    minDelta: number;
  };
  checkpoint: {
    /** Save every N optimizer steps (0: only at epoch ends, improvements, stops and the end). */
    every: number;
    atEpochEnd: boolean;
    /** Newest checkpoints kept (the best one is always kept too). */
    keep: number;
    /** Metric that selects the best checkpoint (null: earlyStop.metric). */
    monitor: string | null;
    mode: 'min' | 'max';
  };
  guard: {
    /** On a NaN/Inf loss or gradient: stop with NonFiniteError, or skip the step. */
    nonFinite: 'stop' | 'skip';
    /** With 'skip': consecutive skipped steps before giving up. */
    maxSkips: number;
    /** Loading a checkpoint with non-finite values: refuse or warn. */
    onLoad: 'refuse' | 'warn';
  };
  log: {
    /** Write a metrics line every N optimizer steps. */
    every: number;
    /** Also write the logged scalars as TensorBoard event files (RUN_DIR/tensorboard/). */
    tensorboard: boolean;
  };
  resume: {
    /** A checkpoint whose config, method or libtorch differs: refuse or warn. */
    onMismatch: 'refuse' | 'warn';
  };
  /**
   * Data-parallel settings (src/train/distributed.ts, DataParallelOptions), used when the run has several ranks
   * (`--nproc N`); a single-process run ignores them. TrainOptions.parallel, given in code, overrides them.
   */
  parallel: {
    /** Overlap the gradient all-reduces with the backward pass (null: wherever the addon has the gradient hooks). */
    overlap: boolean | null;
    /** Gradient bucket size in MiB (PyTorch DDP's bucket_cap_mb). */
    bucketMb: number;
    /** Batch norm statistics over the global batch while training (PyTorch's SyncBatchNorm). */
    syncBatchNorm: boolean;
    /** Floating buffers (BN running statistics) before evaluation and checkpoints: averaged, rank 0's, or left per rank. */
    buffers: 'average' | 'broadcast' | 'none';
  };
  /** The method's own options (validated by the method). */
  method: M;
}

/** Built-in defaults. */
export const defaultTrainConfig: TrainConfig = {
  seed: 0, epochs: 1, maxSteps: null, accumulate: 1, clipGradNorm: null, precision: 'fp32',
  optim: { name: 'sgd', lr: 0.01, momentum: 0, nesterov: false, weightDecay: null, betas: [0.9, 0.999], eps: 1e-8 },
  scheduler: {
    name: 'none', interval: 'step', stepSize: 1, gamma: 0.1, milestones: [], tMax: null, etaMin: 0,
    startFactor: 1 / 3, endFactor: 1, totalIters: 5, maxLr: null, pctStart: 0.3,
  },
  eval: { every: 0, atEpochEnd: true, atEnd: true },
  earlyStop: { metric: null, mode: 'min', patience: 3, minDelta: 0 },
  checkpoint: { every: 0, atEpochEnd: true, keep: 3, monitor: null, mode: 'min' },
  guard: { nonFinite: 'stop', maxSkips: 10, onLoad: 'refuse' },
  log: { every: 1, tensorboard: true },
  resume: { onMismatch: 'refuse' },
  parallel: { overlap: null, bucketMb: 25, syncBatchNorm: false, buffers: 'average' },
  method: {},
};

/** Recursively partial config, as a file or flags give it. */
export type PartialConfig = { [K in keyof TrainConfig]?: TrainConfig[K] extends unknown[] | null ? TrainConfig[K]
  : TrainConfig[K] extends object ? Partial<TrainConfig[K]> : TrainConfig[K] };

type Rule = { t: 'int'; min: number; max?: number; nullable?: boolean } | { t: 'num'; min?: number; gt?: number; max?: number; nullable?: boolean }
  | { t: 'bool'; nullable?: boolean } | { t: 'enum'; values: readonly string[] } | { t: 'str'; nullable: boolean } | { t: 'ints' } | { t: 'pair'; min: number; max: number };

const SAFE = Number.MAX_SAFE_INTEGER;
const RULES: Record<string, Rule> = {
  seed: { t: 'int', min: 0, max: SAFE }, epochs: { t: 'int', min: 1 }, maxSteps: { t: 'int', min: 1, nullable: true },
  accumulate: { t: 'int', min: 1 }, clipGradNorm: { t: 'num', gt: 0, nullable: true }, precision: { t: 'enum', values: ['fp32', 'bf16', 'fp16'] },
  'optim.name': { t: 'enum', values: ['sgd', 'adam', 'adamw'] }, 'optim.lr': { t: 'num', gt: 0 },
  'optim.momentum': { t: 'num', min: 0 }, 'optim.nesterov': { t: 'bool' }, 'optim.weightDecay': { t: 'num', min: 0, nullable: true },
  'optim.betas': { t: 'pair', min: 0, max: 1 }, 'optim.eps': { t: 'num', gt: 0 },
  'scheduler.name': { t: 'enum', values: ['none', 'step', 'multistep', 'exponential', 'cosine', 'linear', 'onecycle'] },
  'scheduler.interval': { t: 'enum', values: ['step', 'epoch'] }, 'scheduler.stepSize': { t: 'int', min: 1 },
  'scheduler.gamma': { t: 'num', gt: 0 }, 'scheduler.milestones': { t: 'ints' }, 'scheduler.tMax': { t: 'int', min: 1, nullable: true },
  'scheduler.etaMin': { t: 'num', min: 0 }, 'scheduler.startFactor': { t: 'num', gt: 0, max: 1 },
  'scheduler.endFactor': { t: 'num', min: 0, max: 1 }, 'scheduler.totalIters': { t: 'int', min: 1 },
  'scheduler.maxLr': { t: 'num', gt: 0, nullable: true }, 'scheduler.pctStart': { t: 'num', min: 0, max: 1 },
  'eval.every': { t: 'int', min: 0 }, 'eval.atEpochEnd': { t: 'bool' }, 'eval.atEnd': { t: 'bool' },
  'earlyStop.metric': { t: 'str', nullable: true }, 'earlyStop.mode': { t: 'enum', values: ['min', 'max'] },
  'earlyStop.patience': { t: 'int', min: 1 }, 'earlyStop.minDelta': { t: 'num', min: 0 },
  'checkpoint.every': { t: 'int', min: 0 }, 'checkpoint.atEpochEnd': { t: 'bool' }, 'checkpoint.keep': { t: 'int', min: 1 },
  'checkpoint.monitor': { t: 'str', nullable: true }, 'checkpoint.mode': { t: 'enum', values: ['min', 'max'] },
  'guard.nonFinite': { t: 'enum', values: ['stop', 'skip'] }, 'guard.maxSkips': { t: 'int', min: 1 },
  'guard.onLoad': { t: 'enum', values: ['refuse', 'warn'] }, 'log.every': { t: 'int', min: 1 }, 'log.tensorboard': { t: 'bool' },
  'resume.onMismatch': { t: 'enum', values: ['refuse', 'warn'] },
  'parallel.overlap': { t: 'bool', nullable: true }, 'parallel.bucketMb': { t: 'num', gt: 0 },
  'parallel.syncBatchNorm': { t: 'bool' }, 'parallel.buffers': { t: 'enum', values: ['average', 'broadcast', 'none'] },
};

function describe(r: Rule): string {
  switch (r.t) {
    case 'int': return `an integer in [${r.min}, ${r.max === undefined || r.max === SAFE ? '∞' : r.max}]${r.nullable ? ' or null' : ''}`;
    case 'num': return `a finite number${r.gt !== undefined ? ` > ${r.gt}` : ''}${r.min !== undefined ? ` >= ${r.min}` : ''}${r.max !== undefined ? ` <= ${r.max}` : ''}${r.nullable ? ' or null' : ''}`;
    case 'bool': return `true or false${r.nullable ? ' or null' : ''}`;
    case 'enum': return `one of ${r.values.map((v) => `'${v}'`).join(', ')}`;
    case 'str': return `a non-empty string${r.nullable ? ' or null' : ''}`;
    case 'ints': return 'an array of integers >= 0';
    case 'pair': return `two numbers in [${r.min}, ${r.max})`;
  }
}

function ok(r: Rule, v: unknown): boolean {
  if (v === null && 'nullable' in r && r.nullable) return true;
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  switch (r.t) {
    case 'int': return Number.isSafeInteger(v) && (v as number) >= r.min && (r.max === undefined || (v as number) <= r.max);
    case 'num': return num(v) && (r.gt === undefined || v > r.gt) && (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
    case 'bool': return typeof v === 'boolean';
    case 'enum': return typeof v === 'string' && r.values.includes(v);
    case 'str': return typeof v === 'string' && v.length > 0;
    case 'ints': return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
    case 'pair': return Array.isArray(v) && v.length === 2 && v.every((x) => num(x) && x >= r.min && x < r.max);
  }
}

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Checks every field (ConfigError naming the field, the allowed range and the value); returns the config typed. */
export function validateConfig(c: unknown): TrainConfig {
  if (!isPlain(c)) throw new ConfigError('config must be an object');
  for (const [path, v] of flatten(c)) {
    if (path === 'method' || path.startsWith('method.')) continue;
    const rule = RULES[path];
    if (!rule && isPlain(v) && Object.keys(RULES).some((k) => k.startsWith(`${path}.`))) continue; // an empty section: its fields are reported missing below
    if (!rule) {
      const known = Object.keys(RULES).filter((k) => k.split('.')[0] === path.split('.')[0]);
      throw new ConfigError(`unknown config field '${path}'${known.length ? ` (known here: ${known.join(', ')})` : ''}`);
    }
    if (!ok(rule, v)) throw new ConfigError(`config field '${path}' must be ${describe(rule)}, got ${JSON.stringify(v)}`);
  }
  for (const path of Object.keys(RULES)) {
    if (get(c, path) === undefined) throw new ConfigError(`config field '${path}' is missing (it must be ${describe(RULES[path]!)})`);
  }
  if (!isPlain(c.method)) throw new ConfigError(`config field 'method' must be an object, got ${JSON.stringify(c.method)}`);
  const t = c as unknown as TrainConfig;
  if (t.optim.nesterov && (t.optim.name !== 'sgd' || t.optim.momentum <= 0)) {
    throw new ConfigError(`config field 'optim.nesterov' needs optim.name 'sgd' and optim.momentum > 0`);
  }
  if (t.scheduler.name === 'onecycle' && t.scheduler.interval !== 'step') {
    throw new ConfigError(`config field 'scheduler.interval' must be 'step' for scheduler 'onecycle'`);
  }
  return t;
}

/** [dotted path, value] for every leaf (arrays are leaves). */
export function flatten(o: object, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(o)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (isPlain(v) && Object.keys(v).length) out.push(...flatten(v, p));
    else out.push([p, v]);
  }
  return out;
}

function get(o: Record<string, unknown>, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) v = isPlain(v) ? v[k] : undefined;
  return v;
}

/** Keys refused anywhere in a config (they would reach Object.prototype or be dropped silently). */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** Throws ConfigError if any key at any depth of `v` is one of FORBIDDEN_KEYS. */
export function checkConfigKeys(v: unknown, prefix = ''): void {
  if (Array.isArray(v)) { v.forEach((x, i) => checkConfigKeys(x, `${prefix}${i}.`)); return; }
  if (!isPlain(v)) return;
  for (const k of Object.keys(v)) {
    if (FORBIDDEN_KEYS.includes(k)) throw new ConfigError(`config key '${prefix}${k}' is not allowed (${FORBIDDEN_KEYS.join(', ')} are refused)`);
    checkConfigKeys(v[k], `${prefix}${k}.`);
  }
}

/**
 * Deep merge: objects merge key by key, everything else (arrays included) replaces. A value that is not
 * an object (or null) given for a section that is an object is an error naming the section (`--set optim=5`),
 * and so is a forbidden key (`__proto__`, `constructor`, `prototype`) anywhere.
 */
export function mergeConfig<T>(base: T, ...layers: unknown[]): T {
  let out: unknown = structuredClone(base);
  for (const layer of layers) {
    if (layer === undefined || layer === null) continue;
    if (!isPlain(layer)) throw new ConfigError(`a config layer must be an object, got ${JSON.stringify(layer)}`);
    checkConfigKeys(layer);
    out = mergeTwo(out, layer, '');
  }
  return out as T;
}
function mergeTwo(a: unknown, b: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = isPlain(a) ? { ...a } : {};
  for (const [k, v] of Object.entries(b)) {
    const cur = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
    if (isPlain(cur) && Object.keys(cur).length && v !== null && v !== undefined && !isPlain(v)) {
      const fields = Object.keys(cur).slice(0, 4).map((f) => `${prefix}${k}.${f}`);
      throw new ConfigError(`config field '${prefix}${k}' is a section, not a value (got ${JSON.stringify(v)}); set its fields instead, e.g. ${fields.join(', ')}`);
    }
    out[k] = isPlain(v) && isPlain(cur) ? mergeTwo(cur, v, `${prefix}${k}.`) : structuredClone(v);
  }
  return out;
}

/** Turns `a.b=c` flags into a nested object; values parse as JSON when they can (3, true, null, [1,2]), else strings. */
export function parseOverrides(flags: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new ConfigError(`override '${f}' must look like field.path=value`);
    const path = f.slice(0, eq).trim();
    const raw = f.slice(eq + 1);
    let value: unknown = raw;
    try { value = JSON.parse(raw); } catch { /* a bare string */ }
    const keys = path.split('.');
    for (const k of keys) {
      if (!k) throw new ConfigError(`override '${f}': empty field name in '${path}'`);
      if (FORBIDDEN_KEYS.includes(k)) throw new ConfigError(`override '${f}': field name '${k}' is not allowed (${FORBIDDEN_KEYS.join(', ')} are refused)`);
    }
    checkConfigKeys(value, `${path}.`);
    let node = out;
    for (const k of keys.slice(0, -1)) node = (isPlain(node[k]) ? node[k] : (node[k] = {})) as Record<string, unknown>;
    node[keys[keys.length - 1]!] = value;
  }
  return out;
}

/** Reads a JSON config file (YAML once the `yaml` package is installed); errors name the file. */
export async function loadConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`); }
  const ext = extname(file).toLowerCase();
  let data: unknown;
  if (ext === '.yaml' || ext === '.yml') {
    const name = 'yaml';
    let yaml: { parse(s: string): unknown };
    try { yaml = (await import(name)) as { parse(s: string): unknown }; } catch {
      throw new ConfigError(`${file}: YAML configs need the 'yaml' package (npm install yaml); use a .json config meanwhile`);
    }
    try { data = yaml.parse(text); } catch (e) { throw new ConfigError(`${file}: invalid YAML (${(e as Error).message})`); }
  } else {
    try { data = JSON.parse(text); } catch (e) { throw new ConfigError(`${file}: invalid JSON (${(e as Error).message})`); }
  }
  if (!isPlain(data)) throw new ConfigError(`${file}: the config must be an object at the top level`);
  try {
    checkConfigKeys(data);
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
  return data;
}

/** defaults < config file < flags (`a.b=c` strings or a nested object), then validation. */
export async function resolveConfig(o: { file?: string | null; config?: unknown; flags?: string[] | Record<string, unknown> } = {}): Promise<TrainConfig> {
  const fromFile = o.file ? await loadConfigFile(o.file) : undefined;
  const flags = Array.isArray(o.flags) ? parseOverrides(o.flags) : o.flags;
  return validateConfig(mergeConfig(defaultTrainConfig, fromFile, o.config, flags));
}

/** Synchronous resolve for code callers: defaults < partial config, validated. */
export function makeConfig(partial: unknown = {}): TrainConfig {
  return validateConfig(mergeConfig(defaultTrainConfig, partial));
}

/** An engine config with the method's options replaced by their validated, typed form. */
export function withMethod<M extends object>(c: TrainConfig<object>, method: M): TrainConfig<M> {
  return { ...c, method };
}

/**
 * Fields that do not change what is trained (ignored by the hash and by resume checks). The data-parallel overlap
 * and bucket size change when the gradients are summed, not their sums.
 */
export const NON_BINDING = ['log.', 'checkpoint.', 'resume.', 'parallel.overlap', 'parallel.bucketMb'];

/**
 * Fields added after runs were first saved (dotted paths), with the value that older runs had: at that value they
 * are left out of the hash and the resume comparison, so checkpoints written before the field existed still resume.
 */
const ADDED_FIELDS: Record<string, unknown> = { precision: 'fp32', ...Object.fromEntries(flatten({ parallel: defaultTrainConfig.parallel })) };
const nonBinding = (p: string): boolean => NON_BINDING.some((n) => p === n || p.startsWith(n));
/** The same config with every added field it lacks at the value older runs had (so a diff names that value). */
const withAdded = (c: object): object => {
  const out = structuredClone(c) as Record<string, unknown>;
  for (const [path, v] of Object.entries(ADDED_FIELDS)) {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = (isPlain(node[k]) ? node[k] : (node[k] = {})) as Record<string, unknown>;
    if (node[keys[keys.length - 1]!] === undefined) node[keys[keys.length - 1]!] = v;
  }
  return out;
};

/** SHA-256 of the binding fields in canonical form (sorted keys). */
export function configHash(c: TrainConfig<object>): string {
  const atOldValue = ([p, v]: [string, unknown]): boolean => p in ADDED_FIELDS && JSON.stringify(v) === JSON.stringify(ADDED_FIELDS[p]);
  const binding = flatten(withAdded(c)).filter((e) => !atOldValue(e) && !nonBinding(e[0]))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(binding)).digest('hex');
}

/** The binding fields whose values differ: 'optim.lr: checkpoint 0.1, now 0.2'. */
export function configDiff(saved: TrainConfig<object>, now: TrainConfig<object>): string[] {
  return flatDiff(withAdded(saved), withAdded(now), nonBinding, 'checkpoint');
}

/** The dotted paths (other than those `skip` names) where two plain objects differ, each as 'path: LABEL X, now Y'. */
export function flatDiff(saved: object, now: object, skip: (path: string) => boolean, label: string): string[] {
  const a = new Map(flatten(saved));
  const b = new Map(flatten(now));
  return [...new Set([...a.keys(), ...b.keys()])].filter((p) => !skip(p)).sort()
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .map((k) => `${k}: ${label} ${JSON.stringify(a.get(k))}, now ${JSON.stringify(b.get(k))}`);
}

/**
 * @module The run lifecycle every method's run function shares: where a run goes (a new or given directory,
 * checked before anything is written), resuming one (its saved arguments and config; changed settings are
 * refused, naming them, except an explicit extension of epochs/steps), the saved arguments, the log, progress,
 * and the summary merge. One config-layering function for every command: defaults < file < flags < --set.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { configDiff, flatDiff, loadConfigFile, makeConfig, mergeConfig, parseOverrides, type TrainConfig } from './config.js';
import { resume, train } from './run.js';
import type { Task } from './task.js';
import type { TrainEvent, TrainOptions, TrainResult } from './events.js';
import { createProgress } from './progress.js';
import { atomicWriteJson } from './atomic.js';
import { makeDirs, newRunDir } from './rundir.js';

/** Optional hooks of every run function. */
export interface RunHooks {
  /** Every training event (progress, evaluations, checkpoints), after the run's own log. */
  onEvent?: (e: TrainEvent) => void;
  /** No progress on stderr (default false: a bar on a TTY, plain lines otherwise). */
  quiet?: boolean;
  /** Catch SIGINT/SIGTERM and stop cleanly (default true). */
  handleSignals?: boolean;
  /** Aborting it stops training after the current step (a checkpoint is saved; status 'stopped'). */
  signal?: AbortSignal;
  /** The command recorded in the run's log and summary (the CLI passes the command line). */
  command?: string;
}

/** The file in a run directory that records the run's arguments (data, weights, batch size ...). */
export const ARGS_FILE = 'cli.json';

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The layers of layerConfig and their rules. */
export interface LayerOptions {
  defaults?: unknown; file?: string | null; flags?: unknown; set?: readonly string[];
  /** Pairs of dotted paths that exclude each other: a layer giving one drops the other from the layers below. */
  exclusive?: readonly (readonly [string, string])[];
  /** Objects replaced, not merged, by a layer whose `key` differs from the one below (e.g. method.schedule by its name). */
  replace?: readonly { path: string; key: string; fallback: string }[];
}

/**
 * The one config layering of every command: defaults < file < flags < `set` (`a.b=c` strings). `exclusive`
 * pairs of dotted paths (e.g. method.lr / method.elr): a layer that gives one of them drops the other from the
 * layers below. Returns the merged raw object; the method's resolver validates it.
 */
export async function layerConfig(o: LayerOptions): Promise<Record<string, unknown>> {
  const layers = [o.defaults ?? {}, o.file ? await loadConfigFile(o.file) : {}, o.flags ?? {}, parseOverrides([...(o.set ?? [])])];
  let merged: Record<string, unknown> = {};
  const at = (obj: unknown, path: string): { parent: Record<string, unknown> | null; key: string } => {
    const keys = path.split('.');
    let node: unknown = obj;
    for (const k of keys.slice(0, -1)) node = isPlain(node) ? node[k] : undefined;
    return { parent: isPlain(node) ? node : null, key: keys[keys.length - 1]! };
  };
  const given = (obj: unknown, path: string): boolean => { const { parent, key } = at(obj, path); return parent !== null && parent[key] !== undefined && parent[key] !== null; };
  for (const layer of layers) {
    for (const r of o.replace ?? []) {
      const below = at(merged, r.path);
      const cur = below.parent?.[below.key];
      const mine = at(layer, r.path).parent?.[at(layer, r.path).key];
      const name = (x: unknown): unknown => (isPlain(x) ? x[r.key] : undefined);
      if (name(mine) !== undefined && name(mine) !== (name(cur) ?? r.fallback) && below.parent) delete below.parent[below.key];
    }
    merged = mergeConfig(merged, layer);
    for (const [a, b] of o.exclusive ?? []) {
      const [ga, gb] = [given(layer, a), given(layer, b)];
      if (ga && !gb) { const p = at(merged, b); if (p.parent) p.parent[p.key] = null; }
      if (gb && !ga) { const p = at(merged, a); if (p.parent) p.parent[p.key] = null; }
    }
  }
  return merged;
}

/** Drops undefined entries (options not given). */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Whether a run directory holds at least one checkpoint (a run that got that far can be resumed). */
function hasCheckpoint(dir: string): boolean {
  const c = join(dir, 'checkpoints');
  return existsSync(c) && readdirSync(c).some((n) => n.startsWith('step-'));
}

/** What a run directory holds (only these are removed when a run stopped before its first checkpoint starts again). */
const RUN_FILES = new Set([ARGS_FILE, 'config.json', 'run.json', 'metrics.jsonl', 'summary.json', 'log.txt', 'train.log', 'checkpoints', 'tensorboard', 'weights.safetensors', 'weights.json']);

/** A run of ours stopped before its first checkpoint: its arguments file and nothing but run files. */
function isRunStub(dir: string): boolean {
  return existsSync(join(dir, ARGS_FILE)) && !hasCheckpoint(dir) && readdirSync(dir).every((n) => RUN_FILES.has(n));
}

/**
 * Checks that a new run may go to `out`: not '', not a file, not a folder with other content, not a run that
 * reached a checkpoint (resume that one); a run stopped before its first checkpoint may be started again.
 * A missing folder must be creatable (probed by making and removing its first missing level).
 */
export function checkRunOut(out: string, flag = '--out'): string {
  if (out.trim() === '') throw new ConfigError(`${flag} must name a directory, got ''`);
  const dir = resolve(out);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new ConfigError(`${flag} ${out}: that is a file, not a directory`);
    if (hasCheckpoint(dir)) throw new ConfigError(`${out} already holds a run (config.json); choose another ${flag} or continue it with --resume ${out}`);
    if (isRunStub(dir)) return dir; // stopped before its first checkpoint: started again from scratch
    if (readdirSync(dir).length) throw new ConfigError(`${flag} ${out}: the folder is not empty and holds no run; choose a new or empty folder`);
    return dir;
  }
  let first = dir;
  while (!existsSync(dirname(first))) { const up = dirname(first); if (up === first) break; first = up; }
  const parent = dirname(first);
  if (existsSync(parent) && !statSync(parent).isDirectory()) throw new ConfigError(`${flag} ${out}: ${parent} is a file, not a directory`);
  try { mkdirSync(first); rmdirSync(first); } catch (e) { throw new ConfigError(`${flag} ${out}: cannot create it (${(e as Error).message})`); }
  return dir;
}

/** Where a run goes, decided (and checked) before anything is loaded or written. */
export interface RunPlan<A> {
  kind: string;
  /** The directory (null: a new one under runs/ when the run starts). */
  dir: string | null;
  /** Set when resuming: the run's saved arguments and config. */
  saved: { args: A; config: Record<string, unknown> } | null;
}

/** Checks `out` or reads the run to resume (ConfigError naming the directory when it is no run of this kind, or has no checkpoint yet). */
export function planRun<A>(kind: string, o: { out?: string | null; resume?: string | null }): RunPlan<A> {
  if (o.resume !== undefined && o.resume !== null) {
    const dir = resolve(o.resume);
    const f = join(dir, ARGS_FILE);
    if (!existsSync(f)) throw new ConfigError(`--resume ${o.resume}: no ${ARGS_FILE} there (not a run of adaptune ${kind})`);
    const args = JSON.parse(readFileSync(f, 'utf8')) as A & { kind?: string };
    if (args.kind !== undefined && args.kind !== kind) throw new ConfigError(`--resume ${o.resume}: that is a run of adaptune ${args.kind}, not ${kind}`);
    const cf = join(dir, 'config.json');
    if (!existsSync(cf) || !hasCheckpoint(dir)) throw new ConfigError(`--resume ${o.resume}: the run stopped before its first checkpoint; start it again with --out ${o.resume}`);
    return { kind, dir, saved: { args, config: JSON.parse(readFileSync(cf, 'utf8')) as Record<string, unknown> } };
  }
  return { kind, dir: o.out === undefined || o.out === null ? null : checkRunOut(o.out), saved: null };
}

/**
 * Where a run without training checkpoints goes (e.g. jadce: its results are files such as models.safetensors or
 * points.jsonl). `marker` is the file that holds its results: when present, the directory holds a finished (or,
 * with `continues`, a partly done) run; a new run is refused there, and a continued one gets its saved arguments
 * and config (config {} for a directory written before runs recorded them). Otherwise a new run (checkRunOut).
 */
export function planOutputRun<A>(kind: string, out: string, o: { marker: string; continues?: boolean }): RunPlan<A> {
  if (out.trim() === '') throw new ConfigError(`--out must name a directory, got ''`);
  const dir = resolve(out);
  const args = savedRunArgs(dir);
  if (args && args.kind !== undefined && args.kind !== kind) throw new ConfigError(`--out ${out}: that is a run of adaptune ${String(args.kind)}, not ${kind}`);
  if (!existsSync(join(dir, o.marker))) return { kind, dir: checkRunOut(out), saved: null };
  if (!o.continues) throw new ConfigError(`${out} already holds a run of adaptune ${kind} (${o.marker}); choose another output directory`);
  const cf = join(dir, 'config.json');
  return { kind, dir, saved: { args: (args ?? {}) as A, config: existsSync(cf) ? JSON.parse(readFileSync(cf, 'utf8')) as Record<string, unknown> : {} } };
}

/** The dotted paths (other than `ignore` and its children) where two plain configs differ, each as 'path: the run has X, now Y'. */
export function settingsDiff(saved: object, now: object, ignore: readonly string[] = []): string[] {
  return flatDiff(saved, now, (k) => ignore.some((n) => k === n || k.startsWith(`${n}.`)), 'the run has');
}

/**
 * On resume: the options given now must agree with the run's saved arguments and config. `given` holds the
 * arguments given now (undefined: not given); `config` is the saved config with the given flags layered on,
 * resolved. Differences other than epochs/maxSteps throw a ConfigError naming each; epochs/maxSteps extend.
 */
export function checkResume(dir: string, saved: Record<string, unknown>, given: Record<string, unknown>, savedConfig: TrainConfig<object>, config: TrainConfig<object>): { extend: boolean } {
  const diffs: string[] = [];
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || k === 'kind' || k === 'command') continue;
    if (JSON.stringify(v) !== JSON.stringify(saved[k])) diffs.push(`${k}: the run has ${JSON.stringify(saved[k])}, now ${JSON.stringify(v)}`);
  }
  const cd = configDiff(savedConfig, config).map((d) => d.replace(': checkpoint ', ': the run has '));
  const extending = cd.filter((d) => /^(epochs|maxSteps): /.test(d));
  diffs.push(...cd.filter((d) => !/^(epochs|maxSteps): /.test(d)));
  if (diffs.length) throw new ConfigError(`--resume ${dir}: a resumed run keeps its own settings, and these differ: ${diffs.join('; ')} (only the epochs or steps may change, to extend it; start a new run for the rest)`);
  return { extend: extending.length > 0 };
}

/** How a run function layers its config (see runConfig). */
export interface ConfigLayers<M extends object = Record<string, unknown>> extends LayerOptions {
  /** The method's resolver: validates the merged object and returns the engine config. */
  resolve: (raw: Record<string, unknown>) => TrainConfig<M>;
  /** The arguments given now (undefined: not given), checked against a resumed run's saved ones. */
  given?: Record<string, unknown>;
}

/**
 * The config of a run. New: defaults < file < flags < set, resolved. Resumed: the run's saved config < flags < set,
 * resolved, and checked against the saved one and its arguments (checkResume): `extend` when only epochs/steps grew.
 */
export async function runConfig<A, M extends object>(plan: RunPlan<A>, l: ConfigLayers<M>): Promise<{ config: TrainConfig<M>; extend: boolean }> {
  if (!plan.saved) return { config: l.resolve(await layerConfig(l)), extend: false };
  if (l.file) throw new ConfigError(`--resume ${plan.dir} continues a run with its own config.json; it cannot be combined with --config`);
  const savedConfig = l.resolve(structuredClone(plan.saved.config));
  const layered = await layerConfig({ ...l, defaults: plan.saved.config, file: null });
  let config: TrainConfig<M>;
  try { config = l.resolve(layered); } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(`--resume ${plan.dir}: a resumed run keeps its own settings, and the options given now change them (${e.message}); only the epochs or steps may change`);
  }
  return { config, ...checkResume(plan.dir!, plan.saved.args as Record<string, unknown>, l.given ?? {}, savedConfig, config) };
}

/** An open run directory: its saved arguments, log, progress and summary. */
export class RunSession {
  readonly logFile: string;
  constructor(readonly dir: string, readonly resumed: boolean, readonly command: string, logName = 'log.txt') {
    this.logFile = join(dir, logName);
  }

  /** Creates the directory (or clears a run stopped before its first checkpoint), records `args`, and logs the command. */
  static open<A extends object>(plan: RunPlan<A>, args: A, o: { command?: string; root?: string } = {}): RunSession {
    const command = o.command ?? `(library) ${plan.kind}`;
    if (plan.saved) {
      const s = new RunSession(plan.dir!, true, command);
      s.log(`$ ${command}`);
      return s;
    }
    const dir = plan.dir ?? newRunDir(o.root ?? 'runs', plan.kind);
    if (existsSync(dir) && isRunStub(dir)) {
      for (const f of readdirSync(dir)) if (RUN_FILES.has(f)) rmSync(join(dir, f), { recursive: true, force: true });
    }
    makeDirs(dir);
    writeFileSync(join(dir, ARGS_FILE), JSON.stringify({ kind: plan.kind, ...args, command }, null, 2) + '\n');
    const s = new RunSession(dir, false, command);
    s.log(`$ ${command}`);
    return s;
  }

  /** Trains `task` with `config` in this directory, or resumes it (with `extend`, config.json takes the new epochs/steps first); a failed run throws. */
  async train<B>(task: Task<B>, config: TrainConfig<object>, o: Omit<TrainOptions<B>, 'runDir' | 'resume'>): Promise<TrainResult> {
    if (this.resumed && o.extend) atomicWriteJson(join(this.dir, 'config.json'), makeConfig(config));
    const result = this.resumed ? await resume(this.dir, task, { ...o, config }) : await train(task, config, { ...o, runDir: this.dir });
    if (result.status === 'failed') throw new Error(`training failed; see ${this.dir}`);
    return result;
  }

  /** Writes the run's resolved config to config.json (runs without the engine's train(), which writes it itself). */
  saveConfig(config: object): void { atomicWriteJson(join(this.dir, 'config.json'), config); }

  /** Appends one line to log.txt. */
  log(line: string): void { appendFileSync(this.logFile, line + '\n'); }

  /** The train-event listener: progress on stderr (unless quiet), the same events as plain lines in log.txt, then hooks.onEvent. */
  events(hooks: RunHooks, every = 50): (e: TrainEvent) => void {
    const screen = createProgress({ quiet: hooks.quiet ?? false, every });
    const file = { write: (s: string) => { appendFileSync(this.logFile, s); return true; }, isTTY: false } as unknown as NodeJS.WritableStream;
    const plain = createProgress({ stream: file, tty: false, every });
    return (e) => { screen(e); plain(e); hooks.onEvent?.(e); };
  }

  /** summary.json ({} when absent). */
  readSummary(): Record<string, unknown> { return readSummary(this.dir); }

  /** Merges `report` into summary.json (the engine's fields stay unless the report replaces them). */
  writeSummary(report: object): void {
    atomicWriteJson(join(this.dir, 'summary.json'), { ...this.readSummary(), ...report });
  }
}

/** The arguments a run directory recorded (cli.json), or null when it has none. */
export function savedRunArgs(dir: string): Record<string, unknown> | null {
  try { return JSON.parse(readFileSync(join(resolve(dir), ARGS_FILE), 'utf8')) as Record<string, unknown>; } catch { return null; }
}

/** Reads a run directory's summary.json ({} when absent). */
export function readSummary(dir: string): Record<string, unknown> {
  try { return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>; } catch { return {}; }
}

/**
 * @module Reading run directories for the report: config.json, summary.json and
 * metrics.jsonl (train and eval records; a partial last line is skipped), run
 * names, flattened config/summary values and the config keys that vary.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';

/** One metrics.jsonl record. */
export type MetricRecord = { step: number; epoch?: number; split: string; time?: number } & Record<string, unknown>;

/** A run directory as the report sees it. */
export interface RunData {
  /** A short name, unique among the runs of one report. */
  name: string;
  dir: string;
  config: Record<string, unknown> | null;
  summary: Record<string, unknown> | null;
  metrics: MetricRecord[];
}

/** A flattened value: a string, number, boolean or null (arrays are JSON text). */
export type Leaf = string | number | boolean | null;

const readJson = (file: string): Record<string, unknown> | null => {
  if (!existsSync(file)) return null;
  const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  return v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null;
};

/** Reads metrics.jsonl (missing file = no records; unparsable or step-less lines are skipped). */
export function readMetrics(file: string): MetricRecord[] {
  if (!existsSync(file)) return [];
  const out: MetricRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: unknown;
    try { r = JSON.parse(line); } catch { continue; }
    if (!r || typeof r !== 'object') continue;
    const rec = r as Record<string, unknown>;
    if (typeof rec['step'] !== 'number') continue;
    out.push({ ...rec, step: rec['step'], split: typeof rec['split'] === 'string' ? rec['split'] : 'train' });
  }
  return out;
}

/** Reads one run directory; throws when it is not a directory or holds neither metrics.jsonl nor summary.json. */
export function loadRun(dir: string, name = basename(resolve(dir))): RunData {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`report: ${dir} is not a directory`);
  if (!existsSync(join(dir, 'metrics.jsonl')) && !existsSync(join(dir, 'summary.json'))) {
    throw new Error(`report: ${dir} has neither metrics.jsonl nor summary.json; is it a run directory?`);
  }
  return { name, dir: resolve(dir), config: readJson(join(dir, 'config.json')), summary: readJson(join(dir, 'summary.json')), metrics: readMetrics(join(dir, 'metrics.jsonl')) };
}

/** Loads several runs, naming each by its directory's base name (or its path relative to cwd when base names clash). */
export function loadRuns(dirs: string[]): RunData[] {
  const bases = dirs.map((d) => basename(resolve(d)));
  const names = dirs.map((d, i) => (bases.indexOf(bases[i]!) !== bases.lastIndexOf(bases[i]!) ? relative(process.cwd(), resolve(d)) || d : bases[i]!));
  const seen = new Map<string, number>();
  return dirs.map((d, i) => {
    let n = names[i]!;
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    if (k > 1) n = `${n} (${k})`;
    return loadRun(d, n);
  });
}

/** Flattens nested objects to dotted keys; arrays become JSON text. */
export function flatten(obj: Record<string, unknown> | null, prefix = '', out: Record<string, Leaf> = {}): Record<string, Leaf> {
  if (!obj) return out;
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else if (Array.isArray(v)) out[key] = JSON.stringify(v);
    else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
  }
  return out;
}

/** The flattened config keys whose values differ between runs (a key missing in some run counts as differing). */
export function varyingKeys(runs: RunData[]): string[] {
  if (runs.length < 2) return [];
  const flat = runs.map((r) => flatten(r.config));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))];
  return keys.filter((k) => new Set(flat.map((f) => (k in f ? JSON.stringify(f[k]) : 'undefined'))).size > 1).sort();
}

/** Numeric metric names of the records of one split (besides step/epoch/time), in first-seen order. */
export function metricNames(runs: RunData[], split: string): string[] {
  const names = new Set<string>();
  for (const r of runs) for (const m of r.metrics) {
    if (m.split !== split) continue;
    for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && !['step', 'epoch', 'time'].includes(k)) names.add(k);
  }
  return [...names];
}

/** The final value of an eval metric: summary.lastEval[metric], else the last eval record that has it, else null. */
export function finalMetric(run: RunData, metric: string): number | null {
  const last = run.summary?.['lastEval'];
  if (last && typeof last === 'object') {
    const v = (last as Record<string, unknown>)[metric];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  for (let i = run.metrics.length - 1; i >= 0; i--) {
    const m = run.metrics[i]!;
    const v = m[metric];
    if (m.split === 'eval' && typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

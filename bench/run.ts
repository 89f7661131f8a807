/**
 * @module `adaptune bench`: runs each model's adaptune and PyTorch measurements
 * in alternating child processes (one per framework per round, so peak RSS is
 * clean) and summarises images/s, ratios and peak memory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerResult } from './worker.js';
import { fmtMiB, fmtMs, fmtRate, markdownTable, ratio, summarize, type Summary } from './stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The compiled adaptune worker (dist/bench/worker.js). */
export const WORKER_JS = join(HERE, 'worker.js');
/** The compiled ONNX Runtime worker (dist/bench/ort-worker.js). */
export const ORT_WORKER_JS = join(HERE, 'ort-worker.js');
/** The PyTorch worker, kept as source (bench/torch_bench.py at the package root). */
export const TORCH_PY = [join(HERE, 'torch_bench.py'), join(HERE, '..', '..', 'bench', 'torch_bench.py')]
  .find((p) => existsSync(p)) ?? join(HERE, '..', '..', 'bench', 'torch_bench.py');

export type Framework = 'adaptune' | 'pytorch' | 'onnxruntime';

/** Children still running: killed if the bench is interrupted, so no orphan keeps loading the machine. */
const active = new Set<ChildProcess>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { for (const c of active) c.kill('SIGTERM'); process.exit(130); });
}
export type Mode = 'train' | 'infer' | 'both';

/** Per-model defaults: [warmup, repeats] (a ResNet-18-w64 step takes seconds on 2 cores). */
export const DEFAULTS: Record<string, [number, number]> = {
  small: [5, 20], 'resnet18-w16': [3, 10], 'resnet18-w64': [1, 3],
};
/** --quick: [warmup, repeats] for a smoke test. */
export const QUICK: [number, number] = [1, 2];

export interface BenchOptions {
  models: string[];
  threads: number;
  /** Overrides the per-model defaults when set. */
  warmup?: number;
  repeats?: number;
  /** Alternating rounds per model (each round: one child per framework). */
  rounds: number;
  quick: boolean;
  /** Python with torch; null disables the PyTorch side. */
  python: string | null;
  /** Also time ONNX Runtime on the exported model (inference only; default true). */
  ort?: boolean;
}

export interface ChildEnv { blasThreads: number; threads: number }
/** Progress sink (stderr); persistent lines stay visible on a TTY. */
export type Log = (line: string, persistent?: boolean) => void;

/** Whether `python` can import torch (the PyTorch side runs only then). */
export function hasTorch(python: string | null): boolean {
  if (!python) return false;
  const r = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

/** Runs one measurement in a child process and parses its JSON line. */
export function runChild(fw: Framework, python: string, model: string, env: ChildEnv,
  warmup: number, repeats: number, mode: Mode = 'both'): Promise<WorkerResult> {
  const args = [model, String(env.threads), String(warmup), String(repeats), mode];
  const [cmd, argv] = fw === 'adaptune' ? [process.execPath, [WORKER_JS, ...args]]
    : fw === 'onnxruntime' ? [process.execPath, [ORT_WORKER_JS, ...args.slice(0, 4)]] : [python, [TORCH_PY, ...args]];
  const childEnv = {
    ...process.env, OPENBLAS_NUM_THREADS: String(env.blasThreads), ADAPTUNE_NUM_THREADS: String(env.threads),
    OMP_NUM_THREADS: String(env.threads),
  };
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    active.add(p);
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => {
      active.delete(p);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(line) as WorkerResult);
      } catch (e) {
        reject(new Error(`${fw} worker for ${model} failed (${(e as Error).message}): ${out.slice(-500)}`));
      }
    });
  });
}

export interface FrameworkFigures {
  train: Summary | null; infer: Summary | null;
  /** Graph-mode inference (adaptune torch.jit.compile; PyTorch trace + freeze + optimize_for_inference). */
  inferGraph: Summary | null;
  peakRssBytes: number; runs: number;
}
export interface BenchRow {
  model: string;
  warmup: number;
  repeats: number;
  adaptune: FrameworkFigures;
  pytorch: FrameworkFigures | null;
  /** ONNX Runtime on the model exported by adaptune (inference only; its `infer`), or null when not run. */
  onnxruntime: FrameworkFigures | null;
  /**
   * adaptune / PyTorch: images/s (train, infer) and peak RSS; inferGraph: adaptune graph mode over PyTorch's
   * optimize_for_inference (images/s); inferGraphVsEager: adaptune graph mode over adaptune eager;
   * inferGraphVsOrt: adaptune graph mode over ONNX Runtime (images/s, same threads).
   */
  ratio: {
    train: number | null; infer: number | null; inferGraph: number | null; inferGraphVsEager: number | null;
    inferGraphVsOrt: number | null; peakRss: number | null;
  };
}
export interface BenchReport {
  machine: { cpus: number; cpuModel: string; node: string; loadavg: number[]; python: string | null };
  settings: { threads: number; blasThreads: number; rounds: number; quick: boolean; ort: boolean };
  rows: BenchRow[];
}

/** Pools the rounds of one framework: all step times together, the largest peak RSS. */
export function pool(rs: WorkerResult[], batch = 128): FrameworkFigures {
  return {
    train: summarize(rs.flatMap((r) => r.train), batch),
    infer: summarize(rs.flatMap((r) => r.infer), batch),
    inferGraph: summarize(rs.flatMap((r) => r.inferGraph ?? []), batch),
    peakRssBytes: Math.max(...rs.map((r) => r.maxRssBytes)),
    runs: rs.length,
  };
}

/** Runs the benchmark; progress goes to `log` (stderr), the report is returned. */
export async function runBench(o: BenchOptions, log: Log): Promise<BenchReport> {
  const torchOk = hasTorch(o.python);
  const ort = o.ort ?? true;
  if (!torchOk) log(`bench: PyTorch not found (${o.python ?? 'disabled'}): measuring adaptune only`, true);
  const env: ChildEnv = { threads: o.threads, blasThreads: 1 };
  const rows: BenchRow[] = [];
  for (const model of o.models) {
    const [dw, dr] = o.quick ? QUICK : DEFAULTS[model]!;
    const warmup = o.warmup ?? dw, repeats = o.repeats ?? dr;
    const res: Record<Framework, WorkerResult[]> = { adaptune: [], pytorch: [], onnxruntime: [] };
    const frameworks: Framework[] = ['adaptune', 'pytorch', 'onnxruntime'];
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? frameworks : [...frameworks].reverse();
      for (const fw of order) {
        if ((fw === 'pytorch' && !torchOk) || (fw === 'onnxruntime' && !ort)) continue;
        log(`bench: ${model} round ${r + 1}/${o.rounds} ${fw} (warmup ${warmup}, repeats ${repeats}, threads ${o.threads})`);
        res[fw].push(await runChild(fw, o.python ?? '', model, env, warmup, repeats));
      }
    }
    const a = pool(res.adaptune);
    const p = torchOk ? pool(res.pytorch) : null;
    const x = ort ? pool(res.onnxruntime) : null;
    const row: BenchRow = {
      model, warmup, repeats, adaptune: a, pytorch: p, onnxruntime: x,
      ratio: {
        train: ratio(a.train?.imagesPerSec, p?.train?.imagesPerSec),
        infer: ratio(a.infer?.imagesPerSec, p?.infer?.imagesPerSec),
        inferGraph: ratio(a.inferGraph?.imagesPerSec, p?.inferGraph?.imagesPerSec),
        inferGraphVsEager: ratio(a.inferGraph?.imagesPerSec, a.infer?.imagesPerSec),
        inferGraphVsOrt: ratio(a.inferGraph?.imagesPerSec, x?.infer?.imagesPerSec),
        peakRss: ratio(a.peakRssBytes, p?.peakRssBytes),
      },
    };
    log(`bench: ${model}: train ${fmtRate(a.train)} vs ${fmtRate(p?.train ?? null)} img/s (ratio ${row.ratio.train ?? '-'}), ` +
      `infer ${fmtRate(a.infer)} vs ${fmtRate(p?.infer ?? null)} img/s (ratio ${row.ratio.infer ?? '-'}), ` +
      `graph-mode infer ${fmtRate(a.inferGraph)} vs ${fmtRate(p?.inferGraph ?? null)} img/s (ratio ${row.ratio.inferGraph ?? '-'})` +
      (x ? `, ONNX Runtime ${fmtRate(x.infer)} img/s (graph / ORT ${row.ratio.inferGraphVsOrt ?? '-'})` : ''), true);
    rows.push(row);
  }
  return {
    machine: {
      cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version,
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100), python: torchOk ? o.python : null,
    },
    settings: { threads: o.threads, blasThreads: env.blasThreads, rounds: o.rounds, quick: o.quick, ort },
    rows,
  };
}

/** The human-readable report: one Markdown table. */
export function formatReport(r: BenchReport): string {
  const head = ['model', 'phase', 'adaptune img/s', 'PyTorch img/s', 'ratio', 'adaptune ms [min-max]',
    'PyTorch ms [min-max]'];
  const rows: (string | number | null)[][] = [];
  for (const x of r.rows) {
    for (const ph of ['train', 'infer', 'inferGraph'] as const) {
      rows.push([x.model, ph === 'inferGraph' ? 'infer (graph)' : ph, fmtRate(x.adaptune[ph]), fmtRate(x.pytorch?.[ph] ?? null), x.ratio[ph],
        fmtMs(x.adaptune[ph]), fmtMs(x.pytorch?.[ph] ?? null)]);
    }
  }
  const mem = markdownTable(['model', 'adaptune peak RSS MiB', 'PyTorch peak RSS MiB', 'ratio'],
    r.rows.map((x) => [x.model, fmtMiB(x.adaptune.peakRssBytes), fmtMiB(x.pytorch?.peakRssBytes), x.ratio.peakRss]));
  const withOrt = r.rows.filter((x) => x.onnxruntime);
  const ort = withOrt.length === 0 ? '' : markdownTable(['model', 'adaptune graph img/s', 'ONNX Runtime img/s', 'ratio', 'adaptune graph ms [min-max]', 'ONNX Runtime ms [min-max]'],
    withOrt.map((x) => [x.model, fmtRate(x.adaptune.inferGraph), fmtRate(x.onnxruntime!.infer), x.ratio.inferGraphVsOrt, fmtMs(x.adaptune.inferGraph), fmtMs(x.onnxruntime!.infer)])) + '\n\n';
  const m = r.machine, s = r.settings;
  return `${markdownTable(head, rows)}\n\n${ort}${mem}\n\n` +
    `${m.cpus} x ${m.cpuModel}, node ${m.node}, load ${m.loadavg.join(' ')}; threads ${s.threads}, ` +
    `OPENBLAS_NUM_THREADS=${s.blasThreads}, ${s.rounds} alternating round(s); ratio = adaptune / PyTorch ` +
    '(images/s: higher is better; peak RSS: lower is better); infer (graph): adaptune torch.jit.compile vs PyTorch ' +
    'torch.jit.trace + freeze + optimize_for_inference; ONNX Runtime runs the model exported by adaptune (same threads).\n';
}

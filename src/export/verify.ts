/**
 * @module verifyOnnx: runs an exported model in ONNX Runtime (onnxruntime-node, CPU) and compares every
 * output with adaptune's own forward pass on the same inputs (eval mode; the normalisation recorded in the
 * metadata applied on the libtorch side). Reports the max abs difference per batch and overall, top-1
 * agreement, and optionally the time per batch of both. onnxruntime-node is loaded on first use.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import type { AnyModule } from '../core/nn/module.js';
import { applyNormalization, inEval } from './export.js';
import { parseOnnxInfo, readOnnxMetadata } from './metadata.js';

/** One named input batch (float, the graph input's layout and range). */
export interface VerifyInput { name: string; x: Tensor }

/** Options of verifyOnnx. */
export interface VerifyOptions {
  /** Largest max abs difference accepted (default 1e-4, float32). */
  tolerance?: number;
  /** ONNX Runtime intra-op threads (default: libtorch's current thread count). */
  threads?: number;
  /** Time this many runs of each engine on the largest batch (0, the default: no timing). */
  timingRuns?: number;
}

/** One batch's comparison. */
export interface VerifyBatch { name: string; batch: number; maxAbsDiff: number; top1Agreement: number }

/** Median wall time of one forward pass of the same batch in both engines. */
export interface VerifyTiming { batch: number; runs: number; threads: number; onnxruntimeMs: number; adaptuneMs: number }

/** What verifyOnnx returns; ok is maxAbsDiff <= tolerance. */
export interface VerifyResult { ok: boolean; tolerance: number; maxAbsDiff: number; batches: VerifyBatch[]; outputs: string[]; timing: VerifyTiming | null }

type Ort = typeof import('onnxruntime-node');

const argmaxRows = (d: Float32Array, cols: number): number[] =>
  Array.from({ length: d.length / cols }, (_, r) => { let b = 0; for (let c = 1; c < cols; c++) if (d[r * cols + c]! > d[r * cols + b]!) b = c; return b; });

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/** Runs the model file `bytes` in ONNX Runtime on each input and compares with model's outputs. */
export async function verifyOnnx(model: AnyModule, bytes: Uint8Array, inputs: VerifyInput[], o: VerifyOptions = {}): Promise<VerifyResult> {
  const tolerance = o.tolerance ?? 1e-4;
  const info = parseOnnxInfo(readOnnxMetadata(bytes), 'verifyOnnx');
  const ort: Ort = await import('onnxruntime-node');
  const threads = o.threads ?? torch.getNumThreads();
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const reference = (x: Tensor): Tensor[] => inEval(model, () => torch.noGrad(() => torch.tidy(() => {
      const logits = model.call(info.normalization ? applyNormalization(x, info.normalization) : x) as Tensor;
      return info.outputs.map((n) => (n === 'probabilities' ? torch.softmax(logits, 1) : logits));
    })));
    const feed = (x: Tensor): Record<string, InstanceType<Ort['Tensor']>> => {
      const data = torch.tidy(() => x.detach().to('float32').contiguous().data() as Float32Array);
      return { [session.inputNames[0]!]: new ort.Tensor('float32', data, x.shape) };
    };
    const batches: VerifyBatch[] = [];
    for (const { name, x } of inputs) {
      const got = await session.run(feed(x));
      const want = reference(x);
      const shapes = want.map((t) => t.shape);
      const values = torch.tidy(() => want.map((t) => t.contiguous().data() as Float32Array));
      torch.dispose(want);
      let maxAbsDiff = 0;
      let top1 = 1;
      info.outputs.forEach((out, i) => {
        const r = values[i]!;
        const g = got[out]!.data as Float32Array;
        if (g.length !== r.length) throw new Error(`verifyOnnx: output ${out} of ${name} has ${g.length} values in ONNX Runtime, ${r.length} in adaptune`);
        for (let k = 0; k < r.length; k++) maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(g[k]! - r[k]!) ? Infinity : Math.abs(g[k]! - r[k]!));
        if (i === 0 && shapes[i]!.length === 2) {
          const a = argmaxRows(g, shapes[i]![1]!);
          const b = argmaxRows(r, shapes[i]![1]!);
          top1 = a.filter((v, j) => v === b[j]).length / a.length;
        }
      });
      batches.push({ name, batch: x.size(0), maxAbsDiff, top1Agreement: top1 });
    }
    const maxAbsDiff = Math.max(0, ...batches.map((b) => b.maxAbsDiff));
    let timing: VerifyTiming | null = null;
    if (o.timingRuns) {
      const x = inputs.reduce((a, b) => (b.x.size(0) > a.x.size(0) ? b : a)).x;
      const f = feed(x);
      const t = await time(o.timingRuns, () => session.run(f), () => torch.dispose(reference(x)));
      timing = { batch: x.size(0), runs: o.timingRuns, threads, onnxruntimeMs: t[0], adaptuneMs: t[1] };
    }
    return { ok: maxAbsDiff <= tolerance, tolerance, maxAbsDiff, batches, outputs: info.outputs, timing };
  } finally {
    await session.release();
  }
}

/** Median ms of `runs` calls (after one warm-up) of each engine, interleaved. */
async function time(runs: number, ort: () => Promise<unknown>, adaptune: () => void): Promise<[number, number]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i <= runs; i++) {
    let t = performance.now();
    await ort();
    if (i > 0) a.push(performance.now() - t);
    t = performance.now();
    adaptune();
    if (i > 0) b.push(performance.now() - t);
  }
  return [median(a), median(b)];
}

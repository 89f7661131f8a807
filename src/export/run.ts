/**
 * @module runExport: a weights file with its sidecar (a run's weights.safetensors or the bundled backbone) to
 * ONNX, verified in ONNX Runtime on random inputs and real test images before it is written (`adaptune export`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import { toFloat } from '../data/transforms/base.js';
import { loadTask } from '../data/tasks/index.js';
import { bundledBackbonePath, loadPretrained } from '../models/index.js';
import { exportOnnx } from './export.js';
import { verifyOnnx, type VerifyInput, type VerifyResult } from './verify.js';
import { exportWeb, type WebExport } from './web.js';
import { planFromSidecar } from './plan.js';
import { exportSettings, type ExportOptionValues } from './options.js';

/** Options of runExport: the table of options.ts (run or weights; out defaults to RUN/model.onnx). */
export type RunExportOptions = ExportOptionValues;

/** What runExport reports. */
export interface ExportReport {
  out: string; fileBytes: number; weights: string; weightsSha256: string; model: string; task: string;
  classNames: string[] | null; inputShape: number[]; opset: number; foldBn: boolean; outputs: string[];
  ops: Record<string, number>; nodes: number; parameters: number; verification: VerifyResult; web: WebExport | null; elapsedSec: number;
}

/** A verification failure: the file was not written. */
export class ExportVerificationError extends Error { override name = 'ExportVerificationError'; }

/** Exports, verifies in ONNX Runtime, then writes the file; throws ExportVerificationError above the tolerance. */
export async function runExport(o: RunExportOptions = {}, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<ExportReport> {
  const t0 = performance.now();
  const a = exportSettings(o);
  if (a.threads !== undefined) torch.setNumThreads(a.threads);
  const weights = a.run ? join(resolve(a.run), 'weights.safetensors') : resolve(a.weights ?? bundledBackbonePath());
  const { model, sidecar } = loadPretrained(weights);
  const owned: Tensor[] = [];
  try {
    // weights trained on any data record their preprocessing: classes, input size, normalisation and resize come from it
    const plan = !a.data ? planFromSidecar(sidecar, model.numClasses, weights) : null;
    const taskName = plan?.taskName ?? a.data ?? (typeof sidecar.task?.name === 'string' ? sidecar.task.name : null);
    if (!taskName) throw new ConfigError(`${weights}: its sidecar names no task; pass --data TASK (the input size and class names come from it)`);
    let classNames: string[] | null = plan?.classNames ?? null;
    let imageShape: number[];
    let n = 0;
    if (plan) {
      imageShape = plan.imageShape;
      if (!classNames) log(`export: the sidecar's task ${taskName} records no class names for the model's ${model.numClasses} outputs; class names not recorded`);
      if (/^(fmnist|textures):/.test(taskName) && imageShape[1] === 28 && imageShape[2] === 28) {
        // a built-in task: verify on its test images too (gray, replicated for an RGB model)
        const task = loadTask(taskName, { labelsPerClass: 10, seed: 0 });
        n = Math.min(a.verifyImages, task.test.length);
        if (n > 0) owned.push(torch.tidy(() => { const x = toFloat(task.test.images.narrow(0, 0, n)); return imageShape[0] === 3 ? x.expand([n, 3, 28, 28]).contiguous() : x; }));
        task.dispose();
      }
    } else {
      const task = loadTask(taskName, { labelsPerClass: 10, seed: 0 });
      classNames = task.classes;
      n = Math.min(a.verifyImages, task.test.length);
      imageShape = task.test.images.shape.slice(1);
      if (n > 0) owned.push(toFloat(task.test.images.narrow(0, 0, n)));
      task.dispose();
      if (classNames.length !== model.numClasses) {
        if (a.data) throw new ConfigError(`--data ${a.data} has ${classNames.length} classes but the model has ${model.numClasses} outputs`);
        log(`export: the sidecar's task ${taskName} has ${classNames.length} classes, the model ${model.numClasses} outputs; class names not recorded`);
        classNames = null;
      }
    }
    torch.manualSeed(a.seed);
    const rand = (b: number): Tensor => { const t = torch.rand([b, ...imageShape]); owned.push(t); return t; };
    const e = exportOnnx(model, rand(1), {
      opset: a.opset, foldBn: a.foldBn, softmax: a.softmax, normalize: a.normalize ?? plan?.normalize ?? null, classNames: classNames ?? undefined,
      sourceRun: a.run ? resolve(a.run) : weights, ...(plan ? { resize: plan.resize } : {}),
      metadata: { weights_sha256: sidecar.sha256, task: taskName, model_name: sidecar.model.name, model_config: JSON.stringify(sidecar.model.config), ...(plan?.metadata ?? {}) },
    });
    const inputs: VerifyInput[] = [{ name: 'random, batch 1', x: rand(1) }, { name: 'random, batch 7', x: rand(7) }];
    if (n > 0) inputs.push({ name: `${taskName} test images 0..${n - 1}`, x: owned[0]! });
    const verification = await verifyOnnx(model, e.bytes, inputs, { tolerance: a.tolerance, timingRuns: a.timingRuns, ...(a.threads ? { threads: a.threads } : {}) });
    if (!verification.ok) {
      throw new ExportVerificationError(`ONNX Runtime disagrees with adaptune: max abs diff ${verification.maxAbsDiff.toExponential(3)} > tolerance ${a.tolerance} ` +
        `(${verification.batches.map((b) => `${b.name}: ${b.maxAbsDiff.toExponential(2)}`).join('; ')}); ${a.out} not written`);
    }
    mkdirSync(dirname(a.out), { recursive: true });
    writeFileSync(a.out, e.bytes);
    const web = a.web ? exportWeb(e.bytes, a.web) : null;
    return {
      out: a.out, fileBytes: e.bytes.length, weights, weightsSha256: sidecar.sha256, model: `${sidecar.model.name} ${JSON.stringify(sidecar.model.config)}`, task: taskName,
      classNames, inputShape: e.inputShape, opset: e.opset, foldBn: a.foldBn, outputs: e.outputNames, ops: e.ops, nodes: e.nodes, parameters: e.weights,
      verification, web, elapsedSec: (performance.now() - t0) / 1000,
    };
  } finally {
    torch.dispose(owned);
    model.dispose();
  }
}


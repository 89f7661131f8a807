/**
 * @module runQuickstart (`adaptune quickstart`): a complete small transfer experiment on the bundled backbone. Five
 * runs on the same target (linear probe, full fine-tuning, full + L2-SP, AdaFilter, from scratch) with fixed
 * budgets (src/methods/finetune/recipes.ts); then the robustness of the best fine-tuned model (FGSM, PGD) and its
 * export to ONNX, verified in ONNX Runtime. Returns the table's rows and writes a run directory with one sub-run per
 * strategy, best.onnx, summary.json and results.md. A recipe: it composes methods (finetune, adafilter,
 * adversarial's robustness) and the ONNX export, so it lives above src/methods.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../core/torch.js';
import { checkOptions, definedOptions } from '../core/options.js';
import { loadTask, type BenchmarkTask, type TaskName } from '../data/tasks/index.js';
import { taskLoaders } from '../data/augment.js';
import { adafilterRun, resolveAdafilter } from '../methods/adafilter/index.js';
import { LR_PAIR, QUICKSTART_BATCH, QUICKSTART_PLANS, resolveFinetune, supervisedRun } from '../methods/finetune/index.js';
import { QUICKSTART_DEFAULTS, QUICKSTART_OPTIONS, type QuickstartOptionValues } from '../methods/finetune/options.js';
import { bundledBackbonePath, loadPretrained, writeWeights } from '../models/index.js';
import { layerConfig, makeDirs, RunSession, type RunHooks, type TrainEvent } from '../train/index.js';
import { progressLog, type ProgressLog } from '../train/progress.js';

/** --quick: optimizer steps per strategy and test images. */
export const QUICK_BUDGET = { steps: 3, testImages: 500 } as const;
/** The robustness check of the best fine-tuned model: L-inf eps on [0,1] inputs, PGD steps and test images (--quick: fewer). */
export const ROBUSTNESS_CHECK = { eps: 0.1, steps: 10, images: 500, quickSteps: 3, quickImages: 100 } as const;

/** Robustness of the best fine-tuned model (adaptune robustness on part of the test split). */
export interface QuickstartRobustness { strategy: string; eps: number; images: number; clean: number; fgsm: number; pgd: { steps: number; accuracy: number }; maskingFlags: string[]; seconds: number }
/** The ONNX export of the best fine-tuned model (adaptune export --run). */
export interface QuickstartExport { strategy: string; file: string; bytes: number; maxAbsDiff: number; ok: boolean; seconds: number }

/** One row of the results table. */
export interface QuickstartRow {
  id: string; label: string; trains: string; epochs: number; steps: number; lr: number; elr: number;
  testAccuracy: number; testLoss: number; trainSec: number; evalSec: number; runDir: string;
}

/** What runQuickstart returns (and --json prints). */
export interface QuickstartResult {
  runDir: string; data: string; labelsPerClass: number | 'all'; seed: number; quick: boolean;
  trainImages: number; testImages: number; backbone: { file: string; sha256: string; model: string; sourceTask: unknown; sourceTestAccuracy: number | null };
  rows: QuickstartRow[]; robustness: QuickstartRobustness | null; export: QuickstartExport | null; wallSec: number; command: string;
  /** 'interrupted' after SIGINT/SIGTERM (the rows so far; the interrupted run's row included). */
  status: 'completed' | 'interrupted';
}

/** runs/quickstart-YYYYmmdd-HHMMSS (suffixed -2, -3 ... if taken). */
function quickstartDir(root = 'runs'): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const base = resolve(root, `quickstart-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

/** The test set of the run: the task's full test split, or its first QUICK_BUDGET.testImages with --quick. */
function testSet(task: BenchmarkTask, quick: boolean): { train: BenchmarkTask['train']; test: BenchmarkTask['test']; dispose(): void } {
  if (!quick) return { train: task.train, test: task.test, dispose: () => {} };
  const test = task.test.subset(Array.from({ length: Math.min(QUICK_BUDGET.testImages, task.test.length) }, (_, i) => i));
  return { train: task.train, test, dispose: () => test.dispose() };
}

/** Options of runQuickstart: the table (src/methods/finetune/options.ts) and hooks; `backbone` overrides the bundled weights (tests). */
export type QuickstartOptions = QuickstartOptionValues & Pick<RunHooks, 'quiet' | 'handleSignals' | 'command'> & {
  backbone?: string;
  /** Progress lines (persistent: stays on a TTY); default: stderr, a redrawn line on a TTY. */
  log?: ProgressLog;
};

/** Runs the experiment (see module doc). */
export async function runQuickstart(o: QuickstartOptions = {}): Promise<QuickstartResult> {
  const t0 = Date.now();
  checkOptions(QUICKSTART_OPTIONS, o);
  const a = { ...QUICKSTART_DEFAULTS, quick: false, ...definedOptions(o) };
  if (a.threads !== undefined) torch.setNumThreads(a.threads);
  const say = o.log ?? progressLog();
  const quiet = o.quiet ?? false;
  const runDir = a.out ? resolve(a.out) : quickstartDir();
  mkdirSync(runDir, { recursive: true });
  const command = o.command ?? '(library) quickstart';
  const file = o.backbone ?? bundledBackbonePath();
  const task = loadTask(a.data, { labelsPerClass: a.labelsPerClass, seed: a.seed });
  const sets = testSet(task, a.quick);
  const sizes = { trainImages: task.train.length, testImages: sets.test.length };
  const rows: QuickstartRow[] = [];
  let side: ReturnType<typeof loadPretrained>['sidecar'] | null = null;
  let interrupted = false;
  try {
    for (const [i, plan] of QUICKSTART_PLANS.entries()) {
      if (!quiet) say(`[${i + 1}/${QUICKSTART_PLANS.length}] ${plan.label}: ${plan.trains}`, true);
      torch.manualSeed(a.seed); // the same new head for every strategy
      const { model, sidecar } = loadPretrained(file, { numClasses: task.numClasses });
      side = sidecar;
      const sub = join(runDir, plan.id);
      const base = {
        seed: a.seed, epochs: plan.epochs, scheduler: { name: 'cosine', interval: 'step' }, eval: { atEpochEnd: false },
        checkpoint: { atEpochEnd: false, keep: 1 }, log: { every: 5 }, method: { ...plan.method, numClasses: task.numClasses, head: 'reinit' },
      };
      const budget = a.quick ? { maxSteps: QUICK_BUDGET.steps } : {};
      const loaders = taskLoaders(sets, QUICKSTART_BATCH, a.seed);
      try {
        const tEval = { start: 0 };
        const session = new RunSession(sub, false, command);
        makeDirs(sub);
        const log = session.events({ quiet }, 20);
        const run = { model, ...loaders, session, handleSignals: o.handleSignals, onEvent: (e: TrainEvent) => { if (e.type === 'end') tEval.start = Date.now(); log(e); } };
        // AdaFilter's lr is plain (elr = lr / (1 - momentum) for the table); standard fine-tuning records both
        const { r, config, res } = plan.kind === 'adafilter'
          ? await (async () => { const config = resolveAdafilter(await layerConfig({ defaults: base, flags: budget })); return { r: await adafilterRun({ ...run, config }), config, res: { lr: config.optim.lr, elr: config.optim.lr / (1 - config.optim.momentum) } }; })()
          : await (async () => { const config = resolveFinetune(await layerConfig({ defaults: base, flags: budget, exclusive: LR_PAIR })); return { r: await supervisedRun({ ...run, config }), config, res: config.method.resolved }; })();
        r.task.dispose();
        const evalSec = (Date.now() - tEval.start) / 1000;
        // plain fine-tuned backbones get their weights (with sidecar) for robustness and export; AdaFilter's stay in checkpoints/
        if (plan.kind !== 'adafilter') writeWeights(model, join(sub, 'weights.safetensors'), {
          model: sidecar.model, task: { name: a.data, labelsPerClass: a.labelsPerClass, seed: a.seed },
          training: { steps: r.result.step, batchSize: QUICKSTART_BATCH, method: config.method, from: file }, sourceTestAccuracy: null, command, elapsedSec: r.elapsedSec,
        });
        rows.push({
          id: plan.id, label: plan.label, trains: plan.trains, epochs: Math.round(100 * (r.result.epochsRun ?? r.result.epoch)) / 100, steps: r.result.step, lr: res.lr, elr: res.elr,
          testAccuracy: r.test.accuracy, testLoss: r.test.loss, trainSec: r.elapsedSec - evalSec, evalSec, runDir: sub,
        });
        if (r.result.status === 'interrupted') { interrupted = true; say(`interrupted during ${plan.id}; the table has the runs so far`, true); break; }
        if (!quiet) say(`    test accuracy ${(100 * r.test.accuracy).toFixed(2)}% (${r.result.step} steps, ${(r.elapsedSec - evalSec).toFixed(1)} s training, ${evalSec.toFixed(1)} s eval)`, true);
      } finally {
        model.dispose();
      }
    }
  } finally {
    sets.dispose();
    task.dispose();
  }
  let robustness: QuickstartRobustness | null = null;
  let exported: QuickstartExport | null = null;
  try {
    const best = interrupted ? null : bestPlainRow(rows);
    if (best) {
      if (!quiet) say(`robustness of the best fine-tuned model (${best.label}): FGSM and PGD, L-inf eps ${ROBUSTNESS_CHECK.eps}`, true);
      robustness = await checkRobustness(best, a);
      if (!quiet) say(`exporting it to ONNX (verified in ONNX Runtime)`, true);
      exported = await exportBest(best, runDir, a.threads);
    }
  } finally {
    say.done();
  }
  const result: QuickstartResult = {
    runDir, data: a.data, labelsPerClass: a.labelsPerClass, seed: a.seed, quick: a.quick, ...sizes,
    backbone: { file, sha256: side!.sha256, model: `${side!.model.name} ${JSON.stringify(side!.model.config)}`, sourceTask: side!.task['name'], sourceTestAccuracy: side!.sourceTestAccuracy },
    rows, robustness, export: exported, wallSec: (Date.now() - t0) / 1000, command, status: interrupted ? 'interrupted' : 'completed',
  };
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(runDir, 'results.md'), formatResults(result));
  return result;
}

/** The fine-tuned row with the best test accuracy among those with a plain weights file (not scratch, not AdaFilter). */
function bestPlainRow(rows: QuickstartRow[]): QuickstartRow | null {
  const plain = rows.filter((r) => r.id !== 'scratch' && r.id !== 'adafilter');
  return plain.length ? plain.reduce((b, r) => (r.testAccuracy > b.testAccuracy ? r : b)) : null;
}

/** `adaptune robustness` on part of the test split (spread over it), defaults from the command's own parser. */
async function checkRobustness(best: QuickstartRow, a: { data: TaskName; seed: number; quick: boolean }): Promise<QuickstartRobustness> {
  const { runRobustness } = await import('../methods/adversarial/index.js');
  const steps = a.quick ? ROBUSTNESS_CHECK.quickSteps : ROBUSTNESS_CHECK.steps;
  const images = a.quick ? ROBUSTNESS_CHECK.quickImages : ROBUSTNESS_CHECK.images;
  const r = await runRobustness({ weights: join(best.runDir, 'weights.safetensors'), data: a.data, eps: ROBUSTNESS_CHECK.eps, steps: [steps], limit: images, seed: a.seed });
  const pgd = r.pgd[r.pgd.length - 1]!;
  return { strategy: best.id, eps: ROBUSTNESS_CHECK.eps, images: r.examples, clean: r.clean, fgsm: r.fgsm, pgd, maskingFlags: r.maskingFlags, seconds: r.seconds };
}

/** `adaptune export --run <best>` to RUN_DIR/best.onnx (verified in ONNX Runtime before it is written). */
async function exportBest(best: QuickstartRow, runDir: string, threads: number | undefined): Promise<QuickstartExport> {
  const { runExport } = await import('../export/run.js');
  const out = join(runDir, 'best.onnx');
  const r = await runExport({ run: best.runDir, out, ...(threads ? { threads } : {}) }, () => {});
  return { strategy: best.id, file: out, bytes: r.fileBytes, maxAbsDiff: r.verification.maxAbsDiff, ok: r.verification.ok, seconds: r.elapsedSec };
}

/** The results as Markdown (the table quickstart prints and writes to results.md). */
export function formatResults(r: QuickstartResult): string {
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  const head = `Transfer quickstart${r.quick ? ' (--quick: tiny budget, not a measurement)' : ''}${r.status === 'interrupted' ? ' (INTERRUPTED)' : ''}: ${r.data}, ${r.labelsPerClass} labels/class `
    + `(${r.trainImages} training images), ${r.testImages} test images, seed ${r.seed}\n`
    + `Backbone: ${r.backbone.model} pre-trained on ${String(r.backbone.sourceTask)} (source test accuracy ${r.backbone.sourceTestAccuracy === null ? '?' : pct(r.backbone.sourceTestAccuracy)})\n\n`;
  const lines = ['| strategy | trains | epochs | steps | lr (elr) | test accuracy | train s | eval s |', '|---|---|---:|---:|---|---:|---:|---:|'];
  for (const x of r.rows) lines.push(`| ${x.label} | ${x.trains} | ${x.epochs} | ${x.steps} | ${+x.lr.toPrecision(3)} (${+x.elr.toPrecision(3)}) | ${pct(x.testAccuracy)} | ${x.trainSec.toFixed(1)} | ${x.evalSec.toFixed(1)} |`);
  const rb = r.robustness;
  const robust = rb ? `\nRobustness of ${rb.strategy} (${rb.images} test images, L-inf eps ${rb.eps} on [0,1] inputs): clean ${pct(rb.clean)}, FGSM ${pct(rb.fgsm)}, `
    + `PGD-${rb.pgd.steps} ${pct(rb.pgd.accuracy)}${rb.maskingFlags.length ? ` (gradient-masking flags: ${rb.maskingFlags.join('; ')})` : ''}. `
    + `Standard fine-tuning is not robust; adaptune adversarial fine-tunes for it.\n` : '';
  const ex = r.export;
  const onnx = ex ? `ONNX: ${ex.strategy} exported to ${ex.file} (${(ex.bytes / 1024).toFixed(0)} KiB); ONNX Runtime vs adaptune max abs diff ${ex.maxAbsDiff.toExponential(1)}. `
    + `Try: adaptune predict ${ex.file} IMAGE.png\n` : '';
  return `${head}${lines.join('\n')}\n${robust}${onnx}\nTotal wall time ${r.wallSec.toFixed(1)} s. Run directory: ${r.runDir}\n`;
}


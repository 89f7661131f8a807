/** @module Wires parsed `adaptune bench` flags to the benchmark runner in bench/. */
import { formatReport, runBench, type BenchReport } from '../../bench/run.js';
import { formatStudy, runThreadStudy, type StudyReport } from '../../bench/thread-study.js';
import type { BenchArgs } from './args-bench.js';
import { progress } from './io.js';

/** Models the thread study covers (the brief's two fast workloads). */
const STUDY_MODELS = ['small', 'resnet18-w16'];

/** Runs the benchmark (and the thread study if asked); prints a table, or one JSON object with --json. */
export async function benchCommand(a: BenchArgs): Promise<void> {
  const log = progress();
  const report: BenchReport & { threadStudy?: StudyReport } = await runBench({
    models: a.models, threads: a.threads, warmup: a.warmup, repeats: a.repeats, rounds: a.rounds,
    quick: a.quick, python: a.python, ort: a.ort,
  }, log);
  let studyText = '';
  if (a.threadStudy) {
    const models = a.models.filter((m) => STUDY_MODELS.includes(m));
    const study = await runThreadStudy({
      models: models.length ? models : STUDY_MODELS, warmup: a.warmup ?? (a.quick ? 1 : 3),
      repeats: a.repeats ?? (a.quick ? 2 : 8), rounds: a.rounds, python: report.machine.python,
      blas: [1, 2], intra: [1, 2],
    }, log);
    report.threadStudy = study;
    studyText = '\nThread study (training step):\n\n' + formatStudy(study);
  }
  log.done();
  if (a.json) process.stdout.write(JSON.stringify(report) + '\n');
  else process.stdout.write(formatReport(report) + studyText);
}

/**
 * @module The table of `adaptune` subcommands. Adding a command is one entry here: its
 * one-line summary, its help text, a light flag parser, and a runner that imports the heavy
 * code (libtorch) only when the command runs. main.ts and args.ts never branch on names.
 */
import { BENCH_USAGE, parseBench } from './args-bench.js';
import { FINETUNE_USAGE, PRETRAIN_USAGE, QUICKSTART_USAGE, parseFinetune, parsePretrain, parseQuickstart } from './args-train.js';
import { REPORT_USAGE, parseReport } from './report.js';
import { HPARAMS_USAGE, parseHparams } from './hparams.js';
import { SIMILARITY_USAGE, parseSimilarity } from './similarity.js';
import { JADCE_USAGE, parseJadce } from './jadce.js';
import { EXPORT_USAGE, parseExport } from './export-args.js';
import { PREDICT_USAGE, parsePredict } from './predict-args.js';
import { ANOMALY_USAGE, parseAnomaly } from './anomaly-args.js';
import { ADVERSARIAL_USAGE, parseAdversarial } from './adversarial-args.js';
import { ROBUSTNESS_USAGE, parseRobustness } from './robustness-args.js';
import { SEMISUP_USAGE, parseSemisup } from './semisup-args.js';
import { CONVERT_USAGE, parseConvert } from './convert.js';

/** One subcommand. `parse` returns 'help' for --help; `run` returns the exit status. */
export interface CommandSpec<O = any> {
  name: string;
  /** Shown in `adaptune --help`; continuation lines are indented by the table. */
  summary: string;
  usage: string;
  parse(args: string[]): O | 'help';
  run(options: O): Promise<number>;
  /** Resolves and validates the config the run would get (the method's library config call), without running. */
  check?(options: O): Promise<void>;
}

/** Helper that keeps each entry's option type checked against its parser and runner. */
function command<O>(spec: CommandSpec<O>): CommandSpec<O> { return spec; }

export const COMMAND_SPECS: CommandSpec[] = [
  command({
    name: 'quickstart', usage: QUICKSTART_USAGE, parse: parseQuickstart,
    summary: 'A complete small transfer experiment on the bundled backbone (~1.5 min): linear probe,\nfull fine-tuning, L2-SP, AdaFilter and scratch on fmnist:target-mid; robustness; ONNX export',
    run: async (o) => (await import('./quickstart.js')).quickstartCommand(o),
  }),
  command({
    name: 'finetune', usage: FINETUNE_USAGE, parse: parseFinetune,
    summary: 'Fine-tune the bundled backbone (or --weights FILE) on a benchmark task',
    run: async (o) => (await import('./finetune.js')).finetuneCommand(o),
    check: async (o) => (await import('./finetune.js')).checkFinetune(o),
  }),
  command({
    name: 'hparams', usage: HPARAMS_USAGE, parse: parseHparams,
    summary: 'A resumable grid of fine-tuning runs over effective lr x momentum (x L2 / L2-SP)',
    run: async (o) => (await import('./hparams.js')).hparamsCommand(o),
  }),
  command({
    name: 'similarity', usage: SIMILARITY_USAGE, parse: parseSimilarity,
    summary: 'Domain similarity exp(-gamma * EMD) between a source and target task(s)',
    run: async (o) => (await import('./similarity.js')).similarityCommand(o),
  }),
  command({
    name: 'adversarial', usage: ADVERSARIAL_USAGE, parse: parseAdversarial,
    summary: 'PGD adversarial fine-tuning (slow-start-fast-decay) or training from scratch,\nwith a held-out robust-accuracy monitor and cost accounting',
    run: async (o) => (await import('./adversarial.js')).adversarialCommand(o),
    check: async (o) => { if (!o.resume) await (await import('../methods/adversarial/index.js')).adversarialConfig(o); },
  }),
  command({
    name: 'robustness', usage: ROBUSTNESS_USAGE, parse: parseRobustness,
    summary: 'Clean, FGSM and PGD-k accuracy of weights, with a gradient-masking check',
    run: async (o) => (await import('./robustness.js')).robustnessCommand(o),
  }),
  command({
    name: 'semisup', usage: SEMISUP_USAGE, parse: parseSemisup,
    summary: 'Semi-supervised transfer: AKC + ARC with FixMatch, MixMatch, ICT, Mean Teacher,\nPseudo Label or labelled data only (Abuduweili et al. 2021)',
    run: async (o) => (await import('./semisup.js')).semisupCommand(o),
    check: async (o) => { if (!o.resume) await (await import('../methods/semisup/index.js')).semisupConfig(o); },
  }),
  command({
    name: 'anomaly', usage: ANOMALY_USAGE, parse: parseAnomaly,
    summary: 'Gaussian anomaly detection, its Mahalanobis fine-tuning with forgetting-aware\nvalidation, PaDiM-style segmentation (procedural defects, MVTec-AD, one-class FMNIST)',
    run: async (o) => (await import('./anomaly.js')).anomalyCommand(o),
    check: async (o) => { await (await import('../methods/anomaly/index.js')).anomalyConfig(o); },
  }),
  command({
    name: 'jadce', usage: JADCE_USAGE, parse: parseJadce,
    summary: 'Massive-access device detection and channel estimation: simulator, AMP/EM-AMP/ISTA/\nLISTA-GS baselines and the feature-aided adaptive-tuning network (train|eval|sweep)',
    run: async (o) => (await import('./jadce-run.js')).jadceCommand(o),
    check: async (o) => (await import('./jadce-run.js')).checkJadce(o),
  }),
  command({
    name: 'export', usage: EXPORT_USAGE, parse: parseExport,
    summary: 'Export a run\'s model (or the bundled backbone) to ONNX, verified in ONNX Runtime',
    run: async (o) => (await import('./export.js')).exportCommand(o),
  }),
  command({
    name: 'predict', usage: PREDICT_USAGE, parse: parsePredict,
    summary: 'Top classes of images (PNG/JPEG or IDX) from an exported .onnx model in ONNX Runtime',
    run: async (o) => (await import('./predict.js')).predictCommand(o),
  }),
  command({
    name: 'convert', usage: CONVERT_USAGE, parse: parseConvert,
    summary: 'Convert a PyTorch .pth or plain safetensors state dict to adaptune safetensors + sidecar\n(weights-only reader; architecture inferred or --model)',
    run: async (o) => (await import('./convert.js')).convertCommand(o),
  }),
  command({
    name: 'pretrain', usage: PRETRAIN_USAGE, parse: parsePretrain,
    summary: 'Train a backbone on a task (default fmnist:source) and export its weights',
    run: async (o) => (await import('./pretrain.js')).pretrainCommand(o),
  }),
  command({
    name: 'report', usage: REPORT_USAGE, parse: parseReport,
    summary: 'An HTML page of one run or a comparison of runs (plots, heat-map, table)',
    run: async (o) => (await import('./report.js')).reportCommand(o),
  }),
  command({
    name: 'bench', usage: BENCH_USAGE, parse: parseBench,
    summary: 'Time training steps and inference against PyTorch',
    run: async (o) => { await (await import('./bench.js')).benchCommand(o); return 0; },
  }),
];

/** The spec of a command name, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMAND_SPECS.find((c) => c.name === name);
}

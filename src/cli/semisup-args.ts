/** @module Flags and help of `adaptune semisup`: the option table of src/methods/semisup/options.ts. No native code. */
import { CliError, formatHelp, parseFlags } from '../core/options.js';
import { SEMISUP_OPTIONS, type SemisupOptionValues } from '../methods/semisup/options.js';

/** Options of `adaptune semisup`: runSemisup's (only the flags given; the run applies the defaults). */
export type SemisupArgs = SemisupOptionValues;

export const SEMISUP_USAGE = formatHelp(`Usage: adaptune semisup [flags]

Semi-supervised transfer (Abuduweili et al., CVPR 2021): the bundled backbone (or --weights FILE)
is the target model (new head, imprinted from the labelled images) and, frozen in eval mode
with its source head, the source model of AKC. Each step takes B labelled images (weak view:
crop with 2 px padding + flip) and mu x B unlabelled images (weak view, plus a strong view
RandAugment + Cutout 0.5 for fixmatch, a second weak view for pseudo-label / mean-teacher, K-1
more for mixmatch). Loss: CE + coef * SSL + lambda_ARC * ARC + lambda_AKC * AKC, weights warmed
up linearly; SGD Nesterov 0.9, cosine lr, no weight decay on BatchNorm and biases. Evaluates the
EMA model on the task's test split; reports the mean of the last 5 evaluations and the AKC/ARC
gate ratios over training. Writes config.json, metrics.jsonl (per step: losses, gate_akc,
gate_arc, ssl_mask), log.txt, summary.json and checkpoints/ into the run directory.
`, [SEMISUP_OPTIONS]);

/** Parses `adaptune semisup` flags. */
export function parseSemisup(args: string[]): SemisupArgs | 'help' {
  const o = parseFlags('semisup', SEMISUP_OPTIONS, args);
  if (o !== 'help' && o.resume !== undefined && (o.config !== undefined || o.weights !== undefined || o.out !== undefined)) throw new CliError('--resume DIR continues a run with its own config.json; it cannot be combined with --config, --weights or --out');
  return o;
}

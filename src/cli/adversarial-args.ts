/** @module Flags and help of `adaptune adversarial`: the option table of src/methods/adversarial/options.ts and the rules between flags. No native code. */
import { CliError, formatHelp, parseFlags } from '../core/options.js';
import { ADVERSARIAL_OPTIONS, ADVERSARIAL_RESUME_FLAGS, type AdversarialOptionValues } from '../methods/adversarial/options.js';

/** Options of `adaptune adversarial`: runAdversarial's (only the flags given; the run applies the defaults). */
export type AdversarialArgs = AdversarialOptionValues;

export const ADVERSARIAL_USAGE = formatHelp(`Usage: adaptune adversarial [flags]

PGD adversarial training (Madry et al.) of the bundled backbone (or --weights
FILE): as a short fine-tuning of the pre-trained weights (--init finetune,
Jeddi et al. 2020) or from re-initialised weights (--init scratch), under a
learning-rate schedule (default slow-start-fast-decay). Inputs are in [0, 1].
Each epoch (and every --eval-every steps) the robust accuracy on a held-out
split of the training images is measured; the best checkpoint on it is kept,
exported as OUT/weights.safetensors and evaluated on the test split (clean,
FGSM, PGD-k). Every run counts forward/backward example passes and wall time;
with --compare-to SCRATCH_RUN it prints the measured cost ratio.
`, [ADVERSARIAL_OPTIONS]);

/** Parses `adaptune adversarial` flags. */
export function parseAdversarial(args: string[]): AdversarialArgs | 'help' {
  const o = parseFlags('adversarial', ADVERSARIAL_OPTIONS, args);
  if (o === 'help') return 'help';
  if (o.resume !== undefined) {
    const fixed = (Object.keys(o) as (keyof typeof ADVERSARIAL_OPTIONS)[]).map((k) => ADVERSARIAL_OPTIONS[k].flag ?? k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).filter((f) => !ADVERSARIAL_RESUME_FLAGS.includes(f));
    if (fixed.length) throw new CliError(`--resume DIR continues a run with its own config and flags; it cannot be combined with --${fixed[0]} (only --json, --threads, --compare-to, and --epochs / --max-steps to extend it)`);
  }
  if (o.select === 'robust' && o.valImages === 0) throw new CliError('--select needs the monitor; it cannot be combined with --val-images 0');
  const given = (['warmupFraction', 'warmupShape', 'startFactor', 'decayShape', 'decayRate'] as const).filter((k) => o[k] !== undefined);
  if (given.length && o.schedule !== undefined && o.schedule !== 'slow-start-fast-decay') {
    throw new CliError(`--${given[0]!.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} shapes the slow-start-fast-decay schedule; it cannot be combined with --schedule ${o.schedule}`);
  }
  return o;
}

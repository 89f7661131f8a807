/** @module Flags and help of `adaptune robustness`: the option table of src/methods/adversarial/options.ts. No native code. */
import { formatHelp, parseFlags } from '../core/options.js';
import { ROBUSTNESS_OPTIONS, type RobustnessOptionValues } from '../methods/adversarial/options.js';

/** Options of `adaptune robustness`: runRobustness's (only the flags given; data not given: the weights' own task). */
export type RobustnessArgs = RobustnessOptionValues;

export const ROBUSTNESS_USAGE = formatHelp(`Usage: adaptune robustness [flags]

Evaluates a model's weights (default: the bundled backbone) on a task's test
split with inputs in [0, 1]: clean accuracy, FGSM accuracy, PGD-k accuracy for
each k with restarts (each example keeps its worst case), and PGD-kmax over an
eps sweep. A gradient-masking sanity check flags accuracy that does not fall as
the steps or eps grow, FGSM stronger than PGD, or attacked accuracy above clean.
`, [ROBUSTNESS_OPTIONS]);

/** Parses `adaptune robustness` flags. */
export const parseRobustness = (args: string[]): RobustnessArgs | 'help' => parseFlags('robustness', ROBUSTNESS_OPTIONS, args);

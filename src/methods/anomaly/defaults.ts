/** @module The options of runAnomaly and their defaults (shared with the CLI's parser; no native code). */
import type { RunHooks } from '../../train/lifecycle.js';
import type { AnomalyOptionValues } from './options.js';

/** Defaults of runAnomaly and `adaptune anomaly` besides the engine config. */
export const ANOMALY_ARGS = {
  data: 'synthetic' as 'synthetic' | 'mvtec' | 'fmnist', batchSize: 32, valFraction: 0.2, trainSize: 200, testGood: 60, testDefect: 60, overlays: 8, seed: 0,
  finetune: false, toEnd: false, segment: false, baselines: false,
};

/** Options of runAnomaly (undefined: the default): the table of options.ts. */
export type AnomalyOptions = AnomalyOptionValues & RunHooks;

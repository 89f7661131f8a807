/** @module Flags and help of `adaptune anomaly`: the option table of src/methods/anomaly/options.ts and the rules between flags. No native code. */
import { ConfigError } from '../core/errors.js';
import { CliError, formatHelp, parseFlags } from '../core/options.js';
import { ANOMALY_OPTIONS, anomalyCategories, type AnomalyOptionValues } from '../methods/anomaly/options.js';

export { SYNTHETIC_CATEGORIES } from '../methods/anomaly/options.js';

/** Options of `adaptune anomaly`: runAnomaly's (only the flags given, categories expanded; the run applies the defaults). */
export type AnomalyArgs = AnomalyOptionValues;

export const ANOMALY_USAGE = formatHelp(`Usage: adaptune anomaly [flags]

Gaussian anomaly detection (Rippel et al. ICPR 2020) with the bundled backbone (or --weights):
one Gaussian (Ledoit-Wolf) per feature stage of the globally pooled features of the normal
training images, image score = mean over the stages of the Mahalanobis distances (as the official
code; --set method.combine=sum: sum of squared distances); image AUROC, per-stage AUROC and TPR at
5% FPR on the test split. Optionally:
  --finetune  fine-tune the backbone by minimising that Mahalanobis score of normal
              images (Rippel et al. 2021; Adam, BN frozen, Gaussian refitted each epoch) with the
              forgetting-aware validation: held-out normal images vs the same images made
              anomalous (MixUp, CutMix, CutPaste, Cutout, AugMix-style); the epoch with the best
              validation AUROC is kept (epoch 0 = the pre-trained model), early stop on patience
  --baselines image AUROC of the variants on the same features: ledoit-wolf, ledoit-wolf-sum
              (squared sum over stages), empirical (+1e-3 I), npca-0.99, npca-0.95, pca-0.99,
              sed (diagonal), l2 (Euclidean)
  --segment   PaDiM-style per-location Gaussians on mid-level maps (a seeded random subset of
              round(100/448 x D) of the D channels, PaDiM's; --set method.padimChannels=all|N):
              pixel AUROC, PRO (FPR <= 0.3) and PNG overlays (image | ground truth | score map)
              under OUT/<category>/overlays/
`, [ANOMALY_OPTIONS]);

/** Parses `adaptune anomaly` flags. */
export function parseAnomaly(args: string[]): AnomalyArgs | 'help' {
  const o = parseFlags('anomaly', ANOMALY_OPTIONS, args);
  if (o === 'help') return 'help';
  const data = o.data ?? 'synthetic';
  if (data === 'mvtec' && o.root === undefined) throw new CliError('--data mvtec needs --root DIR (the folder holding the category folders)');
  try {
    if (data.includes(':')) { if (o.categories !== undefined) throw new ConfigError(`--category does not apply to --data ${data} (one category: the folder)`); }
    else if (o.categories !== undefined || data === 'mvtec') o.categories = anomalyCategories(data as 'synthetic' | 'mvtec' | 'fmnist', o.categories);
  } catch (e) { if (e instanceof ConfigError) throw new CliError(e.message); throw e; }
  if ((data === 'fmnist' || data.startsWith('anomaly:')) && o.segment) throw new CliError('--segment needs pixel masks: use --data synthetic, mvtec or mvtec:DIR');
  if (data !== 'mvtec' && (o.root !== undefined || o.size !== undefined)) throw new CliError('--root and --size apply to --data mvtec only');
  if (o.toEnd && !o.finetune) throw new CliError('--to-end applies to --finetune only');
  return o;
}

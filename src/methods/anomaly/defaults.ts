/** @module The options of runAnomaly and their defaults (shared with the CLI's parser; no native code). */
import type { RunHooks } from '../../train/lifecycle.js';

/** Defaults of runAnomaly and `adaptune anomaly` besides the engine config. */
export const ANOMALY_ARGS = {
  data: 'synthetic' as 'synthetic' | 'mvtec' | 'fmnist', batchSize: 32, valFraction: 0.2, trainSize: 200, testGood: 60, testDefect: 60, overlays: 8, seed: 0,
  finetune: false, toEnd: false, segment: false, baselines: false,
};

/** Options of runAnomaly (undefined: the default). */
export interface AnomalyOptions extends RunHooks {
  /**
   * 'synthetic' (procedural defects), 'fmnist' (one-class Fashion-MNIST), 'mvtec' (with root and categories), or a data
   * spec: `mvtec:DIR` (one MVTec-AD category folder) or `anomaly:DIR` (normal/ + anomalous/, or train/ + test/good +
   * test/<defect>; no masks), as data.open reads them.
   */
  data?: string;
  /** Categories (synthetic: grating ...; mvtec: bottle ...; fmnist: normal classes 5..9). Default: grating, or 5..9 for fmnist; a data spec is one category (its folder name). */
  categories?: string[];
  /** MVTec root (the folder holding the category folders) and image size. */
  root?: string | null; size?: number | null;
  /** Any weights file loadWeights reads (default: the bundled backbone); the backbone's normalisation is applied to the images. */
  weights?: string | null;
  /** A registry model: the architecture of `weights` (default: the sidecar's or inferred). */
  model?: string | null;
  /** The model's input size for a data spec (default: size, else from the model). */
  imageSize?: number | null;
  /** Fine-tune with the forgetting-aware validation; toEnd: no early stopping. */
  finetune?: boolean; toEnd?: boolean;
  /** PaDiM segmentation with overlays; the baselines' AUROCs. */
  segment?: boolean; baselines?: boolean;
  epochs?: number; lr?: number; patience?: number;
  objective?: 'mahalanobis' | 'euclidean'; bn?: 'frozen' | 'train';
  covariance?: 'ledoit-wolf' | 'empirical' | 'diagonal' | 'identity'; projection?: 'none' | 'pca' | 'npca'; stages?: string[];
  batchSize?: number; valFraction?: number; trainSize?: number; testGood?: number; testDefect?: number; overlays?: number;
  config?: string | null; set?: string[]; out?: string | null; seed?: number; threads?: number;
}

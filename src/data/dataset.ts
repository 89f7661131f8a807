/**
 * @module In-memory datasets: images as uint8 [N, C, H, W] (compact), labels as
 * int64 [N], optional uint8 masks [N, 1, H, W]. Conversion to float and
 * normalisation happen on batches (see loader.ts and transforms/).
 *
 * Ownership: a Dataset owns its tensors (taken out of any tidy scope at
 * construction); call dispose() when done. subset() copies.
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { ConfigError, DataError } from '../core/errors.js';

/** What to do with a corrupt or unreadable file: throw a DataError naming it, or skip it and list it in the report. */
export type CorruptPolicy = 'fail' | 'skip';

/** A file left out of a dataset and why. */
export interface SkippedFile { file: string; reason: string }

/** What a reader loaded and skipped; JSON-serialisable, for the run log. */
export interface LoadReport {
  source: string;
  policy: CorruptPolicy;
  loaded: number;
  skipped: number;
  skippedFiles: SkippedFile[];
}

/** Checks a policy value. */
export function checkPolicy(p: unknown, where: string): CorruptPolicy {
  if (p !== 'fail' && p !== 'skip') throw new ConfigError(`${where}.onCorrupt must be 'fail' or 'skip', got ${JSON.stringify(p)}`);
  return p;
}

/** Throws a DataError naming the first label outside [0, numClasses) (index and value). */
export function validateLabels(labels: Tensor | ArrayLike<number | bigint>, numClasses: number, what = 'dataset'): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ConfigError(`${what}: numClasses must be an integer >= 1, got ${numClasses}`);
  const arr = labels instanceof torch.Tensor ? labels.data() : labels;
  for (let i = 0; i < arr.length; i++) {
    const v = Number(arr[i]);
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new DataError(`${what}: label at index ${i} is ${String(arr[i])}, outside [0, ${numClasses})`);
    }
  }
}

/** Options of a Dataset. */
export interface DatasetInit {
  /** uint8 [N, C, H, W]. */
  images: Tensor;
  /** int64 [N] (other integer dtypes are converted). */
  labels: Tensor;
  /** Class names; their count is numClasses. Default: '0'..'K-1' with K = max label + 1. */
  classes?: string[];
  /** uint8 [N, 1, H, W] masks (0/1), e.g. anomaly ground truth. */
  masks?: Tensor | null;
  /** Where the data came from (for error messages and reports). */
  source?: string;
  /** The reader's report, if any. */
  report?: LoadReport | null;
}

/** An in-memory labelled image dataset. */
export class Dataset {
  readonly images: Tensor;
  readonly labels: Tensor;
  readonly masks: Tensor | null;
  readonly classes: string[];
  readonly source: string;
  readonly report: LoadReport | null;
  #labelsJs: Int32Array | null = null;

  /** Validates shapes, dtypes and labels (DataError before any training) and takes ownership of the tensors. */
  constructor(init: DatasetInit) {
    const src = init.source ?? 'in-memory dataset';
    const { images } = init;
    if (!(images instanceof torch.Tensor) || images.ndim !== 4) throw new DataError(`${src}: images must be a [N, C, H, W] tensor, got ${String(images)}`);
    if (images.dtype !== 'uint8') throw new DataError(`${src}: images must be uint8 (compact; convert on batches), got ${images.dtype}`);
    const n = images.shape[0]!;
    const c = images.shape[1]!;
    if (c !== 1 && c !== 3) throw new DataError(`${src}: images must have 1 or 3 channels, got ${c}`);
    let labels = init.labels;
    if (!(labels instanceof torch.Tensor) || labels.ndim !== 1 || labels.shape[0] !== n) {
      throw new DataError(`${src}: labels must be a 1-D tensor of length ${n}, got ${String(labels)}`);
    }
    if (!['int64', 'int32', 'int16', 'int8', 'uint8'].includes(labels.dtype)) throw new DataError(`${src}: labels must be integers, got ${labels.dtype}`);
    const lab = Int32Array.from(labels.data() as ArrayLike<number>, Number);
    const maxLabel = lab.reduce((a, b) => Math.max(a, b), -1);
    const classes = init.classes ?? Array.from({ length: Math.max(maxLabel + 1, 1) }, (_, i) => String(i));
    validateLabels(lab, classes.length, src);
    if (labels.dtype !== 'int64') { const l = labels.to('int64'); labels.dispose(); labels = l; }
    const masks = init.masks ?? null;
    if (masks && (masks.ndim !== 4 || masks.shape[0] !== n || masks.shape[1] !== 1 || masks.shape[2] !== images.shape[2] || masks.shape[3] !== images.shape[3] || masks.dtype !== 'uint8')) {
      throw new DataError(`${src}: masks must be uint8 [${n}, 1, ${images.shape[2]}, ${images.shape[3]}], got ${String(masks)}`);
    }
    this.images = torch.keep(images);
    this.labels = torch.keep(labels);
    this.masks = masks ? torch.keep(masks) : null;
    this.classes = [...classes];
    this.source = src;
    this.report = init.report ?? null;
    this.#labelsJs = lab;
  }

  /** A dataset from in-memory tensors (uint8 images [N,C,H,W], integer labels [N]). */
  static fromTensors(images: Tensor, labels: Tensor, classes?: string[]): Dataset {
    return new Dataset({ images, labels, classes, source: 'tensors' });
  }

  /** Number of examples. */
  get length(): number { return this.images.shape[0]!; }
  /** Number of classes. */
  get numClasses(): number { return this.classes.length; }
  /** [C, H, W] of one example. */
  get exampleShape(): number[] { return this.images.shape.slice(1); }

  /** Labels as a JS array (cached). */
  labelArray(): Int32Array {
    if (!this.#labelsJs) this.#labelsJs = Int32Array.from(this.labels.data() as BigInt64Array, Number);
    return this.#labelsJs;
  }

  /** Examples per class. */
  classCounts(): number[] {
    const counts = new Array<number>(this.numClasses).fill(0);
    for (const v of this.labelArray()) counts[v]!++;
    return counts;
  }

  /** A new dataset holding copies of the given examples (in that order), optionally relabelled. */
  subset(indices: readonly number[], relabel?: { labels: readonly number[]; classes: string[] }): Dataset {
    const n = this.length;
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= n) throw new DataError(`${this.source}: subset index ${i} is ${v}, outside [0, ${n})`);
    }
    return torch.tidy(() => {
      const idx = torch.tensor(Int32Array.from(indices)).to('int64');
      const labels = relabel ? torch.tensor(Int32Array.from(relabel.labels)).to('int64') : this.labels.indexSelect(0, idx);
      return new Dataset({
        images: this.images.indexSelect(0, idx), labels,
        masks: this.masks ? this.masks.indexSelect(0, idx) : null,
        classes: relabel ? relabel.classes : this.classes, source: `${this.source} (subset of ${indices.length})`,
      });
    });
  }

  /** A plain summary for the run directory. */
  describe(): { source: string; length: number; shape: number[]; classes: string[]; classCounts: number[]; hasMasks: boolean; report: LoadReport | null } {
    return { source: this.source, length: this.length, shape: this.exampleShape, classes: this.classes, classCounts: this.classCounts(), hasMasks: this.masks !== null, report: this.report };
  }

  /** Frees the tensors. */
  dispose(): void {
    this.images.dispose();
    this.labels.dispose();
    this.masks?.dispose();
  }
}

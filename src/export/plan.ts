/**
 * @module What an export takes from the weights' sidecar when it records the data's preprocessing (weights that
 * runFinetune, runAdversarial or runPretrain wrote, on any data spec): the class names, the input shape
 * [C, imageSize], the normalisation (put inside the graph), torchvision's resize (shorter side to resizeTo, then
 * center crop; recorded as `resize`, which predict and the web page apply) and the full description under
 * `adaptune.preprocessing`. Sidecars without a preprocessing record (the bundled backbone, older runs) give null:
 * the export then reads the built-in task as before.
 */
import { parsePreprocessing, preprocessingMetadata, type Preprocessing } from '../data/preprocess.js';
import type { Normalization } from './metadata.js';
import type { ResizeSpec } from './preprocess.js';

/** The export settings a sidecar's preprocessing implies. */
export interface ExportPlan {
  /** The data the weights were trained on (the sidecar's task name). */
  taskName: string;
  classNames: string[] | null;
  /** [C, H, W] of the graph input. */
  imageShape: number[];
  normalize: Normalization | null;
  resize: ResizeSpec;
  metadata: Record<string, string>;
  preprocessing: Preprocessing;
}

/** The plan of a sidecar that records its preprocessing, or null; `numClasses`: the model's outputs (class names are kept only when they match). */
export function planFromSidecar(sidecar: { task?: Record<string, unknown>; preprocessing?: unknown }, numClasses: number, where: string): ExportPlan | null {
  if (!sidecar.preprocessing) return null;
  const p = parsePreprocessing(sidecar.preprocessing, `${where}: preprocessing`);
  const names = sidecar.task?.['classes'];
  const classNames = Array.isArray(names) && names.length === numClasses && names.every((n) => typeof n === 'string') ? names as string[] : null;
  return {
    taskName: typeof sidecar.task?.['name'] === 'string' ? sidecar.task['name'] : 'unknown',
    classNames, imageShape: [p.channels, p.imageSize[0], p.imageSize[1]], normalize: p.normalization,
    resize: { mode: 'shorter', size: p.resizeTo },
    metadata: preprocessingMetadata(p), preprocessing: p,
  };
}

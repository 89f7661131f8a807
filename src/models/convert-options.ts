/** @module The option table of `adaptune convert` (models.convertWeights): the one definition of each flag (src/core/options.ts says how to add one). No native code. */
import { opt } from '../core/options.js';
import { MODEL_NAMES } from './names.js';

/** Flags of `adaptune convert FILE`. */
export const CONVERT_OPTIONS = {
  model: opt.enum(MODEL_NAMES, { arg: 'NAME', defaultText: 'inferred from the key names and shapes', doc: 'registry model (resnet18/34/50, cifar_resnet18/20/32/34/56,\nsmall_cnn)' }),
  out: opt.string({ arg: 'FILE', defaultText: 'FILE with .safetensors', doc: 'output .safetensors' }),
  numClasses: opt.int({ min: 1, doc: 'replace the classifier head by a new one with N classes' }),
  overwrite: opt.bool({ doc: 'replace existing output files' }),
  json: opt.bool({ doc: 'print ONE JSON object on stdout' }),
} as const;

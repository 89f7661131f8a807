/** @module The option table of `adaptune report` (writeReport): the one definition of each flag (src/core/options.ts says how to add one). No native code. */
import { ConfigError } from '../../core/errors.js';
import { opt } from '../../core/options.js';

/** Flags of `adaptune report RUN_DIR...`. */
export const REPORT_OPTIONS = {
  out: opt.string({ arg: 'FILE', defaultText: 'RUN_DIR/report.html for one run, ./report.html for several', doc: 'the page' }),
  heatmap: opt.custom((v) => {
    const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length < 2 || parts.length > 3) throw new ConfigError(`--heatmap must be X,Y or X,Y,METRIC, got '${v}'`);
    return { x: parts[0]!, y: parts[1]!, ...(parts[2] ? { metric: parts[2] } : {}) };
  }, { arg: 'X,Y[,M]', defaultText: 'inferred when exactly two config values vary', doc: 'config keys for the heat-map axes (dotted, e.g. optim.lr,optim.momentum)\nand the metric' }),
  title: opt.string({ arg: 'TEXT', doc: 'the page title' }),
  tensorboard: opt.bool({ doc: "also write each run's metrics as TensorBoard event files (RUN_DIR/tensorboard/), for runs\nwhose training did not write them already (a run's own events file is kept, not duplicated)" }),
  json: opt.bool({ doc: 'print ONE JSON object on stdout' }),
} as const;

/**
 * @module convertWeights: any weights file loadWeights reads (a PyTorch .pth/.pt/.bin, plain safetensors) to
 * adaptune's form: `OUT.safetensors` (the model's state dict under adaptune's names, float32, tensors sorted
 * by name) and its sidecar `OUT.json` (format 'adaptune-backbone/1': sha256 of the written file, model name and
 * config, the preprocessing normalisation, where the weights came from). Both files are written atomically
 * (temporary file, then rename); nothing is written when the weights do not fit the model.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as torch from '../../core/torch.js';
import { ConfigError } from '../../core/errors.js';
import { saveSafetensors } from '../../core/io/safetensors.js';
import { loadWeights, type LoadWeightsOptions, type LoadedWeights, type Normalization } from './load.js';

/** Options of convertWeights. */
export interface ConvertOptions extends LoadWeightsOptions {
  /** Output weights file; must end in .safetensors (the sidecar is the same path with .json). */
  out: string;
  /** Replace existing output files (default false: an existing file is an error). */
  overwrite?: boolean;
  /** Normalisation to record instead of the one loadWeights chose. */
  normalization?: Normalization | null;
  /** Recorded in the sidecar (the CLI passes its command line and collectVersions()). */
  command?: string;
  versions?: { adaptune: string; libtorch: string; node: string; git: { rev: string | null; dirty: boolean | null } };
}

/** The written sidecar (a superset of the CLI's Sidecar: preprocessing and conversion are added). */
export interface ConvertedSidecar {
  format: 'adaptune-backbone/1';
  weights: string;
  sha256: string;
  model: { name: string; config: Record<string, unknown> };
  task: Record<string, unknown>;
  training: Record<string, unknown>;
  sourceTestAccuracy: null;
  command: string;
  elapsedSec: null;
  versions: NonNullable<ConvertOptions['versions']>;
  created: string;
  preprocessing: { normalization: Normalization | null };
  conversion: { from: string; format: string; wrapper: string | null; prefix: string; style: string; architecture: string; evidence: string; ignored: string[]; headReplaced: boolean };
}

/** Converts `input` to `o.out` (+ sidecar); returns both paths, the sidecar and what loadWeights found. */
export function convertWeights(input: string, o: ConvertOptions): { weights: string; sidecar: string; meta: ConvertedSidecar; loaded: Omit<LoadedWeights, 'model'> } {
  if (typeof o?.out !== 'string' || !/\.safetensors$/.test(o.out)) throw new ConfigError(`convertWeights: out must be a path ending in .safetensors, got ${JSON.stringify(o?.out)}`);
  const sidePath = o.out.replace(/\.safetensors$/, '.json');
  if (!o.overwrite) for (const f of [o.out, sidePath]) if (existsSync(f)) throw new ConfigError(`convertWeights: ${f} exists (pass overwrite: true to replace it)`);
  const loaded = loadWeights(input, o);
  const { model, ...rest } = loaded;
  try {
    const sd = new Map([...model.stateDict()].map(([k, t]) => [k, t]));
    saveSafetensors(o.out, sd, { format: 'pt', model: loaded.name });
    const config = { ...loaded.config, numClasses: model.numClasses };
    const meta: ConvertedSidecar = {
      format: 'adaptune-backbone/1', weights: basename(o.out), sha256: createHash('sha256').update(readFileSync(o.out)).digest('hex'),
      model: { name: loaded.name, config }, task: { name: 'converted', from: input }, training: {}, sourceTestAccuracy: null,
      command: o.command ?? '', elapsedSec: null,
      versions: o.versions ?? { adaptune: 'unknown', libtorch: torch.version().libtorch, node: process.version, git: { rev: null, dirty: null } },
      created: new Date().toISOString(),
      preprocessing: { normalization: o.normalization === undefined ? loaded.normalization : o.normalization },
      conversion: { from: input, ...loaded.source, ignored: loaded.report.ignored, headReplaced: loaded.report.headReplaced },
    };
    const tmp = `${sidePath}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n');
    renameSync(tmp, sidePath);
    return { weights: o.out, sidecar: sidePath, meta, loaded: rest };
  } finally {
    model.dispose();
  }
}

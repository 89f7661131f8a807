/**
 * @module Pre-trained weights from any file into a registry model, in one call (loadWeights):
 *  - formats, told by their bytes (not the extension): safetensors (adaptune's with a sidecar, or plain from
 *    PyTorch/timm/Hugging Face), PyTorch .pth/.pt/.bin in zip or legacy format (the weights-only reader in
 *    core/io/pth.ts; libtorch's pickle loader is never used);
 *  - keys normalised (keys.ts: `module.`/`model.` prefixes, Hugging Face ResNet names);
 *  - the model: `options.model`, else the sidecar's, else inferred from the key names and shapes; its config
 *    (width, input channels, classes) read from the shapes unless given;
 *  - every missing key, unexpected key and shape mismatch is named in one CheckpointError (with the file)
 *    before anything is copied; `strict: false` loads what fits and reports the rest;
 *  - `numClasses` replaces the head by a new Linear (PyTorch init) after loading.
 * Normalisation: the sidecar's, else ImageNet mean/std for torchvision-style (7x7 stem) ResNets, else null.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { CheckpointError } from '../../core/errors.js';
import { loadSafetensors } from '../../core/io/safetensors.js';
import { loadTorchCheckpoint } from '../../core/io/pth.js';
import { isZip } from '../../core/io/zip.js';
import { createModel, listModels, type ModelName } from '../registry.js';
import type { FeatureModel } from '../base.js';
import { inferArchitecture, normaliseKeys, type KeyStyle } from './keys.js';

/** ImageNet channel statistics, used by torchvision's, timm's and Hugging Face's ResNets. */
export const IMAGENET_NORMALIZATION = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** Per-channel input normalisation (x - mean) / std on inputs in [0, 1]. */
export interface Normalization { mean: number[]; std: number[] }

/** The file formats read. */
export type WeightsFormat = 'safetensors' | 'pth-zip' | 'pth-legacy';

/** A state dict read from a file, keys normalised to adaptune's names. */
export interface StateDictFile {
  file: string;
  format: WeightsFormat;
  /** Normalised name -> tensor (owned by the caller). */
  tensors: Map<string, Tensor>;
  /** safetensors metadata ({} for .pth). */
  metadata: Record<string, string>;
  /** The key the .pth wrapped its state dict in ('state_dict', ...), or null. */
  wrapper: string | null;
  /** The prefix stripped from every key ('module.', ...; '' when none). */
  prefix: string;
  style: KeyStyle;
  /** Non-tensor entries skipped. */
  ignored: string[];
}

/** Which format a file holds, from its first bytes. */
export function detectWeightsFormat(file: string): WeightsFormat {
  let head = new Uint8Array(16);
  let n = 0;
  try { const fd = openSync(file, 'r'); try { n = readSync(fd, head, 0, 16, 0); } finally { closeSync(fd); } } catch (e) {
    throw new CheckpointError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  head = head.subarray(0, n);
  if (isZip(head)) return 'pth-zip';
  if (head[0] === 0x80) return 'pth-legacy';
  if (n >= 9 && head[8] === 0x7b) return 'safetensors';
  throw new CheckpointError(`${file}: neither safetensors nor a PyTorch checkpoint (first bytes ${Buffer.from(head.subarray(0, 8)).toString('hex')})`);
}

/** Reads any supported weights file and normalises its keys (see the module doc). */
export function readStateDict(file: string, o: { dtype?: 'keep' | 'float32' } = {}): StateDictFile {
  const format = detectWeightsFormat(file);
  let raw: Map<string, Tensor>;
  let metadata: Record<string, string> = {};
  let wrapper: string | null = null;
  let ignored: string[] = [];
  if (format === 'safetensors') {
    ({ tensors: raw, metadata } = loadSafetensors(file));
    if (o.dtype === 'float32') {
      for (const [k, t] of raw) if (t.dtype === 'float16' || t.dtype === 'bfloat16' || t.dtype === 'float64') { raw.set(k, t.to('float32')); t.dispose(); }
    }
  } else {
    const c = loadTorchCheckpoint(file, o);
    ({ tensors: raw, wrapper, ignored } = c);
  }
  try {
    const map = normaliseKeys([...raw.keys()]);
    const tensors = new Map<string, Tensor>();
    for (const [k, t] of raw) tensors.set(map.names.get(k)!, t);
    return { file, format, tensors, metadata, wrapper, prefix: map.prefix, style: map.style, ignored };
  } catch (e) {
    for (const t of raw.values()) t.dispose();
    throw new CheckpointError(`${file}: ${(e as Error).message}`);
  }
}

/** What loading found besides the weights. */
export interface FitReport { missing: string[]; unexpected: string[]; mismatched: string[]; loaded: number }

const isNbt = (k: string): boolean => k.endsWith('num_batches_tracked');
const list = (a: string[]): string => (a.length > 12 ? `${a.slice(0, 12).join(', ')} and ${a.length - 12} more` : a.join(', '));

/** Compares a state dict with a model's by name and shape; strict throws naming every problem, else loads what fits. */
export function fitStateDict(model: FeatureModel, sd: ReadonlyMap<string, Tensor>, o: { strict?: boolean; where?: string; what?: string } = {}): FitReport {
  const own = model.stateDict();
  const missing = [...own.keys()].filter((k) => !sd.has(k) && !isNbt(k));
  const unexpected = [...sd.keys()].filter((k) => !own.has(k));
  const mismatched: string[] = [];
  const fits = new Map<string, Tensor>();
  for (const [k, t] of sd) {
    const m = own.get(k);
    if (!m) continue;
    if (m.shape.length !== t.shape.length || m.shape.some((v, i) => v !== t.shape[i])) mismatched.push(`${k} (file [${t.shape}], model [${m.shape}])`);
    else fits.set(k, t);
  }
  if ((o.strict ?? true) && (missing.length || unexpected.length || mismatched.length)) {
    const parts = [missing.length ? `missing: ${list(missing)}` : '', unexpected.length ? `unexpected: ${list(unexpected)}` : '', mismatched.length ? `shape mismatch: ${list(mismatched)}` : ''].filter(Boolean);
    throw new CheckpointError(`${o.where ?? 'weights'}: the weights do not fit ${o.what ?? model.constructor.name}: ${parts.join('; ')}`);
  }
  torch.noGrad(() => model.loadStateDict(fits, { strict: false }));
  return { missing, unexpected, mismatched, loaded: fits.size };
}

/** Options of loadWeights. */
export interface LoadWeightsOptions {
  /** Registry name (default: the sidecar's, else inferred from the keys and shapes). */
  model?: ModelName;
  /** Config fields over the ones read from the shapes (e.g. { zeroInitResidual: false }). */
  config?: Record<string, unknown>;
  /** Replace the head by a new one with this many classes (PyTorch init) after loading. */
  numClasses?: number;
  /** Default true: any missing/unexpected key or shape mismatch throws naming them all. */
  strict?: boolean;
}

/** A model with weights from a file, and how they were found. */
export interface LoadedWeights {
  model: FeatureModel;
  name: ModelName;
  /** The config the model was built with (before a head replacement). */
  config: Record<string, unknown>;
  source: { file: string; format: WeightsFormat; wrapper: string | null; prefix: string; style: KeyStyle; architecture: 'given' | 'sidecar' | 'inferred'; evidence: string };
  report: FitReport & { ignored: string[]; headReplaced: boolean; sourceClasses: number | null };
  normalization: Normalization | null;
}

interface SidecarInfo { name: ModelName; config: Record<string, unknown>; normalization: Normalization | null }

/** The adaptune sidecar (X.json next to X.safetensors) when there is one: model spec, checked against the sha256. */
function sidecarOf(file: string): SidecarInfo | null {
  if (!/\.safetensors$/.test(file)) return null;
  const side = file.replace(/\.safetensors$/, '.json');
  if (!existsSync(side)) return null;
  let s: { format?: string; sha256?: string; model?: { name?: string; config?: Record<string, unknown> }; preprocessing?: { normalization?: Normalization | null } };
  try { s = JSON.parse(readFileSync(side, 'utf8')); } catch { return null; }
  if (s?.format !== 'adaptune-backbone/1' || typeof s.model?.name !== 'string') return null;
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  if (sha !== s.sha256) throw new CheckpointError(`checksum mismatch for ${file}: sha256 is ${sha}, its sidecar ${side} says ${s.sha256}`);
  if (!listModels().includes(s.model.name as ModelName)) throw new CheckpointError(`${side}: model '${s.model.name}' is not in the registry (${listModels().join(', ')})`);
  return { name: s.model.name as ModelName, config: { ...(s.model.config ?? {}) }, normalization: s.preprocessing?.normalization ?? null };
}

/** Loads a weights file into a registry model in one call; see the module doc. */
export function loadWeights(file: string, o: LoadWeightsOptions = {}): LoadedWeights {
  if (o.model !== undefined && !listModels().includes(o.model)) throw new CheckpointError(`loadWeights: unknown model '${o.model}' (available: ${listModels().join(', ')})`);
  const side = sidecarOf(file);
  const sd = readStateDict(file);
  try {
    const shapes = new Map([...sd.tensors].map(([k, t]) => [k, t.shape]));
    let name: ModelName;
    let config: Record<string, unknown>;
    let architecture: LoadedWeights['source']['architecture'];
    let evidence = '';
    if (side && (o.model === undefined || o.model === side.name)) {
      [name, config, architecture, evidence] = [side.name, side.config, 'sidecar', 'the adaptune sidecar'];
    } else {
      let inf: ReturnType<typeof inferArchitecture> | null = null;
      try { inf = inferArchitecture(shapes, file); } catch (e) { if (o.model === undefined) throw e; }
      name = o.model ?? inf!.name;
      architecture = o.model === undefined ? 'inferred' : 'given';
      evidence = inf ? inf.evidence : 'model name given';
      config = inf && inf.name === name ? { ...inf.config } : {};
      const conv1 = shapes.get('conv1.weight');
      // another ResNet than the keys suggest: still take the width and input channels from the stem, so the
      // report names the structural differences (missing blocks) rather than every shape
      if (inf && inf.name !== name && name.includes('resnet') && inf.name.includes('resnet') && conv1) Object.assign(config, { inChannels: conv1[1], width: conv1[0] });
      const fc = shapes.get('fc.weight');
      if (fc && config.numClasses === undefined) config.numClasses = fc[0];
    }
    config = { ...config, ...(o.config ?? {}) };
    const model = createModel(name, config as never);
    try {
      const fit = fitStateDict(model, sd.tensors, { strict: o.strict, where: file, what: `${name}(${JSON.stringify(config)})` });
      const sourceClasses = model.numClasses;
      const headReplaced = o.numClasses !== undefined;
      if (headReplaced) torch.noGrad(() => model.resetClassifier(o.numClasses!));
      const imagenet = name.startsWith('resnet');
      return {
        model, name, config,
        source: { file, format: sd.format, wrapper: sd.wrapper, prefix: sd.prefix, style: sd.style, architecture, evidence },
        report: { ...fit, ignored: sd.ignored, headReplaced, sourceClasses },
        normalization: side?.normalization ?? (architecture !== 'sidecar' && imagenet ? { mean: [...IMAGENET_NORMALIZATION.mean], std: [...IMAGENET_NORMALIZATION.std] } : null),
      };
    } catch (e) {
      model.dispose();
      throw e;
    }
  } finally {
    for (const t of sd.tensors.values()) t.dispose();
  }
}

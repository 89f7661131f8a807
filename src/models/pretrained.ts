/**
 * @module Pre-trained weights with an adaptune sidecar (`X.safetensors` + `X.json`): the bundled backbone
 * (assets/backbones/), loading any such file (the sidecar's sha256 is checked against the file, the architecture
 * rebuilt from the sidecar, the weights loaded strictly, the head replaced for the target's class count), and
 * writing weights with their sidecar.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../core/torch.js';
import { loadSafetensors, saveSafetensors } from '../core/io/safetensors.js';
import { sha256File as sha256Streamed } from '../core/io/hash.js';
import { collectVersions, type Versions } from '../core/version.js';
import type { FeatureModel } from './base.js';
import { createModel, type ModelName } from './registry.js';

/** SHA-256 (hex) of a file's bytes, streamed (issue 21, F2). */
export function sha256File(file: string): string {
  return sha256Streamed(file).sha256;
}

/** The model description a sidecar records (enough to rebuild the architecture). */
export interface ModelSpec { name: string; config: Record<string, number> }

/** A weights file's sidecar JSON (`X.safetensors` -> `X.json`). */
export interface Sidecar {
  format: 'adaptune-backbone/1';
  weights: string;
  sha256: string;
  model: ModelSpec;
  task: Record<string, unknown>;
  training: Record<string, unknown>;
  sourceTestAccuracy: number | null;
  command: string;
  elapsedSec: number | null;
  /** How images were prepared for these weights (data.Preprocessing: size, channels, normalisation), when recorded. */
  preprocessing?: Record<string, unknown> | null;
  versions: Versions;
  created: string;
}

/** The sidecar path of a weights file. */
export function sidecarPath(weights: string): string {
  return weights.replace(/\.safetensors$/, '') + '.json';
}

/** Writes the model's state dict as safetensors and the sidecar next to it (sha256 of the written file); returns the sidecar. */
export function writeWeights(model: FeatureModel, file: string, info: Omit<Sidecar, 'format' | 'weights' | 'sha256' | 'versions' | 'created'>): Sidecar {
  saveSafetensors(file, model.stateDict(), { format: 'pt', model: info.model.name });
  // the head may have changed (a fine-tuned model): record the class count the weights hold
  const config = 'numClasses' in info.model.config ? { ...info.model.config, numClasses: model.numClasses } : info.model.config;
  const sidecar: Sidecar = {
    format: 'adaptune-backbone/1', weights: file.split('/').pop()!, sha256: sha256File(file), ...info, model: { ...info.model, config },
    versions: collectVersions(), created: new Date().toISOString(),
  };
  writeFileSync(sidecarPath(file), JSON.stringify(sidecar, null, 2) + '\n');
  return sidecar;
}

/** A weights file that is missing, corrupted (checksum) or lacks a usable sidecar; the message names the file. */
export class BackboneError extends Error { override name = 'BackboneError'; }

/** File name of the bundled backbone under assets/backbones/. */
export const DEFAULT_BACKBONE = 'cifar_resnet20-w16-fmnist-source.safetensors';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The package's assets/backbones folder (from dist/src/models or src/models). */
export function backbonesDir(): string {
  for (const up of ['../../..', '../..']) {
    const d = resolve(HERE, up, 'assets', 'backbones');
    if (existsSync(join(d, DEFAULT_BACKBONE))) return d;
  }
  return resolve(HERE, '../../..', 'assets', 'backbones');
}

/** Path of the bundled backbone's weights. */
export function bundledBackbonePath(): string { return join(backbonesDir(), DEFAULT_BACKBONE); }

/** Reads and checks the sidecar of a weights file (BackboneError naming the file when absent or malformed). */
export function readSidecar(weights: string): Sidecar {
  const side = sidecarPath(weights);
  if (!existsSync(weights)) throw new BackboneError(`weights file ${weights} does not exist`);
  let s: Sidecar;
  try { s = JSON.parse(readFileSync(side, 'utf8')) as Sidecar; } catch (e) {
    throw new BackboneError(`${weights}: cannot read its sidecar ${side} (${(e as Error).message}); adaptune pretrain --export writes both`);
  }
  if (typeof s?.sha256 !== 'string' || typeof s.model?.name !== 'string' || typeof s.model.config !== 'object') {
    throw new BackboneError(`${side}: not an adaptune backbone sidecar (needs sha256 and model.name/model.config)`);
  }
  return s;
}

/** Throws BackboneError naming the file when its sha256 differs from the sidecar's. */
export function verifyWeights(weights: string, sidecar: Sidecar): void {
  const got = sha256File(weights);
  if (got !== sidecar.sha256) {
    throw new BackboneError(`checksum mismatch for ${weights}: sha256 is ${got}, its sidecar ${sidecarPath(weights)} says ${sidecar.sha256} (the file is corrupted or was replaced)`);
  }
}

/** A loaded backbone. */
export interface LoadedBackbone { model: FeatureModel; sidecar: Sidecar; file: string }

/**
 * Loads a weights file with its sidecar: verifies the sha256, builds the architecture, loads the weights
 * (strict), and with `numClasses` replaces the head by a new Linear with that many outputs (PyTorch init).
 */
export function loadPretrained(file: string, o: { numClasses?: number; inChannels?: number; data?: string } = {}): LoadedBackbone {
  const sidecar = readSidecar(file);
  verifyWeights(file, sidecar);
  const model = createModel(sidecar.model.name as ModelName, sidecar.model.config as never) as FeatureModel;
  try {
    if (o.inChannels !== undefined) checkInputChannels(model, o.inChannels, file, o.data);
    const { tensors } = loadSafetensors(file);
    try { model.loadStateDict(tensors); } finally { for (const t of tensors.values()) t.dispose(); }
    if (o.numClasses !== undefined) torch.noGrad(() => model.resetClassifier(o.numClasses!));
  } catch (e) {
    model.dispose();
    const msg = (e as Error).message;
    // a SafetensorsError already names the file: do not name it twice
    throw e instanceof BackboneError ? e : new BackboneError(msg.includes(file) ? msg : `${file}: ${msg}`);
  }
  return { model, sidecar, file };
}

/**
 * Throws BackboneError when the model's first convolution takes a different number of input channels
 * than the task's images have (found before any run directory exists, not at step 1).
 */
export function checkInputChannels(model: FeatureModel, channels: number, file: string, data = 'the task'): void {
  const first = model.namedParameters().find(([, p]) => p.ndim === 4);
  if (!first) return;
  const want = first[1].shape[1]!;
  if (want !== channels) {
    throw new BackboneError(`${file}: these weights take ${want}-channel images (${first[0]} is [${first[1].shape}]) but ${data} has ${channels}-channel images; use weights trained on ${channels}-channel images`);
  }
}

/** The bundled backbone (checksum verified) with a new head of `numClasses` outputs (default: keep the source head). */
export function bundledBackbone(numClasses?: number): LoadedBackbone {
  return loadPretrained(bundledBackbonePath(), numClasses === undefined ? {} : { numClasses });
}

/** Builds the architecture a sidecar's model spec describes (untrained). */
export function buildModel(spec: ModelSpec): FeatureModel {
  return createModel(spec.name as ModelName, spec.config as never) as FeatureModel;
}

/**
 * @module The bundled pre-trained backbone (assets/backbones/) and any weights file with an adaptune sidecar:
 * the sidecar's sha256 is checked against the file, the architecture is rebuilt from the sidecar, the weights
 * loaded strictly, and the head replaced for the target's class count.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../core/torch.js';
import { loadSafetensors } from '../core/io/safetensors.js';
import { createModel, type FeatureModel, type ModelName } from '../models/index.js';
import { sha256File, sidecarPath, type Sidecar } from './common.js';

/** A weights file that is missing, corrupted (checksum) or lacks a usable sidecar; the message names the file. */
export class BackboneError extends Error { override name = 'BackboneError'; }

/** File name of the bundled backbone under assets/backbones/. */
export const DEFAULT_BACKBONE = 'cifar_resnet20-w16-fmnist-source.safetensors';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The package's assets/backbones folder (from dist/src/cli or src/cli). */
export function backbonesDir(): string {
  for (const up of ['../../..', '../..']) {
    const d = resolve(HERE, up, 'assets', 'backbones');
    if (existsSync(join(d, DEFAULT_BACKBONE))) return d;
  }
  return resolve(HERE, '../../..', 'assets', 'backbones');
}

/** Path of the bundled backbone's weights. */
export function defaultBackbonePath(): string { return join(backbonesDir(), DEFAULT_BACKBONE); }

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
export function loadBackbone(file: string, o: { numClasses?: number; inChannels?: number; data?: string } = {}): LoadedBackbone {
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
export function loadDefaultBackbone(numClasses?: number): LoadedBackbone {
  return loadBackbone(defaultBackbonePath(), numClasses === undefined ? {} : { numClasses });
}

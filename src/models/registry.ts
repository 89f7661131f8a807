/**
 * @module Model registry: createModel(name, config) with typed configs validated at the boundary
 * (errors name the model, the field, the allowed range and the value), listModels().
 *
 * | name                 | architecture                                        | taps                               |
 * |----------------------|-----------------------------------------------------|------------------------------------|
 * | resnet18/34/50       | torchvision ImageNet ResNet (7x7 stem + max-pool)    | stem, layer1..4, pool, logits      |
 * | cifar_resnet18/34    | 3x3 stem, no max-pool, 4 stages (w, 2w, 4w, 8w)      | stem, layer1..4, pool, logits      |
 * | cifar_resnet20/32/56 | He et al. CIFAR family, 3 stages (w, 2w, 4w), w=16   | stem, layer1..3, pool, logits      |
 * | small_cnn            | conv16-pool-conv32-pool-fc                          | block1, block2, pool, logits       |
 * Every model also taps any submodule path ('layer2.1').
 */
import { ResNet, type ResNetSpec, type BlockKind } from './resnet.js';
import { SmallCnn } from './small_cnn.js';

/** Config of the ImageNet-style ResNets (torchvision defaults). */
export interface ResNetConfig {
  /** Classes of the head (default 1000). */
  numClasses?: number;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Channels of the stem and first stage (default 64, torchvision's). */
  width?: number;
  /** Zero the last BN weight of each block (default false). */
  zeroInitResidual?: boolean;
}
/** Config of the CIFAR-style ResNets. */
export interface CifarResNetConfig {
  /** Classes of the head (default 10). */
  numClasses?: number;
  /** Input channels (default 3; 1 for Fashion-MNIST). */
  inChannels?: number;
  /** Channels of the stem and first stage (default 64 for depth 18/34, 16 for 20/32/56). */
  width?: number;
  /** Zero the last BN weight of each block (default false). */
  zeroInitResidual?: boolean;
}
/** Config of the small CNN. */
export interface SmallCnnConfig {
  /** Classes of the head (default 10). */
  numClasses?: number;
  /** Input channels (default 1). */
  inChannels?: number;
  /** Output channels of the two convs (default [16, 32]). */
  channels?: [number, number];
  /** Input size, a side or [H, W] (default 28); fixes the head's input unless globalPool. */
  inputSize?: number | [number, number];
  /** Global-average the last feature map instead of flattening it (default false). */
  globalPool?: boolean;
}

/** The config type of each registered model. */
export interface ModelConfigs {
  resnet18: ResNetConfig; resnet34: ResNetConfig; resnet50: ResNetConfig;
  cifar_resnet18: CifarResNetConfig; cifar_resnet34: CifarResNetConfig;
  cifar_resnet20: CifarResNetConfig; cifar_resnet32: CifarResNetConfig; cifar_resnet56: CifarResNetConfig;
  small_cnn: SmallCnnConfig;
}
/** A registered model name. */
export type ModelName = keyof ModelConfigs;
/** The class each name builds. */
export type ModelFor<K extends ModelName> = K extends 'small_cnn' ? SmallCnn : ResNet;

const RESNETS: Record<string, { block: BlockKind; layers: number[]; stem: 'imagenet' | 'cifar'; width: number }> = {
  resnet18: { block: 'basic', layers: [2, 2, 2, 2], stem: 'imagenet', width: 64 },
  resnet34: { block: 'basic', layers: [3, 4, 6, 3], stem: 'imagenet', width: 64 },
  resnet50: { block: 'bottleneck', layers: [3, 4, 6, 3], stem: 'imagenet', width: 64 },
  cifar_resnet18: { block: 'basic', layers: [2, 2, 2, 2], stem: 'cifar', width: 64 },
  cifar_resnet34: { block: 'basic', layers: [3, 4, 6, 3], stem: 'cifar', width: 64 },
  cifar_resnet20: { block: 'basic', layers: [3, 3, 3], stem: 'cifar', width: 16 },
  cifar_resnet32: { block: 'basic', layers: [5, 5, 5], stem: 'cifar', width: 16 },
  cifar_resnet56: { block: 'basic', layers: [9, 9, 9], stem: 'cifar', width: 16 },
};
const NAMES = [...Object.keys(RESNETS), 'small_cnn'] as ModelName[];

/** The fixed architecture of each registered ResNet (block kind, blocks per stage, stem, default width). */
export function resnetArchitectures(): Record<string, { block: BlockKind; layers: number[]; stem: 'imagenet' | 'cifar'; width: number }> {
  return structuredClone(RESNETS);
}

/** The registered model names. */
export function listModels(): ModelName[] { return [...NAMES]; }

type Checked = Record<string, unknown>;
/** Throws RangeError naming the model and field unless v is an integer in [lo, hi]; returns v or the default. */
function int(model: string, field: string, v: unknown, def: number, lo: number, hi: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`createModel('${model}'): ${field} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  }
  return v;
}
function bool(model: string, field: string, v: unknown, def: boolean): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new TypeError(`createModel('${model}'): ${field} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}
function pairOf(model: string, field: string, v: unknown, def: [number, number], lo: number, hi: number): [number, number] {
  if (v === undefined) return def;
  const a = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(a) || a.length !== 2) {
    throw new RangeError(`createModel('${model}'): ${field} must be a number or a pair [a, b], got ${JSON.stringify(v)}`);
  }
  return [int(model, `${field}[0]`, a[0], 0, lo, hi), int(model, `${field}[1]`, a[1], 0, lo, hi)];
}
function checkFields(model: string, cfg: Checked, allowed: string[]): void {
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) {
    throw new TypeError(`createModel('${model}'): config must be an object, got ${JSON.stringify(cfg)}`);
  }
  for (const k of Object.keys(cfg)) {
    if (!allowed.includes(k)) throw new RangeError(`createModel('${model}'): unknown config field '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

/** Builds a registered model by name from a validated config (see the table in this module's doc). */
export function createModel<K extends ModelName>(name: K, config?: ModelConfigs[K]): ModelFor<K> {
  const cfg = (config ?? {}) as Checked;
  if (name === 'small_cnn') {
    checkFields(name, cfg, ['numClasses', 'inChannels', 'channels', 'inputSize', 'globalPool']);
    const globalPool = bool(name, 'globalPool', cfg.globalPool, false);
    const inputSize = pairOf(name, 'inputSize', cfg.inputSize, [28, 28], 4, 4096);
    return new SmallCnn({
      numClasses: int(name, 'numClasses', cfg.numClasses, 10, 1, 1_000_000),
      inChannels: int(name, 'inChannels', cfg.inChannels, 1, 1, 1024),
      channels: pairOf(name, 'channels', cfg.channels, [16, 32], 1, 4096),
      inputSize,
      globalPool,
    }) as ModelFor<K>;
  }
  const arch = RESNETS[name];
  if (!arch) throw new RangeError(`createModel: unknown model '${String(name)}' (available: ${NAMES.join(', ')})`);
  checkFields(name, cfg, ['numClasses', 'inChannels', 'width', 'zeroInitResidual']);
  const spec: ResNetSpec = {
    ...arch,
    layers: [...arch.layers],
    numClasses: int(name, 'numClasses', cfg.numClasses, arch.stem === 'imagenet' ? 1000 : 10, 1, 1_000_000),
    inChannels: int(name, 'inChannels', cfg.inChannels, 3, 1, 1024),
    width: int(name, 'width', cfg.width, arch.width, 1, 1024),
    zeroInitResidual: bool(name, 'zeroInitResidual', cfg.zeroInitResidual, false),
  };
  return new ResNet(spec) as ModelFor<K>;
}

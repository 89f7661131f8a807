/**
 * @module State-dict key names from other tools mapped onto adaptune's (which are torchvision's):
 *  - a prefix shared by every key is stripped: `module.` (nn.DataParallel / DistributedDataParallel),
 *    `model.` (Lightning and many training scripts), `_orig_mod.` (torch.compile), repeatedly;
 *  - Hugging Face transformers' ResNet (`resnet.embedder.embedder.convolution.weight`,
 *    `resnet.encoder.stages.S.layers.B.layer.I.{convolution,normalization}`, `...shortcut...`, `classifier.1`)
 *    is renamed to torchvision's conv1/bn1/layerS+1.B.convI+1/bnI+1/downsample.{0,1}/fc;
 *  - timm's ResNets already use torchvision's names.
 * Then inferArchitecture reads the model from the key names and shapes.
 */
import { CheckpointError } from '../../core/errors.js';
import type { ModelName } from '../registry.js';
import { resnetArchitectures } from '../registry.js';

/** Prefixes stripped when every key has them. */
export const STRIPPED_PREFIXES = ['module.', 'model.', '_orig_mod.'];

/** Which naming the keys followed. */
export type KeyStyle = 'torchvision' | 'huggingface';

/** The result of normaliseKeys: old name -> new name in order, what was stripped and the style. */
export interface KeyMapping { names: Map<string, string>; prefix: string; style: KeyStyle }

const HF: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^embedder\.embedder\.convolution\.weight$/, () => 'conv1.weight'],
  [/^embedder\.embedder\.normalization\.(\w+)$/, (m) => `bn1.${m[1]}`],
  [/^encoder\.stages\.(\d+)\.layers\.(\d+)\.shortcut\.convolution\.weight$/, (m) => `layer${+m[1]! + 1}.${m[2]}.downsample.0.weight`],
  [/^encoder\.stages\.(\d+)\.layers\.(\d+)\.shortcut\.normalization\.(\w+)$/, (m) => `layer${+m[1]! + 1}.${m[2]}.downsample.1.${m[3]}`],
  [/^encoder\.stages\.(\d+)\.layers\.(\d+)\.layer\.(\d+)\.convolution\.weight$/, (m) => `layer${+m[1]! + 1}.${m[2]}.conv${+m[3]! + 1}.weight`],
  [/^encoder\.stages\.(\d+)\.layers\.(\d+)\.layer\.(\d+)\.normalization\.(\w+)$/, (m) => `layer${+m[1]! + 1}.${m[2]}.bn${+m[3]! + 1}.${m[4]}`],
];

/** Maps a checkpoint's keys to adaptune's names (see the module doc); unknown keys keep their (stripped) names. */
export function normaliseKeys(keys: readonly string[]): KeyMapping {
  let prefix = '';
  let cur = [...keys];
  for (;;) {
    const p = STRIPPED_PREFIXES.find((s) => cur.length > 0 && cur.every((k) => k.startsWith(s)));
    if (!p) break;
    prefix += p;
    cur = cur.map((k) => k.slice(p.length));
  }
  const style: KeyStyle = cur.some((k) => /^(resnet\.)?embedder\.embedder\./.test(k)) ? 'huggingface' : 'torchvision';
  const names = new Map<string, string>();
  keys.forEach((orig, i) => {
    let k = cur[i]!;
    if (style === 'huggingface') {
      const m = /^classifier\.1\.(weight|bias)$/.exec(k);
      if (m) k = `fc.${m[1]}`;
      else {
        const body = k.startsWith('resnet.') ? k.slice('resnet.'.length) : k;
        for (const [re, to] of HF) { const r = body.match(re); if (r) { k = to(r); break; } }
      }
    }
    names.set(orig, k);
  });
  const seen = new Map<string, string>();
  for (const [o, n] of names) {
    if (seen.has(n)) throw new CheckpointError(`keys '${seen.get(n)}' and '${o}' both map to '${n}'`);
    seen.set(n, o);
  }
  return { names, prefix, style };
}

/** A registry model and the config the weights need. */
export interface InferredArchitecture { name: ModelName; config: Record<string, unknown>; numClasses: number | null; evidence: string }

/** Reads the architecture from adaptune-named keys and shapes (ResNets of the registry, small_cnn); CheckpointError naming what was found otherwise. */
export function inferArchitecture(shapes: ReadonlyMap<string, readonly number[]>, where = 'weights'): InferredArchitecture {
  const sh = (k: string): readonly number[] | undefined => shapes.get(k);
  const conv1 = sh('conv1.weight');
  const fc = sh('fc.weight');
  const numClasses = fc && fc.length === 2 ? fc[0]! : null;
  if (!conv1 || conv1.length !== 4) {
    throw new CheckpointError(`${where}: cannot infer the architecture: no 4-d 'conv1.weight' (first keys: ${[...shapes.keys()].slice(0, 5).join(', ')}); pass a model name`);
  }
  const [width, inChannels, kh] = conv1 as [number, number, number];
  const withClasses = (c: Record<string, unknown>): Record<string, unknown> => (numClasses === null ? c : { ...c, numClasses });
  if (!sh('bn1.weight') && sh('conv2.weight') && !sh('layer1.0.conv1.weight')) {
    const c2 = sh('conv2.weight')![0]!;
    const fin = fc?.[1];
    if (fin === undefined) throw new CheckpointError(`${where}: a small CNN without 'fc.weight'; pass a model name and config`);
    if (fin === c2) return { name: 'small_cnn', config: withClasses({ inChannels, channels: [width, c2], globalPool: true }), numClasses, evidence: 'conv1, conv2 and fc without batch norm; fc input = conv2 channels (global pooling)' };
    const side = Math.sqrt(fin / c2);
    if (!Number.isInteger(side)) throw new CheckpointError(`${where}: small CNN head input ${fin} is not conv2 channels (${c2}) x a square map; pass inputSize in the config`);
    return { name: 'small_cnn', config: withClasses({ inChannels, channels: [width, c2], inputSize: side * 4 }), numClasses, evidence: `conv1, conv2 and fc without batch norm; fc input ${fin} = ${c2} x ${side}x${side} (input ${side * 4}x${side * 4} assumed)` };
  }
  const layers: number[] = [];
  for (let s = 1; sh(`layer${s}.0.conv1.weight`); s++) {
    let b = 0;
    while (sh(`layer${s}.${b}.conv1.weight`)) b++;
    layers.push(b);
  }
  if (layers.length === 0) throw new CheckpointError(`${where}: 'conv1.weight' but no 'layer1.0.conv1.weight': not a ResNet or small CNN this registry knows; pass a model name`);
  const block = sh('layer1.0.conv3.weight') ? 'bottleneck' : 'basic';
  const stem = kh === 7 ? 'imagenet' : kh === 3 ? 'cifar' : null;
  const found = `${block} blocks [${layers}], ${kh}x${kh} stem, width ${width}`;
  if (!stem) throw new CheckpointError(`${where}: a ResNet with a ${kh}x${kh} stem conv (${found}) is not in the registry (7x7 torchvision or 3x3 CIFAR stems)`);
  const archs = resnetArchitectures();
  const hit = Object.entries(archs).find(([, a]) => a.block === block && a.stem === stem && a.layers.length === layers.length && a.layers.every((v, i) => v === layers[i]));
  if (!hit) {
    const known = Object.entries(archs).map(([n, a]) => `${n} (${a.block} [${a.layers}], ${a.stem})`).join('; ');
    throw new CheckpointError(`${where}: a ResNet with ${found} is not in the registry; known: ${known}`);
  }
  return { name: hit[0] as ModelName, config: withClasses({ inChannels, width }), numClasses, evidence: found };
}

/**
 * @module Wrapping a zoo backbone with AdaFilter layers, without editing the model's code. Every Conv2d
 * inside the chosen stages (each stage's top-level modules, searched depth first in registration order,
 * which is the forward order for every model of src/models) is replaced in its parent by a GatedConv. When
 * the convolution's next sibling is a BatchNorm2d over its output channels (conv1 -> bn1, a downsample's
 * '0' -> '1'), that BN moves into the GatedConv (gated BN) and its slot becomes an Identity. A replaced
 * module is swapped both in the parent's registry and in the parent's field of the same name, which is what
 * the models' forward() reads (`this.conv1.call(x)`).
 */
import { ConfigError } from '../../core/errors.js';
import type { AnyModule } from '../../core/nn/module.js';
import { Conv2d } from '../../core/nn/layers/conv.js';
import { BatchNorm2d } from '../../core/nn/layers/norm.js';
import { Identity } from '../../core/nn/layers/linear.js';
import type { FeatureModel, Stage } from '../../models/index.js';
import type { AdafilterConfig } from './config.js';
import { GateNetwork } from './gate.js';
import { GatedConv } from './gated.js';

/** One convolution to gate: its parent, its name there, and the BN that follows it (if any). */
interface Site { path: string; parent: AnyModule; name: string; conv: Conv2d; bn: { name: string; module: BatchNorm2d } | null }

/** The model's stages (protected in FeatureModel). */
export function stagesOf(model: FeatureModel): Stage[] {
  return (model as unknown as { stages(): Stage[] }).stages();
}

/** Replaces child `name` of `parent` by `m` in the registry and in the same-named field that forward() reads. */
export function replaceChild(parent: AnyModule, name: string, m: AnyModule): void {
  const old = parent.getSubmodule(name);
  parent.registerModule(name, m);
  const field = Object.getOwnPropertyDescriptor(parent, name);
  if (field && 'value' in field && field.value === old) (parent as unknown as Record<string, AnyModule>)[name] = m;
}

/** The site of child i of `parent` (a Conv2d), with the BN that follows it when that BN normalises its output. */
function siteAt(parent: AnyModule, kids: [string, AnyModule][], i: number, path: string): Site {
  const [name, conv] = kids[i] as [string, Conv2d];
  const next = kids[i + 1];
  const bn = next && next[1] instanceof BatchNorm2d && next[1].numFeatures === conv.outChannels ? { name: next[0], module: next[1] } : null;
  return { path, parent, name, conv, bn };
}

/** Depth-first Conv2d sites under `m` (whose dotted path is `path`). */
function collect(m: AnyModule, path: string, out: Site[]): void {
  const kids = m.namedChildren();
  kids.forEach(([name, child], i) => {
    const p = path ? `${path}.${name}` : name;
    if (child instanceof GatedConv) throw new ConfigError(`adafilter: '${p}' is already gated (wrap a model once)`);
    if (child instanceof Conv2d) out.push(siteAt(m, kids, i, p));
    else collect(child, p, out);
  });
}

/** The gated layers of a wrapped model, in forward order, and the shared gate network. */
export interface Wrapped { layers: GatedConv[]; paths: string[]; gates: GateNetwork }

/**
 * Wraps the convolutions of `stages` (null: every stage but 'pool' and 'logits') of `model` in place and
 * registers the gate network on the model as `adafilter_gate`. Throws ConfigError naming the valid stages.
 */
export function wrapModel(model: FeatureModel, c: Pick<AdafilterConfig, 'stages' | 'gate' | 'projSize' | 'hiddenSize' | 'gateBias' | 'binarize' | 'temperature' | 'gatedBn' | 'bnStats'>): Wrapped {
  const all = stagesOf(model).filter((s) => s.name !== 'pool' && s.name !== 'logits');
  const names = c.stages ?? all.map((s) => s.name);
  const sites: Site[] = [];
  for (const n of names) {
    if (!all.some((s) => s.name === n)) throw new ConfigError(`adafilter config field 'method.stages' has '${n}', which is not a stage of ${model.constructor.name} (stages: ${all.map((s) => `'${s.name}'`).join(', ')})`);
  }
  for (const st of all.filter((s) => names.includes(s.name))) { // forward order, whatever order the config lists
    const kids = model.namedChildren();
    for (const modName of st.modules) {
      const i = kids.findIndex(([k]) => k === modName);
      if (i < 0) continue; // optional module absent (e.g. no maxpool)
      const m = kids[i]![1];
      if (m instanceof GatedConv) throw new ConfigError(`adafilter: '${modName}' is already gated (wrap a model once)`);
      if (m instanceof Conv2d) sites.push(siteAt(model, kids, i, modName));
      else collect(m, modName, sites);
    }
  }
  if (!sites.length) throw new ConfigError(`adafilter config field 'method.stages' (${JSON.stringify(names)}) selects no convolution of ${model.constructor.name}`);
  const gates = new GateNetwork({
    layers: sites.map((s) => [s.conv.inChannels, s.conv.outChannels]), kind: c.gate, projSize: c.projSize, hiddenSize: c.hiddenSize,
    gateBias: c.gateBias, binarize: c.binarize, temperature: c.temperature,
  });
  model.registerModule('adafilter_gate', gates);
  const layers = sites.map((s, i) => {
    const g = new GatedConv(s.conv, i, gates, { bn: s.bn?.module ?? null, gatedBn: c.gatedBn, bnStats: c.bnStats });
    replaceChild(s.parent, s.name, g);
    if (s.bn) replaceChild(s.parent, s.bn.name, new Identity());
    return g;
  });
  return { layers, paths: sites.map((s) => s.path), gates };
}

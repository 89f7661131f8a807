/**
 * @module The AdaFilter gate network. For gated layer l with input x_{l-1}:
 *   z_l = GAP(x_{l-1});  e_l = ReLU(W^in_l z_l + b^in_l)                  (per-layer input projection)
 *   h_l = Cell(e_l, h_{l-1})   (ONE LSTMCell/GRUCell shared by all layers; 'mlp': h_l = ReLU(W^mid_l e_l), per layer)
 *   a_l = W^out_l h_l + b^out_l;  p_l = sigmoid(a_l)                       (per-layer head, one logit per filter)
 *   g_l = Binarize(a_l) in {0, 1}^{N x C_l}
 * The recurrent state lives for one forward pass: it is reset when layer 0 (the first gated layer in
 * forward order) runs. Binarisation: training 'st' g = 1[p > 0.5] + (p - stopgrad p); 'gumbel'
 * y = sigmoid((a + log u - log(1 - u)) / tau), g = 1[y > 0.5] + (y - stopgrad y); evaluation 1[p > 0.5].
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';
import { Module } from '../../core/nn/module.js';
import { Linear } from '../../core/nn/layers/linear.js';
import { ModuleList } from '../../core/nn/layers/container.js';
import { GRUCell, LSTMCell } from '../../core/nn/layers/rnn.js';
import type { GateKind } from './config.js';

/** Shape and options of a gate network. */
export interface GateSpec {
  /** [inChannels, outChannels] of each gated convolution, in forward order. */
  layers: [number, number][];
  kind: GateKind;
  projSize: number;
  hiddenSize: number;
  /** Initial bias of every output head. */
  gateBias: number;
  binarize: 'st' | 'gumbel';
  temperature: number;
}

/** Replaces the computed gate: a constant 0/1 for every filter and example, or a function of (layer, logits) giving g [N, C_l]. */
export type GateForce = 0 | 1 | ((layer: number, logits: Tensor) => Tensor);

/** The gate network: per-layer projections, the shared cell (or per-layer MLPs), per-layer heads. */
export class GateNetwork extends Module<[number, Tensor], Tensor> {
  readonly inProj: ModuleList<Linear>;
  readonly cell: LSTMCell | GRUCell | null;
  readonly mid: ModuleList<Linear> | null;
  readonly heads: ModuleList<Linear>;
  /** When set, forward returns this instead of the binarised gate (tests, ablations). */
  force: GateForce | null = null;
  /** Called with every layer's gate g [N, C_l] (owned by the caller's tidy scope) during forward. */
  onGate: ((layer: number, g: Tensor) => void) | null = null;
  /** The recurrent state (#h, #c) lives across the calls of one forward pass: nothing is freed early. */
  override keepsForwardState = true;
  #h: Tensor | null = null;
  #c: Tensor | null = null;
  #next = 0;

  constructor(readonly spec: Readonly<GateSpec>) {
    super();
    const { layers, kind, projSize: d, hiddenSize: hid } = spec;
    this.inProj = this.registerModule('in_proj', new ModuleList(layers.map(([cin]) => new Linear(cin, d))));
    this.cell = this.registerModule('cell', kind === 'lstm' ? new LSTMCell(d, hid) : kind === 'gru' ? new GRUCell(d, hid) : null);
    this.mid = this.registerModule('mid', kind === 'mlp' ? new ModuleList(layers.map(() => new Linear(d, hid))) : null);
    this.heads = this.registerModule('heads', new ModuleList(layers.map(([, cout]) => new Linear(hid, cout))));
    torch.noGrad(() => { for (const h of this.heads) h.bias!.fill_(spec.gateBias); });
  }

  /** Number of gated layers. */
  get numLayers(): number { return this.spec.layers.length; }

  /** The gate logits a_l [N, C_l] of layer `layer` from its input x [N, C_{l-1}, H, W]; advances the recurrent state. */
  logits(layer: number, x: Tensor): Tensor {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.numLayers) throw new RangeError(`GateNetwork: layer ${layer} out of range [0, ${this.numLayers - 1}]`);
    if (layer === 0) { this.#h = null; this.#c = null; }
    else if (this.cell && layer !== this.#next) throw new RangeError(`GateNetwork: layer ${layer} ran after layer ${this.#next - 1}; the recurrent gate needs the gated layers in forward order 0, 1, ...`);
    this.#next = layer + 1;
    const e = torch.relu(this.inProj.at(layer).call(x.mean([2, 3])));
    let h: Tensor;
    if (this.cell instanceof LSTMCell) {
      const st: [Tensor, Tensor] | undefined = this.#h && this.#c ? [this.#h, this.#c] : undefined;
      [h, this.#c] = this.cell.call(e, st);
    } else if (this.cell instanceof GRUCell) {
      h = this.cell.call(e, this.#h ?? undefined);
    } else {
      h = torch.relu(this.mid!.at(layer).call(e));
    }
    this.#h = this.cell ? h : null;
    if (layer === this.numLayers - 1) { this.#h = null; this.#c = null; } // drop the references after the last layer
    return this.heads.at(layer).call(h);
  }

  /** Binarised gate g [N, C_l] in {0, 1} (straight-through gradients while training; a hard threshold in eval). */
  forward(layer: number, x: Tensor): Tensor {
    const a = this.logits(layer, x);
    const g = this.force === null ? binarize(a, this.training, this.spec) : typeof this.force === 'number' ? torch.fullLike(a, this.force) : this.force(layer, a);
    this.onGate?.(layer, g);
    return g;
  }
}

/** 1[sigmoid(a) > 0.5] in eval (the 'st' forward value exactly); in training the straight-through estimate of the configured kind. */
export function binarize(a: Tensor, training: boolean, o: { binarize: 'st' | 'gumbel'; temperature: number }): Tensor {
  if (!training) return torch.sigmoid(a).gt(0.5).to(a.dtype);
  let y: Tensor;
  if (o.binarize === 'gumbel') {
    const u = torch.clamp(torch.randLike(a), 1e-6, 1 - 1e-6);
    y = torch.sigmoid(a.add(u.log().sub(u.rsub(1).log())).div(o.temperature));
  } else {
    y = torch.sigmoid(a);
  }
  return straightThrough(y);
}

/** Forward value 1[y > 0.5] exactly; gradient that of y (hard + (y - stopgrad y)). */
export function straightThrough(y: Tensor): Tensor {
  return y.gt(0.5).to(y.dtype).add(y.sub(y.detach()));
}

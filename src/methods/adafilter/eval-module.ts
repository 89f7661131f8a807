/**
 * @module The AdaFilter model as one module for evaluation in graph mode: it registers the wrapped model and the
 * gate network (which the gated convolutions call but which is not a submodule of the model), and its forward
 * returns [logits, g_0, ..., g_{L-1}] — the hard gates of every gated layer as outputs, so that a traced graph
 * gives them per batch (a callback inside the forward would run only at trace time). Eval only; it owns nothing.
 */
import type { Tensor } from '../../core/torch.js';
import { Module } from '../../core/nn/module.js';
import type { FeatureModel } from '../../models/index.js';
import type { GateNetwork } from './gate.js';

/** forward(x) = [logits, ...gates]; evaluateClassifier / classificationMetrics take the first as the logits. */
export class AdafilterEvalModule extends Module<[Tensor], Tensor[]> {
  constructor(readonly model: FeatureModel, readonly gates: GateNetwork) {
    super();
    this.registerModule('model', model);
    this.registerModule('gates', gates);
  }

  forward(x: Tensor): Tensor[] {
    if (this.gates.onGate) throw new Error('AdafilterEvalModule: the gate network already has an onGate listener');
    const gs: Tensor[] = [];
    this.gates.onGate = (_l, g) => { gs.push(g); };
    try {
      const logits = this.model.call(x);
      return [logits, ...gs];
    } finally {
      this.gates.onGate = null;
    }
  }

  /** Never frees the model or the gates (the task's caller owns them). */
  override dispose(): void { /* owns nothing */ }
}

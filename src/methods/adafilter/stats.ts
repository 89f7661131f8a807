/**
 * @module Gate statistics of AdaFilter over a data set: the fraction of fine-tuned filters per layer, per
 * class and overall, and the gate diversity across examples. For filter f, q_f is the fraction of examples
 * whose gate chose its fine-tuned copy; diversity is the mean binary entropy H(q_f) in bits over all filters
 * (0: every example makes the same choice for every filter; 1: each filter splits the examples in half).
 */
import type { Tensor } from '../../core/torch.js';

/** What GateStats.summary() returns. */
export interface GateSummary {
  /** Examples seen. */
  examples: number;
  /** Fraction of all gated filters fine-tuned, averaged over examples. */
  fraction: number;
  /** Per gated layer (forward order): mean fine-tuned fraction. */
  perLayer: number[];
  /** Per class: mean fine-tuned fraction of its examples (null for a class without examples). */
  perClass: (number | null)[];
  /** Mean binary entropy (bits) of the per-filter fine-tuning rate, over all filters; and per layer. */
  entropy: number;
  entropyPerLayer: number[];
}

const h2 = (q: number): number => (q <= 0 || q >= 1 ? 0 : -(q * Math.log2(q) + (1 - q) * Math.log2(1 - q)));

/** Accumulates hard gates layer by layer, batch by batch. */
export class GateStats {
  readonly #ones: Float64Array[];
  readonly #classSum: Float64Array;
  readonly #classCount: Float64Array;
  readonly #total: number;
  #batch: Float64Array | null = null;
  #examples = 0;

  /** widths: output filters of each gated layer; numClasses: labels lie in [0, numClasses). */
  constructor(readonly widths: number[], readonly numClasses: number) {
    this.#ones = widths.map((w) => new Float64Array(w));
    this.#classSum = new Float64Array(numClasses);
    this.#classCount = new Float64Array(numClasses);
    this.#total = widths.reduce((a, b) => a + b, 0);
  }

  /** Adds layer `layer`'s gate g [N, C] (values 0/1) of the current batch. */
  addLayer(layer: number, g: Tensor): void {
    const [n, c] = g.shape as [number, number];
    const d = g.detach().to('float32').contiguous().data() as Float32Array;
    this.#batch ??= new Float64Array(n);
    const ones = this.#ones[layer]!;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < c; j++) { const v = d[i * c + j]!; ones[j] += v; s += v; }
      this.#batch[i] += s;
    }
  }

  /** Closes the batch: attributes each example's fine-tuned fraction to its label. */
  endBatch(labels: ArrayLike<number | bigint>): void {
    const b = this.#batch;
    this.#batch = null;
    if (!b) return;
    for (let i = 0; i < b.length; i++) {
      const y = Number(labels[i]);
      if (y >= 0 && y < this.numClasses) { this.#classSum[y] += b[i]! / this.#total; this.#classCount[y] += 1; }
    }
    this.#examples += b.length;
  }

  summary(): GateSummary {
    const n = Math.max(this.#examples, 1);
    const perLayer = this.#ones.map((o) => o.reduce((a, b) => a + b, 0) / (o.length * n));
    const entropyPerLayer = this.#ones.map((o) => o.reduce((a, b) => a + h2(b / n), 0) / o.length);
    const sumOnes = this.#ones.reduce((a, o) => a + o.reduce((x, y) => x + y, 0), 0);
    const sumH = this.#ones.reduce((a, o) => a + o.reduce((x, y) => x + h2(y / n), 0), 0);
    return {
      examples: this.#examples, fraction: sumOnes / (this.#total * n), perLayer,
      perClass: [...this.#classSum].map((s, k) => (this.#classCount[k]! ? s / this.#classCount[k]! : null)),
      entropy: sumH / this.#total, entropyPerLayer,
    };
  }
}

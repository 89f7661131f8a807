/**
 * @module ARC's FIFO feature tables (official update_feat_table): the selected labelled and unlabelled
 * features of the current batch are appended to the tables of earlier batches and the oldest rows are
 * dropped beyond the table size. The returned tables keep the current batch's graph; the stored copy is
 * detached, so gradients flow only through the current batch. The stored tensors belong to the table
 * (kept out of every tidy scope) and go into checkpoints through the task's state.
 */
import * as torch from '../../core/torch.js';
import type { Tensor } from '../../core/torch.js';

/** One FIFO table of feature rows [n <= size, d]. */
export class FeatureTable {
  #rows: Tensor | null = null;
  constructor(readonly size: number) {}

  /** Rows currently stored (0 when empty). */
  get length(): number { return this.#rows ? this.#rows.size(0) : 0; }

  /** The stored (detached) rows, or null. */
  get rows(): Tensor | null { return this.#rows; }

  /** Appends `current` (with its graph), drops the oldest rows beyond the size, stores a detached copy; returns the table with the graph. */
  push(current: Tensor): Tensor {
    const table = torch.tidy(() => {
      const all = this.#rows ? torch.cat([this.#rows, current], 0) : current.mul(1);
      const n = all.size(0);
      return n > this.size ? all.narrow(0, n - this.size, this.size) : all;
    });
    const stored = torch.keep(torch.noGrad(() => torch.tidy(() => table.detach().clone())));
    this.#rows?.dispose();
    this.#rows = stored;
    return table;
  }

  /** Replaces the stored rows with a copy of `rows` (checkpoint restore); null empties the table. */
  load(rows: Tensor | null): void {
    this.#rows?.dispose();
    this.#rows = rows ? torch.keep(torch.noGrad(() => torch.tidy(() => rows.detach().clone()))) : null;
  }

  dispose(): void { this.#rows?.dispose(); this.#rows = null; }
}

/**
 * @module The quickstart's recipe: five strategies on the same target with fixed budgets (linear probe, full
 * fine-tuning with L2 and with L2-SP, AdaFilter, from scratch), shared by `adaptune quickstart` and the bench
 * that chose their effective learning rates (bench/quickstart-elr.ts).
 */
import type { FinetuneConfig } from './config.js';

/** One strategy of the experiment: its method ('finetune' unless said), its options and budget. */
export interface QuickstartPlan { id: string; label: string; trains: string; method: Partial<FinetuneConfig> | Record<string, unknown>; epochs: number; kind?: 'adafilter' }

/**
 * The four runs, 30 epochs each (7 steps of 32 per epoch at 50 labels/class: 210 steps): about 1 minute in all on
 * 2 idle cores (measured; docs/quickstart.md). The elr of each strategy is the best of {0.1, 0.3, 1} on held-out
 * training images, never the test split: `node dist/bench/quickstart-elr.js 1` (another label draw, 15 epochs,
 * 1,000 held-out images of the training split); ties within 0.3 points, so a demo setting, not a tuned protocol.
 */
export const QUICKSTART_PLANS: readonly QuickstartPlan[] = [
  { id: 'linear-probe', label: 'linear probe', trains: 'head only (backbone frozen, BN eval)', epochs: 30, method: { strategy: 'linear-probe', elr: 1, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 } },
  { id: 'full', label: 'full fine-tuning (L2)', trains: 'all weights, L2 1e-4 towards 0', epochs: 30, method: { strategy: 'full', elr: 0.3, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 } },
  { id: 'full-l2sp', label: 'full fine-tuning (L2-SP)', trains: 'all weights, L2-SP alpha 0.01 / beta 1e-4', epochs: 30, method: { strategy: 'full', elr: 1, momentum: 0.9, regularizer: 'l2-sp', alpha: 0.01, beta: 1e-4 } },
  { id: 'adafilter', label: 'AdaFilter', trains: 'per-example gated filters (LSTM gate, gated BN)', epochs: 30, kind: 'adafilter', method: {} },
  { id: 'scratch', label: 'from scratch', trains: 'all weights from random init, L2 1e-4', epochs: 30, method: { strategy: 'scratch', elr: 0.3, momentum: 0.9, regularizer: 'l2', weightDecay: 1e-4 } },
];

/** Batch size of every quickstart run. */
export const QUICKSTART_BATCH = 32;

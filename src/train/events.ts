/** @module Events the training loop emits (for progress bars, loggers and the CLI). */

/** How a run ended: all steps done, early stopping, a requestStop(), a signal, or an error. */
export type TrainStatus = 'completed' | 'early-stopped' | 'stopped' | 'interrupted' | 'failed';

/** One event of a run. */
export type TrainEvent =
  | { type: 'start'; step: number; totalSteps: number; epoch: number; epochs: number; resumedFrom: string | null; runDir: string }
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number | null; runningLoss: number | null; lr: number; gradNorm: number | null; skipped: boolean }
  | { type: 'eval'; step: number; epoch: number; metrics: Record<string, number> }
  | { type: 'checkpoint'; step: number; path: string; best: boolean }
  | { type: 'warning'; message: string }
  | { type: 'end'; status: TrainStatus; step: number; epoch: number; elapsedMs: number; best: { metric: string; value: number; step: number } | null };

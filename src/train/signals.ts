/**
 * @module Graceful interruption: the first SIGINT/SIGTERM only sets a flag
 * that the training loop reads between steps (it finishes the step, saves a
 * checkpoint and returns); a second signal exits at once with 128 + signo.
 * SIGKILL cannot be caught: atomic checkpoints are the defence there (R1).
 */

const SIGNO: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

/** Installs handlers for the given signals while a run is in progress. */
export class SignalTrap {
  /** The first signal received, or null. */
  received: NodeJS.Signals | null = null;
  readonly #handlers = new Map<NodeJS.Signals, () => void>();

  constructor(readonly signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'], readonly o: { onFirst?: (s: NodeJS.Signals) => void; stream?: NodeJS.WritableStream } = {}) {}

  /** Starts listening; returns this. */
  install(): this {
    for (const s of this.signals) {
      const h = (): void => this.#on(s);
      this.#handlers.set(s, h);
      process.on(s, h);
    }
    return this;
  }

  #on(s: NodeJS.Signals): void {
    const out = this.o.stream ?? process.stderr;
    if (this.received) {
      out.write(`\nadaptune: second ${s}, exiting now without saving\n`);
      process.exit(128 + (SIGNO[s] ?? 0));
    }
    this.received = s;
    out.write(`\nadaptune: ${s} received; finishing the current step and saving a checkpoint (send it again to exit at once)\n`);
    this.o.onFirst?.(s);
  }

  /** Stops listening (the default signal behaviour comes back). */
  uninstall(): void {
    for (const [s, h] of this.#handlers) process.off(s, h);
    this.#handlers.clear();
  }
}

/** The exit status for a run stopped by `signal` after a clean save: 130 for SIGINT (shell convention), 0 for SIGTERM (a graceful preemption, R15). */
export function exitCodeForSignal(signal: NodeJS.Signals | null): number {
  if (signal === null || signal === 'SIGTERM') return 0;
  return 128 + (SIGNO[signal] ?? 0);
}

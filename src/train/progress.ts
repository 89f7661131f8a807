/**
 * @module A small progress renderer for training events, writing to stderr:
 * on a TTY one redrawn line (bar, step/total, ETA, running loss, lr); otherwise
 * plain lines every `every` steps (no carriage returns, so logs stay greppable).
 */
import type { TrainEvent } from './events.js';

/** Options of createProgress(). */
export interface ProgressOptions {
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force TTY or plain mode (default: stream.isTTY). */
  tty?: boolean;
  /** Plain mode: a line every N steps (default 10); the TTY line redraws at most every 100 ms. */
  every?: number;
  /** Print nothing but warnings and the final line. */
  quiet?: boolean;
}

/** "1:02:03" or "02:03". */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const p = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  return h ? `${h}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}` : `${p(Math.floor(s / 60))}:${p(s % 60)}`;
}

const num = (v: number | null, digits = 4): string => (v === null ? '-' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(digits));

/** Returns an onEvent handler that renders progress. */
export function createProgress(o: ProgressOptions = {}): (e: TrainEvent) => void {
  const out = o.stream ?? process.stderr;
  const tty = o.tty ?? !!out.isTTY;
  const every = o.every ?? 10;
  let t0 = Date.now();
  let s0 = 0;
  let lastDraw = 0;
  let onLine = false;
  // Epochs are numbered from 1 on every line (the epoch in progress; the end line counts the epochs that ran).
  let stepsPerEpoch = 0;
  let epochs = 0;
  const eta = (step: number, total: number): string => {
    const done = step - s0;
    if (done <= 0 || !Number.isFinite(total)) return '--:--';
    return formatDuration(((Date.now() - t0) / 1000 / done) * (total - step));
  };
  const line = (s: string): void => {
    if (onLine) { out.write('\r\x1b[2K'); onLine = false; }
    out.write(s + '\n');
  };
  return (e) => {
    switch (e.type) {
      case 'start':
        t0 = Date.now(); s0 = e.step;
        stepsPerEpoch = e.stepsPerEpoch ?? 0;
        epochs = e.epochs;
        if (!o.quiet) line(`${e.resumedFrom ? `resuming from ${e.resumedFrom} at step ${e.step}` : 'training'}: ${Number.isFinite(e.totalSteps) ? e.totalSteps : '?'} steps, ${e.epochs} epoch(s), run dir ${e.runDir}${e.parallel ? `, data-parallel over ${e.parallel.worldSize} processes (overlap ${e.parallel.overlap ? 'on' : 'off'}, ${e.parallel.bucketMb} MiB buckets${e.parallel.syncBatchNorm ? ', SyncBatchNorm' : ''})` : ''}`);
        break;
      case 'step': {
        if (o.quiet) break;
        const pct = Number.isFinite(e.totalSteps) ? Math.min(1, e.step / e.totalSteps) : 0;
        // the step event comes before the epoch counter moves on: step k lies in epoch ceil(k / stepsPerEpoch)
        const ep = stepsPerEpoch ? Math.ceil(e.step / stepsPerEpoch) : e.epoch + 1;
        const info = `${e.step}/${e.totalSteps} ep ${ep}${epochs ? `/${epochs}` : ''} loss ${num(e.loss)} avg ${num(e.runningLoss)} lr ${num(e.lr)} ETA ${eta(e.step, e.totalSteps)}${e.skipped ? ' (skipped)' : ''}`;
        if (tty) {
          const now = Date.now();
          if (now - lastDraw < 100 && e.step < e.totalSteps) break;
          lastDraw = now;
          const width = Math.max(10, Math.min(30, (out.columns ?? 80) - info.length - 10));
          const fill = Math.round(pct * width);
          out.write(`\r\x1b[2K[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${(pct * 100).toFixed(0).padStart(3)}% ${info}`);
          onLine = true;
        } else if (e.step % every === 0 || e.step === e.totalSteps) line(`step ${info}`);
        break;
      }
      case 'eval':
        // counters (best_epoch, steps) print as integers, measurements with 4 digits
        if (!o.quiet) line(`eval @ step ${e.step}: ${Object.entries(e.metrics).map(([k, v]) => `${k}=${Number.isInteger(v) ? String(v) : num(v)}`).join(' ')}`);
        break;
      case 'checkpoint':
        if (!o.quiet && !tty) line(`checkpoint ${e.path}${e.best ? ' (best)' : ''}`);
        break;
      case 'warning':
        line(`warning: ${e.message}`);
        break;
      case 'end':
        const ran = stepsPerEpoch ? Math.round((100 * e.step) / stepsPerEpoch) / 100 : e.epoch;
        line(`${e.status} at step ${e.step} (${ran} epoch${ran === 1 ? '' : 's'}) in ${formatDuration(e.elapsedMs / 1000)}${e.best ? `; best ${e.best.metric}=${num(e.best.value)} at step ${e.best.step}` : ''}`);
        break;
    }
  };
}

/** A progress logger: plain lines when stderr is not a TTY; on a TTY, transient lines overwrite each other and persistent ones stay. */
export interface ProgressLog { (line: string, persistent?: boolean): void; done(): void }

/** Creates a progress logger writing to `stream` (default process.stderr). */
export function progressLog(stream: NodeJS.WriteStream = process.stderr): ProgressLog {
  const tty = stream.isTTY === true;
  let open = false;
  const log = ((line: string, persistent = false) => {
    if (tty && persistent) {
      stream.write(`\r\x1b[2K${line}\n`);
      open = false;
    } else if (tty) {
      const cols = stream.columns || 100;
      stream.write(`\r\x1b[2K${line.length > cols - 1 ? line.slice(0, cols - 2) + '…' : line}`);
      open = true;
    } else {
      stream.write(line + '\n');
    }
  }) as ProgressLog;
  log.done = () => { if (open) { stream.write('\n'); open = false; } };
  return log;
}

/** @module Summary statistics and table formatting for benchmark timings. */

/** Summary of per-step times (ms) and the throughput they imply. */
export interface Summary {
  n: number;
  medianMs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  /** Relative spread: (max - min) / median. */
  spread: number;
  /** Images per second at the median step time. */
  imagesPerSec: number;
}

/** The median of a non-empty array. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Summarises step times (ms) for a given batch size; null when there are none. */
export function summarize(ms: number[], batch: number): Summary | null {
  if (!ms.length) return null;
  const med = median(ms);
  const min = Math.min(...ms), max = Math.max(...ms);
  return {
    n: ms.length, medianMs: med, meanMs: ms.reduce((a, b) => a + b, 0) / ms.length,
    minMs: min, maxMs: max, spread: (max - min) / med, imagesPerSec: (batch * 1000) / med,
  };
}

/** a / b rounded to 3 decimals, or null when either side is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : Math.round((a / b) * 1000) / 1000;
}

/** Formats rows as a Markdown table (also readable as plain text). */
export function markdownTable(head: string[], rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null): string => (v === null ? '-' : String(v));
  const lines = [head, head.map(() => '---'), ...rows.map((r) => r.map(cell))];
  return lines.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** "123.4 ms [110.0-140.2]" style: median with min-max. */
export function fmtMs(s: Summary | null): string {
  return s ? `${s.medianMs.toFixed(1)} [${s.minMs.toFixed(1)}-${s.maxMs.toFixed(1)}]` : '-';
}

/** Images/s at the median, no decimals. */
export function fmtRate(s: Summary | null): string {
  return s ? s.imagesPerSec.toFixed(0) : '-';
}

/** Bytes as MiB with one decimal. */
export function fmtMiB(bytes: number | null | undefined): string {
  return bytes == null ? '-' : (bytes / 1048576).toFixed(1);
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Times `n` calls of fn (each followed by an event-loop yield, as the trainer does), after `warmup` untimed calls;
 * an async fn is awaited inside the timed span. Milliseconds per call.
 */
export async function timeLoop(fn: () => void | Promise<void>, warmup: number, n: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) { const r = fn(); if (r) await r; await tick(); }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = fn();
    if (r) await r;
    await tick();
    out.push(performance.now() - t0);
  }
  return out;
}

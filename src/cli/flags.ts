/** @module Flag helpers shared by the commands' parsers: CliError, strict util.parseArgs, typed flag values. */
import type { parseArgs, ParseArgsConfig } from 'node:util';
import { CliError, strictParse as parse } from '../core/options.js';

export { CliError, noPositionals } from '../core/options.js';

type Options = NonNullable<ParseArgsConfig['options']>;
/** core/options.ts's strictParse with util.parseArgs's typed values (for parsers not yet on an option table). */
export function strictParse<O extends Options>(cmd: string, args: string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>> {
  return parse(cmd, args, options) as never;
}

/** An integer flag value >= min, or undefined when absent. */
export function intFlag(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new CliError(`--${name} must be an integer >= ${min}, got '${v}'`);
  }
  return n;
}

/** A finite number flag value in the given range, or undefined when absent. */
export function numFlag(name: string, v: string | undefined, r: { gt?: number; min?: number; lt?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const range = [r.gt !== undefined ? `> ${r.gt}` : '', r.min !== undefined ? `>= ${r.min}` : '', r.lt !== undefined ? `< ${r.lt}` : ''].filter(Boolean).join(' and ');
  if (v.trim() === '' || !Number.isFinite(n) || (r.gt !== undefined && !(n > r.gt)) || (r.min !== undefined && n < r.min) || (r.lt !== undefined && !(n < r.lt))) {
    throw new CliError(`--${name} must be a number${range ? ` ${range}` : ''}, got '${v}'`);
  }
  return n;
}

/** A flag value from a fixed list, or undefined when absent. */
export function enumFlag<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new CliError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** --set values: each must look like field.path=value. */
export function setFlag(v: string[] | undefined): string[] {
  const set = v ?? [];
  for (const o of set) if (o.indexOf('=') <= 0) throw new CliError(`--set '${o}' must look like field.path=value (e.g. --set optim.lr=0.01)`);
  return set;
}

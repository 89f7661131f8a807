/**
 * @module Validation of a method's options (config.method) against a table of rules: unknown fields,
 * defaults filled in, and one error per bad field naming 'method.<field>', the allowed range and the value.
 */
import { ConfigError } from '../core/errors.js';

/** One field's rule: a predicate and the allowed range in words ('a finite number >= 0'). */
export type FieldCheck = [(v: unknown) => boolean, string];

/** A plain object (not an array, not null). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A finite number. */
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The rule 'a finite number >= 0'. */
export const nonNegative: FieldCheck = [(v) => isFiniteNumber(v) && v >= 0, 'a finite number >= 0'];

/**
 * `defaults` overlaid with `partial`, after checking that partial is an object with known fields only and that
 * every merged field passes its rule; `method` names the method in the errors ('finetune config field ...').
 */
export function checkMethodFields<T extends object>(method: string, partial: unknown, defaults: T, rules: Record<keyof T, FieldCheck>): T {
  if (!isPlainObject(partial)) throw new ConfigError(`${method} config must be an object, got ${JSON.stringify(partial)}`);
  for (const k of Object.keys(partial)) {
    if (!(k in rules)) throw new ConfigError(`unknown ${method} config field 'method.${k}' (known: ${Object.keys(rules).join(', ')})`);
  }
  const c: T = { ...defaults, ...partial };
  const values = new Map(Object.entries(c));
  for (const [k, [ok, range]] of Object.entries(rules) as [string, FieldCheck][]) {
    if (!ok(values.get(k))) throw new ConfigError(`${method} config field 'method.${k}' must be ${range}, got ${JSON.stringify(values.get(k))}`);
  }
  return c;
}

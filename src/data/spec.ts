/**
 * @module Data spec strings without native code (for option tables and the CLI): a built-in task
 * (`fmnist:target-mid` ...), `imagefolder:DIR`, `csv:FILE`, `mvtec:DIR`, `anomaly:DIR`. checkDataSpec returns
 * the spec (built-in names canonicalised) or throws a ConfigError naming the allowed forms; data.open reads it.
 */
import { ConfigError } from '../core/errors.js';
import { parseTaskSpec, TASK_NAMES, TASK_FAMILIES } from './tasks/spec.js';

/** The spec kinds besides the built-in tasks. */
export const FILE_SPEC_KINDS = ['imagefolder', 'csv', 'mvtec', 'anomaly'] as const;
/** The spec forms, for help texts. */
export const DATA_SPEC_FORMS = [...TASK_NAMES, 'imagefolder:DIR', 'csv:FILE', 'mvtec:DIR', 'anomaly:DIR'];

/** Checks a data spec's form (not the files: data.open does that); returns it with built-in task names canonicalised. */
export function checkDataSpec(spec: unknown, kinds: readonly string[] = FILE_SPEC_KINDS): string {
  if (typeof spec !== 'string' || !spec.includes(':')) throw new ConfigError(`data spec must be one of ${DATA_SPEC_FORMS.join(', ')}; got ${JSON.stringify(spec)}`);
  const i = spec.indexOf(':');
  const kind = spec.slice(0, i).trim().toLowerCase();
  if ((TASK_FAMILIES as readonly string[]).includes(kind)) return parseTaskSpec(spec).name;
  if (!(FILE_SPEC_KINDS as readonly string[]).includes(kind)) throw new ConfigError(`data spec ${JSON.stringify(spec)}: unknown kind ${JSON.stringify(kind)}; allowed: ${DATA_SPEC_FORMS.join(', ')}`);
  if (!kinds.includes(kind)) throw new ConfigError(`data spec ${JSON.stringify(spec)}: ${kind}: is not for this command; allowed: ${[...TASK_NAMES, ...kinds.map((k) => `${k}:${k === 'csv' ? 'FILE' : 'DIR'}`)].join(', ')}`);
  if (spec.slice(i + 1).trim() === '') throw new ConfigError(`data spec ${JSON.stringify(spec)}: ${kind}: needs a path after the colon`);
  return `${kind}:${spec.slice(i + 1)}`;
}

/** @module Flag helpers shared by the commands' parsers: CliError, strict util.parseArgs, typed flag values. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: main prints its message and exits with status 2. */
export class CliError extends Error {
  override name = 'CliError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** util.parseArgs (strict, positionals allowed), its errors turned into CliErrors naming the flag and the command. */
export function strictParse<O extends Options>(cmd: string, args: string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>> {
  // a negative number after a flag that takes a value is that value (--lr -0.1), not an unknown flag;
  // the flag's own check then says what range it takes
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const next = args[i + 1];
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) { joined.push(`${a}=${next}`); i++; } else joined.push(a);
  }
  try {
    const parsed = parseArgs({ args: joined, options, strict: true as const, allowPositionals: true as const, tokens: true as const });
    const seen = new Set<string>();
    for (const t of parsed.tokens ?? []) {
      if (t.kind !== 'option' || options[t.name]?.multiple) continue;
      if (seen.has(t.name)) throw new CliError(`flag --${t.name} is given more than once for 'adaptune ${cmd}'; give it once`);
      seen.add(t.name);
    }
    return parsed;
  } catch (e) {
    if (e instanceof CliError) throw e;
    const err = e as { code?: string; message: string };
    const flag = /'(-[^' ]+)/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliError(`unknown flag ${flag ?? ''} for 'adaptune ${cmd}' (see adaptune ${cmd} --help)`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new CliError(`flag ${flag ?? ''} needs a value`);
    throw new CliError(err.message);
  }
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

/** Rejects positional arguments. */
export function noPositionals(cmd: string, positionals: string[]): void {
  if (positionals.length) throw new CliError(`'adaptune ${cmd}' takes no positional arguments, got '${positionals[0]}'`);
}

/** --set values: each must look like field.path=value. */
export function setFlag(v: string[] | undefined): string[] {
  const set = v ?? [];
  for (const o of set) if (o.indexOf('=') <= 0) throw new CliError(`--set '${o}' must look like field.path=value (e.g. --set optim.lr=0.01)`);
  return set;
}

/**
 * @module One schema per option. An option table (a plain object of `opt.*` entries) is the one definition of a
 * command's options: each entry has its type, range, default, one-line doc, flag name and help section. From the
 * table come the run function's options type (`OptionValues<typeof TABLE>`), the checks of typed values
 * (`checkOptions`, used by the run functions), the CLI parser (`parseFlags`: strict util.parseArgs, errors naming
 * the flag and its range) and the `--help` text (`formatHelp`). No native code: the CLI parses without libtorch.
 *
 * The tables live next to their run functions: src/methods/<method>/options.ts (shared run flags such as --out,
 * --config, --set, --threads, --json: src/train/options.ts).
 *
 * To add an option: add one entry to the command's table, e.g. in src/methods/finetune/options.ts
 *     maxSteps: opt.int({ min: 1, doc: 'stop after N optimizer steps', arg: 'N', section: RUN }),
 * The run function's options type gains `maxSteps?: number`, `--max-steps N` parses (and is refused when out of
 * range), `--help` lists it. Then read `o.maxSteps` in the run function. Kinds: opt.int, opt.number, opt.string,
 * opt.enum([...]), opt.bool, opt.list (comma list; `repeat: true` for a repeatable flag), opt.custom(parse) for
 * a string turned into any type by `parse` (a ConfigError it throws becomes `--flag: message`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from './errors.js';

/** A usage error: the CLI prints its message and exits with status 2. */
export class CliError extends Error {
  override name = 'CliError';
}

interface Common<V> {
  /** One-line description for --help ('\n' starts an indented continuation line). */
  doc: string;
  /** The flag's name without '--' (default: the option name in kebab-case). */
  flag?: string;
  /** The value's placeholder in --help (e.g. N, X, FILE); not for bool. */
  arg?: string;
  /** The default (shown in --help as "(default X)"); the run function applies it, the parser does not. */
  default?: V | null;
  /** How --help states the default when `default` cannot say it (e.g. 'eps / 4'). */
  defaultText?: string;
  /** The --help section (default: 'Flags'). */
  section?: string;
  /** Not parsed from the command line, not in --help (library only). */
  libraryOnly?: boolean;
  /** Phantom: the option's value type. */
  readonly __value?: V;
}

export interface IntSpec extends Common<number> { type: 'int'; min?: number; max?: number }
export interface NumberSpec extends Common<number> { type: 'number'; gt?: number; min?: number; lt?: number; max?: number }
export interface StringSpec<V = string> extends Common<V> { type: 'string'; parse?: (raw: string) => V; short?: string }
export interface EnumSpec<V extends string = string> extends Common<V> { type: 'enum'; values: readonly V[] }
/** A boolean flag: given = true; `negate: true` (flag --no-x) = false. */
export interface BoolSpec extends Common<boolean> { type: 'bool'; negate?: boolean }
/** A comma list (a, b, c) or, with `repeat`, a flag given any number of times; `item` checks one item. */
export interface ListSpec extends Common<string[]> { type: 'list'; repeat?: boolean; item?: (s: string) => string | null; what?: string; unique?: boolean }

export type OptSpec = IntSpec | NumberSpec | StringSpec<any> | EnumSpec<any> | BoolSpec | ListSpec;
export type OptionTable = Record<string, OptSpec>;
/** The value type of one entry. */
export type ValueOf<S> = S extends Common<infer V> ? V : never;
/** The typed options of a table: every option optional (undefined = not given; the run function's default). */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]?: ValueOf<T[K]> | (T[K] extends { default: null } ? null : never) };

type Opts<S> = Omit<S, 'type' | '__value'>;
/** `default: null` kept as a literal, so that OptionValues admits null for that entry. */
type Nullable<S> = S extends { default: null } ? { default: null } : unknown;
/** Builders that keep each entry's literal types (enum values, custom value type, a null default). */
export const opt = {
  int: <const S extends Opts<IntSpec>>(s: S): IntSpec & Nullable<S> => ({ type: 'int', ...s }) as IntSpec & Nullable<S>,
  number: <const S extends Opts<NumberSpec>>(s: S): NumberSpec & Nullable<S> => ({ type: 'number', ...s }) as NumberSpec & Nullable<S>,
  string: <const S extends Opts<StringSpec<string>>>(s: S): StringSpec<string> & Nullable<S> => ({ type: 'string', ...s }) as StringSpec<string> & Nullable<S>,
  custom: <V, const S extends Opts<StringSpec<V>> = Opts<StringSpec<V>>>(parse: (raw: string) => V, s: S): StringSpec<V> & Nullable<S> => ({ type: 'string', parse, ...s }) as StringSpec<V> & Nullable<S>,
  enum: <const V extends string, const S extends Omit<Opts<EnumSpec<V>>, 'values'> = Omit<Opts<EnumSpec<V>>, 'values'>>(values: readonly V[], s: S): EnumSpec<V> & Nullable<S> => ({ type: 'enum', ...s, values }) as EnumSpec<V> & Nullable<S>,
  bool: (s: Opts<BoolSpec>): BoolSpec => ({ type: 'bool', ...s }),
  list: <const S extends Opts<ListSpec>>(s: S): ListSpec & Nullable<S> => ({ type: 'list', ...s }) as ListSpec & Nullable<S>,
};

/** The flag of an entry: its `flag`, else the option name in kebab-case. */
export function flagOf(name: string, s: OptSpec): string {
  return s.flag ?? name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** The range of a number entry in words ('> 0 and < 1'), '' when unbounded. */
function numberRange(s: NumberSpec): string {
  if (s.min !== undefined && s.max !== undefined && s.gt === undefined && s.lt === undefined) return `in [${s.min}, ${s.max}]`;
  return [s.gt !== undefined ? `> ${s.gt}` : '', s.min !== undefined ? `>= ${s.min}` : '', s.lt !== undefined ? `< ${s.lt}` : '', s.max !== undefined ? `<= ${s.max}` : ''].filter(Boolean).join(' and ');
}
const inRange = (s: NumberSpec | IntSpec, n: number): boolean =>
  ('gt' in s && s.gt !== undefined ? n > s.gt : true) && (s.min === undefined || n >= s.min) && ('lt' in s && s.lt !== undefined ? n < s.lt : true) && (s.max === undefined || n <= s.max);
const intRange = (s: IntSpec): string => (s.max !== undefined ? `in [${s.min ?? 1}, ${s.max}]` : `>= ${s.min ?? 1}`);

/** Turns one raw command-line value into the entry's typed value; throws a CliError naming the flag. */
function convert(flag: string, s: OptSpec, raw: string | boolean | string[]): unknown {
  const bad = (what: string, v: string): never => { throw new CliError(`--${flag} must be ${what}, got '${v}'`); };
  switch (s.type) {
    case 'bool': return s.negate ? false : true;
    case 'int': {
      const v = raw as string;
      const n = Number(v);
      if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || !inRange({ ...s, min: s.min ?? 1 }, n)) bad(`an integer ${intRange(s)}`, v);
      return n;
    }
    case 'number': {
      const v = raw as string;
      const n = Number(v);
      const range = numberRange(s);
      if (v.trim() === '' || !Number.isFinite(n) || !inRange(s, n)) bad(`a number${range ? ` ${range}` : ''}`, v);
      return n;
    }
    case 'enum': {
      const v = raw as string;
      if (!s.values.includes(v)) bad(`one of ${s.values.join(', ')}`, v);
      return v;
    }
    case 'list': {
      const items = s.repeat ? (raw as string[]) : (raw as string).split(',').map((x) => x.trim());
      for (const it of items) {
        const why = s.repeat ? s.item?.(it) : !it ? 'empty item' : s.item?.(it);
        if (why) {
          if (s.repeat) throw new CliError(`--${flag} '${it}' ${why}`);
          bad(`a comma-separated list${s.what ? ` of ${s.what}` : ''}`, raw as string);
        }
      }
      return s.unique ? [...new Set(items)] : items;
    }
    case 'string': {
      if (!s.parse) return raw;
      try { return s.parse(raw as string); } catch (e) {
        if (e instanceof ConfigError) throw new CliError(`--${flag}: ${e.message}`);
        throw e;
      }
    }
  }
}

/** The util.parseArgs options of a table (--help added). */
export function parseArgsConfig(table: OptionTable): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, s] of Object.entries(table)) {
    if (s.libraryOnly) continue;
    out[flagOf(name, s)] = s.type === 'bool' ? { type: 'boolean' } : { type: 'string', ...(s.type === 'list' && s.repeat ? { multiple: true } : {}), ...(s.type === 'string' && s.short ? { short: s.short } : {}) };
  }
  return out;
}

/** util.parseArgs (strict, positionals allowed), its errors turned into CliErrors naming the flag and the command. */
export function strictParse(cmd: string, args: string[], options: NonNullable<ParseArgsConfig['options']>): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
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
    const parsed = parseArgs({ args: joined, options, strict: true, allowPositionals: true, tokens: true });
    const seen = new Set<string>();
    for (const t of parsed.tokens ?? []) {
      if (t.kind !== 'option' || options[t.name]?.multiple) continue;
      if (seen.has(t.name)) throw new CliError(`flag --${t.name} is given more than once for 'adaptune ${cmd}'; give it once`);
      seen.add(t.name);
    }
    return { values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals };
  } catch (e) {
    if (e instanceof CliError) throw e;
    const err = e as { code?: string; message: string };
    const flag = /'(-[^' ]+)/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliError(`unknown flag ${flag ?? ''} for 'adaptune ${cmd}' (see adaptune ${cmd} --help)`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new CliError(`flag ${flag ?? ''} needs a value`);
    throw new CliError(err.message);
  }
}

/** Raw flags read by `readFlags`: the flag names given (as typed on the command line) and the positionals. */
export interface RawFlags { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] }

/** Reads a command line against the union of tables (strict); 'help' for -h/--help. */
export function readFlags(cmd: string, tables: OptionTable[], args: string[]): RawFlags | 'help' {
  const config = Object.assign({}, ...tables.map(parseArgsConfig)) as NonNullable<ParseArgsConfig['options']>;
  const r = strictParse(cmd, args, config);
  return r.values.help ? 'help' : r;
}

/** The typed values of the flags in `raw` that `table` defines (only the given ones). */
export function convertFlags<T extends OptionTable>(table: T, raw: RawFlags['values']): OptionValues<T> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(table)) {
    if (s.libraryOnly) continue;
    const flag = flagOf(name, s);
    const v = raw[flag];
    if (v !== undefined) out[name] = convert(flag, s, v);
  }
  return out as OptionValues<T>;
}

/** Takes `table`'s flags (--f V, --f=V) out of another command's line (the launcher's --nproc): typed values, whether any was given, the rest. */
export function takeFlags<T extends OptionTable>(table: T, args: readonly string[]): { values: OptionValues<T>; given: boolean; rest: string[] } {
  const specs = new Map(Object.entries(table).filter(([, s]) => !s.libraryOnly).map(([name, s]) => [flagOf(name, s), s] as const));
  const raw: RawFlags['values'] = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') ? a.slice(2, eq > 0 ? eq : undefined) : '';
    const s = specs.get(flag);
    if (!s) { rest.push(a); continue; }
    if (raw[flag] !== undefined) throw new CliError(`flag --${flag} is given more than once; give it once`);
    const v = s.type === 'bool' ? true : eq > 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined) throw new CliError(`flag --${flag} needs a value`);
    raw[flag] = s.type === 'list' && s.repeat ? [v as string] : v;
  }
  return { values: convertFlags(table, raw), given: Object.keys(raw).length > 0, rest };
}

/** Rejects positional arguments. */
export function noPositionals(cmd: string, positionals: string[]): void {
  if (positionals.length) throw new CliError(`'adaptune ${cmd}' takes no positional arguments, got '${positionals[0]}'`);
}

/** Parses a command line into the table's typed values (only the flags given); 'help' for -h/--help. */
export function parseFlags<T extends OptionTable>(cmd: string, table: T, args: string[]): OptionValues<T> | 'help' {
  const raw = readFlags(cmd, [table], args);
  if (raw === 'help') return 'help';
  noPositionals(cmd, raw.positionals);
  return convertFlags(table, raw.values);
}

/**
 * Checks typed option values (a library call's options) against the table: integer, range, allowed values.
 * Throws a ConfigError in the parser's wording (naming the flag); undefined entries are skipped.
 */
export function checkOptions(table: OptionTable, o: object): void {
  const rec = o as Record<string, unknown>;
  for (const [name, s] of Object.entries(table)) {
    const v = rec[name];
    if (v === undefined || (v === null && s.default === null)) continue;
    const flag = flagOf(name, s);
    const bad = (what: string): never => { throw new ConfigError(`--${flag} (option ${name}) must be ${what}, got ${JSON.stringify(v)}`); };
    switch (s.type) {
      case 'int': if (typeof v !== 'number' || !Number.isSafeInteger(v) || !inRange({ ...s, min: s.min ?? 1 }, v)) bad(`an integer ${intRange(s)}`); break;
      case 'number': { const range = numberRange(s); if (typeof v !== 'number' || !Number.isFinite(v) || !inRange(s, v)) bad(`a number${range ? ` ${range}` : ''}`); break; }
      case 'enum': if (typeof v !== 'string' || !s.values.includes(v)) bad(`one of ${s.values.join(', ')}`); break;
      case 'bool': if (typeof v !== 'boolean') bad('true or false'); break;
      case 'list': if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || (!s.repeat && !x))) bad('a list of strings'); break;
      case 'string': if (!s.parse && typeof v !== 'string') bad('a string'); break;
    }
  }
}

/** The default of an entry in --help words, or '' when it has none. */
function defaultWords(s: OptSpec): string {
  if (s.defaultText !== undefined) return s.defaultText;
  if (s.default === undefined || s.default === null || s.type === 'bool') return '';
  const word = (x: unknown): string => (typeof x === 'number' && x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential() : String(x));
  return Array.isArray(s.default) ? s.default.join(',') : word(s.default);
}

/** The help line(s) of one entry, the doc starting at column 28. */
function helpLines(name: string, s: OptSpec): string {
  const head = `  --${flagOf(name, s)}${s.type === 'bool' ? '' : ` ${s.arg ?? (s.type === 'int' ? 'N' : s.type === 'number' ? 'X' : s.type === 'enum' ? s.values.join('|') : 'S')}`}`;
  const d = defaultWords(s);
  const [first, ...more] = `${s.doc}${d ? ` (default ${d})` : ''}`.split('\n');
  const pad = ' '.repeat(28);
  return [head.length < 28 ? head.padEnd(28) + first : `${head}\n${pad}${first}`, ...more.map((l) => pad + l)].join('\n');
}

/**
 * The --help text: `intro`, then each table's entries grouped by section (in order of first appearance), then
 * `-h, --help`. An entry defined in an earlier table is listed again only under a section of its own table.
 */
export function formatHelp(intro: string, tables: OptionTable[], outro = ''): string {
  const sections = new Map<string, string[]>();
  for (const table of tables) {
    for (const [name, s] of Object.entries(table)) {
      if (s.libraryOnly) continue;
      const title = s.section ?? 'Flags';
      if (!sections.has(title)) sections.set(title, []);
      sections.get(title)!.push(helpLines(name, s));
    }
  }
  const blocks = [...sections].map(([title, lines]) => `${title}:\n${lines.join('\n')}`);
  return `${intro.trimEnd()}\n\n${blocks.join('\n\n')}\n  -h, --help                this help\n${outro ? `\n${outro.trimEnd()}\n` : ''}`;
}

/** The entries of `table` whose section is `section` (e.g. the flags one method of a command takes). */
export function sectionOf<T extends OptionTable>(table: T, section: string): (keyof T & string)[] {
  return Object.keys(table).filter((k) => table[k]!.section === section);
}

/** The default of a table entry (which must have one). */
export function defaultOf<S extends OptSpec>(s: S): ValueOf<S> {
  if (s.default === undefined || s.default === null) throw new Error(`option ${s.doc}: no default`);
  return s.default as ValueOf<S>;
}

/** Copies the defined entries of `o` (undefined left out, so that spreading keeps the layer below). */
export function definedOptions<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The adaptune command lines the documentation shows, and their check without running. Rules (no list of exceptions):
 * - Sources: fenced code blocks of the Markdown files (line by line, `\` continuations joined), inline code spans that
 *   start with a command, and the lines of the shell scripts next to the results pages.
 * - A command is `adaptune ARGS`, `node dist/src/cli/main.js ARGS` or `npm run NAME [-- ARGS]`, after optional
 *   `VAR=value` prefixes; anything else (python3, sh, other node scripts) is not ours and is skipped.
 * - Shell: `;`, `&&`, `||` and `|` separate commands, `#` starts a comment, `X=...` alone defines X for the lines after
 *   it in the same file, `for X in A B ...` sets X to A, `${X:-D}` is X or D. In a fenced block only lines that start
 *   like a shell line count (not program output).
 * - What the documentation leaves open is dropped with the flag before it: a value in capitals (--seed S, --lr LR), an
 *   unset variable ($R); a command substitution stands for one word; a command whose first word is open is skipped.
 * - Templates are skipped: a span with `...`, `[`, `<` or `|`; in prose, a span with no
 *   argument, ending in a flag, or with a placeholder.
 */
import { readFileSync } from 'node:fs';

/** One command line found in a file. */
export interface DocCommand { file: string; line: number; text: string; kind: 'adaptune' | 'npm'; argv: string[] }

const ENV = /^[A-Za-z_]\w*=/;
const PLACEHOLDER = /^[A-Z][A-Z0-9_]*(\.\w+)?$/;
/** How a command line in a fenced block starts (else the line is program output or prose). */
const SHELL_START = /^\s*(\w+=\S*\s*|for\s|do\s|done|adaptune\s|node\s|npm\s|npx\s|sh\s|bash\s|python3?\s|cd\s|export\s|set\s|cp\s|mkdir\s|#)/;

/** Splits on a separator set outside quotes. */
function splitOutsideQuotes(s: string, sep: RegExp): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) { if (c === q) q = null; cur += c; continue; }
    if (c === '"' || c === "'") { q = c; cur += c; continue; }
    const m = sep.exec(s.slice(i));
    if (m && m.index === 0) { out.push(cur); cur = ''; i += m[0].length - 1; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** Shell words: whitespace outside quotes separates them; quote characters are dropped. */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  let q: string | null = null;
  for (const c of s) {
    if (q) { if (c === q) q = null; else cur += c; continue; }
    if (c === '"' || c === "'") { q = c; cur ??= ''; continue; }
    if (/\s/.test(c)) { if (cur !== null) out.push(cur); cur = null; continue; }
    cur = (cur ?? '') + c;
  }
  if (cur !== null) out.push(cur);
  return out;
}

/** Marks a value the documentation leaves open (an unset variable, a command substitution). */
const OPEN = '\u0000open';

/** `${X:-D}`, `${X}` and `$X` from vars; an unknown one (and $@, $1 ...) becomes OPEN. */
function expand(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\{(\w+)(:-([^}]*))?\}|\$(\w+|@|\*)/g, (_m, a: string | undefined, _d, dflt: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? dflt ?? OPEN);
}

/**
 * Drops what the documentation leaves open: a value in capitals (S, LR, FILE.pth) or with an OPEN part, together
 * with the `--flag` before it; null when a command word (the first) is open.
 */
function dropOpen(argv: string[]): string[] | null {
  const out: string[] = [];
  for (const a of argv) {
    if (!a.includes(OPEN) && !PLACEHOLDER.test(a)) { out.push(a); continue; }
    if (out.length <= 1) return null;
    const prev = out[out.length - 1]!;
    if (prev.startsWith('--') && !prev.includes('=')) out.pop();
  }
  return out;
}

/** The commands of one shell line (continuations joined), updating vars. */
function commandsOfLine(file: string, line: number, raw: string, vars: Map<string, string>, inline: boolean): DocCommand[] {
  const out: DocCommand[] = [];
  if (inline && raw.includes('|')) return out; // a template (a|b), as in the README's command table
  const noComment = splitOutsideQuotes(raw.replace(/\$\([^)]*\)/g, 'substituted'), /^(^|\s)#/)[0]!; // a command substitution: one word
  for (let seg of splitOutsideQuotes(noComment, /^(;|&&|\|\||\|)/)) {
    seg = seg.trim().replace(/^(do|then|else)\s+/, '').replace(/\s\d?>>?&?\s*\S+/g, ''); // redirections
    const loop = /^for\s+(\w+)\s+in\s+(.+)$/.exec(seg);
    if (loop) { vars.set(loop[1]!, shellWords(expand(loop[2]!, vars))[0] ?? OPEN); continue; }
    const words = shellWords(seg);
    const i = words.findIndex((w) => !ENV.test(w));
    if (i < 0) { // assignments only: define them
      for (const w of words) { const eq = w.indexOf('='); const v = expand(w.slice(eq + 1), vars); if (!v.includes(OPEN)) vars.set(w.slice(0, eq), v); }
      continue;
    }
    const [w0, w1, w2] = [words[i], words[i + 1], words[i + 2]];
    const take = w0 === 'adaptune' ? 1 : w0 === 'node' && w1 === 'dist/src/cli/main.js' ? 2 : w0 === 'npm' && w1 === 'run' && w2 !== undefined ? 2 : 0;
    if (!take) continue;
    if (/\.\.\.|\[|</.test(seg)) continue;
    const kind = w0 === 'npm' ? 'npm' as const : 'adaptune' as const;
    const all = shellWords(expand(seg, vars));
    const argv = dropOpen(all.slice(all.findIndex((w) => !ENV.test(w)) + take));
    if (inline && (!argv || argv.length < 2 || argv[argv.length - 1]!.startsWith('--') || all.some((w) => PLACEHOLDER.test(w)))) continue; // a fragment or template in prose
    if (argv) out.push({ file, line, text: seg, kind, argv });
  }
  return out;
}

/** The commands of a Markdown or shell file. */
export function docCommands(file: string, text = readFileSync(file, 'utf8')): DocCommand[] {
  const vars = new Map<string, string>();
  const out: DocCommand[] = [];
  const lines = text.split('\n');
  const shell = file.endsWith('.sh');
  let fenced = false;
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n]!;
    if (!shell && /^\s*```/.test(l)) { fenced = !fenced; continue; }
    if (shell || fenced) {
      let joined = l;
      const start = n;
      while (joined.endsWith('\\') && n + 1 < lines.length) joined = joined.slice(0, -1) + ' ' + lines[++n]!;
      if (!shell && !SHELL_START.test(joined)) continue; // program output, not a command line
      out.push(...commandsOfLine(file, start + 1, joined, vars, false));
      continue;
    }
    for (const m of l.matchAll(/`([^`]+)`/g)) {
      if (/^(\w+=\S+\s+)*(adaptune|node dist\/src\/cli\/main\.js|npm run)\s/.test(m[1]!)) out.push(...commandsOfLine(file, n + 1, m[1]!, new Map(vars), true));
    }
  }
  return out;
}

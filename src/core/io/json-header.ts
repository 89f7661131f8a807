/**
 * @module A strict, linear-time JSON reader for safetensors headers. JSON.parse
 * builds the top-level object as one dictionary of up to a million keys, which
 * V8 makes slow (7 s for 1,000,000 tensors, and as long again for
 * Object.entries); this reader returns the top level as an ordered list of
 * entries instead, refuses duplicate keys at every level (JSON.parse keeps the
 * last one silently), and limits nesting depth. A key such as `__proto__` is
 * plain data (defined, never assigned).
 */

/** Thrown with the byte-free character offset of the problem. */
export class HeaderSyntaxError extends Error {}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses a JSON object and hands each top-level member to `onMember` in order
 * (which refuses duplicates). Throws HeaderSyntaxError.
 */
export function parseTopLevelObject(text: string, onMember: (key: string, value: JsonValue) => void): void {
  const n = text.length;
  let i = 0;
  const err = (msg: string): never => { throw new HeaderSyntaxError(`${msg} at character ${i}`); };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++; else break;
    }
  };
  const str = (): string => {
    // at the opening quote
    const start = ++i;
    let escaped = false;
    for (;;) {
      if (i >= n) err('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c < 32) err('control character in a string');
      if (c === 92) { escaped = true; i += 2; } else i++;
    }
    const raw = text.slice(start, i);
    i++;
    if (!escaped) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return err('bad escape in a string');
    }
  };
  // Reads the members of the object at i ('{'), calling put(key, value) for each.
  const members = (depth: number, put: (k: string, v: JsonValue) => void): void => {
    i++;
    ws();
    if (text.charCodeAt(i) === 125) { i++; return; }
    for (;;) {
      ws();
      if (text.charCodeAt(i) !== 34) err('expected a string key');
      const k = str();
      ws();
      if (text.charCodeAt(i) !== 58) err("expected ':'");
      i++;
      put(k, value(depth + 1));
      ws();
      const c = text.charCodeAt(i);
      if (c === 44) { i++; continue; }
      if (c === 125) { i++; return; }
      err("expected ',' or '}'");
    }
  };
  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) err(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    const c = text.charCodeAt(i);
    if (c === 34) return str();
    if (c === 123) {
      const o: { [k: string]: JsonValue } = {};
      members(depth, (k, v) => {
        if (Object.prototype.hasOwnProperty.call(o, k)) throw new HeaderSyntaxError(`key '${k}' appears twice in an object`);
        // defineProperty: a key such as '__proto__' stays plain data
        if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        else o[k] = v;
      });
      return o;
    }
    if (c === 91) {
      i++;
      const a: JsonValue[] = [];
      ws();
      if (text.charCodeAt(i) === 93) { i++; return a; }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        const d = text.charCodeAt(i);
        if (d === 44) { i++; continue; }
        if (d === 93) { i++; return a; }
        err("expected ',' or ']'");
      }
    }
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return err('unexpected character');
    i += m[0].length;
    return Number(m[0]);
  };
  ws();
  if (text.charCodeAt(i) !== 123) err('expected a JSON object');
  members(0, onMember);
  ws();
  if (i !== n) err('unexpected data after the header object');
}

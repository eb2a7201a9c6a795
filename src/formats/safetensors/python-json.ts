/**
 * JSON text exactly as Python's json.dumps(value, indent=2, sort_keys=True) writes it (the call
 * transformers' save_pretrained uses for model.safetensors.index.json): ", " / ": " separators
 * turned into "," + newline by the indent, keys sorted by code point, ensure_ascii escapes.
 * Only what an index holds is supported: objects, strings, integers.
 */
export type PyJson = string | number | { readonly [k: string]: PyJson };

const NAMED: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** Python's ensure_ascii: everything outside ' '..'~' becomes \uXXXX (surrogate pairs above U+FFFF). */
function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    const named = NAMED[ch];
    if (named !== undefined) out += named;
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}

/** Python compares str keys by code point; JS's default sort compares UTF-16 units. */
export function byCodePoint(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function dump(v: PyJson, level: number): string {
  if (typeof v === 'string') return pyString(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`python-json: only integers are supported, got ${v}`);
    return String(v);
  }
  const keys = Object.keys(v).sort(byCodePoint);
  if (keys.length === 0) return '{}';
  const inner = ' '.repeat(2 * (level + 1));
  const items = keys.map((k) => `${inner}${pyString(k)}: ${dump(v[k]!, level + 1)}`);
  return `{\n${items.join(',\n')}\n${' '.repeat(2 * level)}}`;
}

export function pythonJsonDumps(v: PyJson): string {
  return dump(v, 0);
}

import { byCodePoint } from '../safetensors/python-json';

/**
 * JSON as Python's json.dumps(value, indent=2, sort_keys=True) writes it, the call transformers'
 * save_pretrained uses for config.json, generation_config.json and tokenizer_config.json (the last
 * with ensure_ascii=False). Floats are marked with pyFloat() so they print as Python's repr does
 * (10000.0, 1e-05); plain numbers must be integers.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

export const pyFloat = (v: number): PyFloat => new PyFloat(v);

export type PyValue = null | boolean | string | number | PyFloat | readonly PyValue[] | { readonly [k: string]: PyValue | undefined };

const NAMED: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function pyString(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    const named = NAMED[ch];
    if (named !== undefined) out += named;
    else if (c < 0x20 || (ensureAscii && c > 0x7e)) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Python's float repr: shortest round-trip digits, fixed notation for exponents -4..15, else d.ddde±XX. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) body = '0.' + '0'.repeat(-exp - 1) + digits;
    else if (digits.length > exp + 1) body = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
    else body = digits + '0'.repeat(exp + 1 - digits.length) + '.0';
  } else {
    const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return (neg ? '-' : '') + body;
}

/** The shortest decimal that reads back as the same float32: what a config held before it became a GGUF f32. */
export function shortestF32(v: number): number {
  for (let p = 1; p <= 9; p++) {
    const x = Number(v.toPrecision(p));
    if (Math.fround(x) === v) return x;
  }
  return v;
}

function dump(v: PyValue, level: number, ensureAscii: boolean): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return pyString(v, ensureAscii);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`py-json: plain numbers must be integers (mark floats with pyFloat), got ${v}`);
    return String(v);
  }
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  const inner = ' '.repeat(2 * (level + 1));
  const close = ' '.repeat(2 * level);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${(v as readonly PyValue[]).map((x) => inner + dump(x, level + 1, ensureAscii)).join(',\n')}\n${close}]`;
  }
  const obj = v as { readonly [k: string]: PyValue | undefined };
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(byCodePoint);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${pyString(k, ensureAscii)}: ${dump(obj[k]!, level + 1, ensureAscii)}`).join(',\n')}\n${close}}`;
}

/** json.dumps(v, indent=2, sort_keys=True, ensure_ascii=...) + "\n", as transformers writes its files. */
export function pyJsonFile(v: PyValue, ensureAscii = true): Uint8Array {
  return new TextEncoder().encode(dump(v, 0, ensureAscii) + '\n');
}

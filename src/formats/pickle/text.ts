/**
 * Decoders for protocol 0's text arguments, matching what CPython's pickle does with them:
 * STRING is a quoted `codecs.escape_decode` literal, UNICODE is `raw-unicode-escape`, INT / LONG /
 * FLOAT are Python literals. Each returns null on malformed input; the caller reports where.
 */

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return null;
  }
}

const SIMPLE_ESCAPES: Record<number, number> = {
  0x5c: 0x5c, // \\
  0x27: 0x27, // \'
  0x22: 0x22, // \"
  0x61: 0x07, // \a
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x76: 0x0b, // \v
};

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The body of a STRING line: strips the matching quotes, then undoes Python's bytes escapes. */
export function decodeStringLiteral(line: Uint8Array): Uint8Array | null {
  if (line.length < 2) return null;
  const q = line[0]!;
  if ((q !== 0x27 && q !== 0x22) || line[line.length - 1] !== q) return null;
  const out = new Uint8Array(line.length);
  let n = 0;
  for (let i = 1; i < line.length - 1; i++) {
    const c = line[i]!;
    if (c !== 0x5c) {
      out[n++] = c;
      continue;
    }
    if (++i >= line.length - 1) return null; // trailing backslash
    const e = line[i]!;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) out[n++] = simple;
    else if (e === 0x0a) continue; // backslash-newline: line continuation
    else if (e === 0x78) {
      const h = hexVal(line[i + 1] ?? 0);
      const l = hexVal(line[i + 2] ?? 0);
      if (h < 0 || l < 0 || i + 2 >= line.length - 1) return null;
      out[n++] = (h << 4) | l;
      i += 2;
    } else if (e >= 0x30 && e <= 0x37) {
      let v = e - 0x30;
      for (let k = 0; k < 2 && i + 1 < line.length - 1 && line[i + 1]! >= 0x30 && line[i + 1]! <= 0x37; k++) v = (v << 3) | (line[++i]! - 0x30);
      out[n++] = v & 0xff;
    } else {
      out[n++] = 0x5c; // unknown escapes stay as written
      out[n++] = e;
    }
  }
  return out.subarray(0, n);
}

/** raw-unicode-escape: bytes are Latin-1 code points, except \uXXXX and \UXXXXXXXX. */
export function decodeRawUnicodeEscape(bytes: Uint8Array): string | null {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x5c && i + 1 < bytes.length && (bytes[i + 1] === 0x75 || bytes[i + 1] === 0x55)) {
      const digits = bytes[i + 1] === 0x75 ? 4 : 8;
      if (i + 1 + digits >= bytes.length) return null; // truncated escape
      let cp = 0;
      for (let k = 0; k < digits; k++) {
        const h = hexVal(bytes[i + 2 + k]!);
        if (h < 0) return null;
        cp = cp * 16 + h;
      }
      if (cp > 0x10ffff) return null;
      s += String.fromCodePoint(cp);
      i += 1 + digits;
    } else {
      s += String.fromCharCode(c);
    }
  }
  return s;
}

const INT_RE = /^[+-]?(\d+|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+)$/;

/** A Python int literal as INT / LONG write it (optionally with LONG's trailing L). */
export function parseIntLiteral(text: string): bigint | null {
  const t = text.trim().replace(/L$/, '');
  if (!INT_RE.test(t)) return null;
  const neg = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  const v = BigInt(body);
  return neg ? -v : v;
}

const FLOAT_RE = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$/i;

export function parseFloatLiteral(text: string): number | null {
  const t = text.trim();
  if (!FLOAT_RE.test(t)) return null;
  const lower = t.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower.endsWith('nan')) return NaN;
  return Number(t);
}

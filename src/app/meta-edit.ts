import type { MetaValue } from '../formats/model';

/** The scalar GGUF types a person can give a key (arrays are kept or removed, not typed in). */
export const EDIT_TYPES = ['string', 'bool', 'u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f32', 'f64'] as const;
export type EditType = (typeof EDIT_TYPES)[number];

/** A value typed as text, as the given GGUF type; throws a sentence a person can act on. */
export function parseMetaInput(type: EditType, text: string): MetaValue {
  const t = text.trim();
  switch (type) {
    case 'string':
      return { type, value: text };
    case 'bool':
      if (/^(true|1|yes)$/i.test(t)) return { type, value: true };
      if (/^(false|0|no)$/i.test(t)) return { type, value: false };
      throw new Error('a bool is true or false');
    case 'u64':
    case 'i64': {
      if (!/^-?\d+$/.test(t)) throw new Error(`a ${type} is a whole number`);
      const v = BigInt(t);
      const [lo, hi] = type === 'u64' ? [0n, (1n << 64n) - 1n] : [-(1n << 63n), (1n << 63n) - 1n];
      if (v < lo || v > hi) throw new Error(`a ${type} is between ${lo} and ${hi}`);
      return { type, value: v };
    }
    case 'f32':
    case 'f64': {
      const v = Number(t);
      if (t === '' || Number.isNaN(v)) throw new Error(`a ${type} is a number such as 0.5 or 1e-6`);
      if (type === 'f32' && Number.isFinite(v) && !Number.isFinite(Math.fround(v))) throw new Error('too large for f32 (at most about 3.4e38)');
      return { type, value: v };
    }
    default: {
      if (!/^-?\d+$/.test(t)) throw new Error(`a ${type} is a whole number`);
      const v = Number(t);
      const bits = Number(type.slice(1));
      const [lo, hi] = type.startsWith('u') ? [0, 2 ** bits - 1] : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
      if (v < lo || v > hi) throw new Error(`a ${type} is between ${lo} and ${hi}`);
      return { type, value: v };
    }
  }
}

/** A scalar value as the text that parses back to it (arrays: null, they cannot be typed in). */
export function metaInputText(v: MetaValue): string | null {
  if (v.type === 'array') return null;
  return String(v.value);
}

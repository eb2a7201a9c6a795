import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TYPE_NAMES, TYPES, type TypeName } from '../../../src/codecs/catalogue';
import { CPU_CODECS } from '../../../src/codecs/registry';
import { validateRowData } from '../../../src/codecs/validate';

/**
 * ggml_validate_row_data's rules. The scale offsets come from ggml-common.h; to tie them to
 * something checked against ggml, each test puts a NaN or Inf into the field the validator reads
 * and asserts that Kiln's decoder (bit-exact with ggml on the golden vectors) then yields
 * non-finite values: the validator reads the scale the decoder multiplies by.
 */
const F16_NAN = 0x7e00;
const F16_INF = 0xfc00;

function randomBlocks(type: TypeName, blocks: number, seed: number): Uint8Array {
  const b = new Uint8Array(blocks * TYPES[type].typeSize);
  let s = seed >>> 0;
  for (let i = 0; i < b.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

/** f16 fields per block (offsets) of the types whose only checked fields are f16 scales. */
const HALF_FIELDS: Partial<Record<TypeName, number[]>> = {
  Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0], Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
  IQ2_XXS: [0], IQ2_XS: [0], IQ3_XXS: [0], IQ1_S: [0], IQ4_NL: [0], IQ3_S: [0], IQ2_S: [0], IQ4_XS: [0], TQ1_0: [52], TQ2_0: [64], Q1_0: [0], Q2_0: [0],
};

function setFinite(type: TypeName, b: Uint8Array, blocks: number): void {
  const v = new DataView(b.buffer);
  const ts = TYPES[type].typeSize;
  for (let k = 0; k < blocks; k++) for (const at of HALF_FIELDS[type] ?? []) v.setUint16(k * ts + at, 0x3c00 + (k % 7), true);
}

function decodesNonFinite(type: TypeName, b: Uint8Array): boolean {
  const out = new Float32Array((b.length / TYPES[type].typeSize) * TYPES[type].blockSize);
  CPU_CODECS[type].decode!(b, out);
  return out.some((x) => !Number.isFinite(x));
}

describe('validateRowData', () => {
  for (const [name, fields] of Object.entries(HALF_FIELDS)) {
    const type = name as TypeName;
    it(`${type}: finite scales pass; a NaN or Inf in any scale field fails, and the decoder sees it too`, () => {
      const b = randomBlocks(type, 5, 7);
      setFinite(type, b, 5);
      expect(validateRowData(type, b)).toBeNull();
      expect(decodesNonFinite(type, b)).toBe(false);
      const ts = TYPES[type].typeSize;
      for (const at of fields!) {
        for (const [bits, found] of [[F16_NAN, 'nan'], [F16_INF, 'inf']] as const) {
          const bad = b.slice();
          new DataView(bad.buffer).setUint16(3 * ts + at, bits, true);
          expect(validateRowData(type, bad)).toEqual({ found, index: 3, unit: 'block' });
          // a dmin of Inf times a zero min gives NaN; anything times Inf or NaN is non-finite
          expect(decodesNonFinite(type, bad)).toBe(true);
        }
      }
    });
  }

  it('IQ1_M: the f16 scale assembled from the top nibbles of the four scale words', () => {
    const type = 'IQ1_M';
    const ts = TYPES[type].typeSize;
    const b = randomBlocks(type, 4, 3);
    const v = new DataView(b.buffer);
    const put = (k: number, h: number) => {
      for (let j = 0; j < 4; j++) {
        const at = k * ts + 48 + 2 * j;
        v.setUint16(at, (v.getUint16(at, true) & 0x0fff) | (((h >> (4 * j)) & 0xf) << 12), true);
      }
    };
    for (let k = 0; k < 4; k++) put(k, 0x3c00);
    expect(validateRowData(type, b)).toBeNull();
    expect(decodesNonFinite(type, b)).toBe(false);
    put(2, F16_NAN);
    expect(validateRowData(type, b)).toEqual({ found: 'nan', index: 2, unit: 'block' });
    expect(decodesNonFinite(type, b)).toBe(true);
  });

  it('MXFP4: an E8M0 exponent of 0xFF fails; Q8_K: a non-finite float32 scale fails', () => {
    const mx = new Uint8Array(3 * 17);
    expect(validateRowData('MXFP4', mx)).toBeNull();
    mx[17] = 0xff;
    expect(validateRowData('MXFP4', mx)).toEqual({ found: 'invalid E8M0 exponent 0xFF', index: 1, unit: 'block' });
    const q8k = new Uint8Array(2 * 292);
    expect(validateRowData('Q8_K', q8k)).toBeNull();
    new DataView(q8k.buffer).setFloat32(292, -Infinity, true);
    expect(validateRowData('Q8_K', q8k)).toEqual({ found: 'inf', index: 1, unit: 'block' });
  });

  it('plain floats: the first NaN or Inf by element, at any byte offset', () => {
    const f32 = new Float32Array([1, -2, 3.4e38, NaN, Infinity]);
    const bytes = new Uint8Array(f32.buffer);
    expect(validateRowData('F32', bytes.subarray(0, 12))).toBeNull();
    expect(validateRowData('F32', bytes)).toEqual({ found: 'nan', index: 3, unit: 'element' });
    const odd = new Uint8Array(21);
    odd.set(bytes, 1);
    expect(validateRowData('F32', odd.subarray(1))).toEqual({ found: 'nan', index: 3, unit: 'element' });
    const h = new Uint8Array(new Uint16Array([0x3c00, 0x7bff, 0xfc00, 0x7e00]).buffer);
    expect(validateRowData('F16', h.subarray(0, 4))).toBeNull();
    expect(validateRowData('F16', h)).toEqual({ found: 'inf', index: 2, unit: 'element' });
    const bf = new Uint8Array(new Uint16Array([0x3f80, 0x7f7f, 0x7fc1, 0xff80]).buffer);
    expect(validateRowData('BF16', bf)).toEqual({ found: 'nan', index: 2, unit: 'element' });
    expect(validateRowData('F64', new Uint8Array(new Float64Array([0, -Infinity]).buffer))).toEqual({ found: 'inf', index: 1, unit: 'element' });
  });

  it('integers and NVFP4 are never checked; Q8_1 and types GGUF cannot hold are refused whole (float8 is checked value by value)', () => {
    for (const t of ['I8', 'I16', 'I32', 'I64', 'NVFP4'] as const) expect(validateRowData(t, new Uint8Array(TYPES[t].typeSize * 4).fill(0xff))).toBeNull();
    for (const t of TYPE_NAMES.filter((n) => n === 'Q8_1' || (TYPES[n].ggmlId === null && !n.startsWith('F8_')))) {
      expect(validateRowData(t, new Uint8Array(TYPES[t].typeSize)), t).toMatchObject({ found: 'a type ggml does not validate' });
    }
  });

  it('F16 and BF16: the first non-finite value of any row, at any offset, as a plain scan finds it', () => {
    fc.assert(
      fc.property(fc.constantFrom('F16', 'BF16'), fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }), fc.nat(3), (type, values, shift) => {
        const exp = type === 'F16' ? 0x7c00 : 0x7f80;
        const backing = new Uint8Array(values.length * 2 + 8);
        const bytes = backing.subarray(2 * shift, 2 * shift + values.length * 2);
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        values.forEach((h, i) => v.setUint16(i * 2, h, true));
        const first = values.findIndex((h) => (h & exp) === exp);
        const got = validateRowData(type, bytes);
        if (first < 0) expect(got).toBeNull();
        else expect(got).toMatchObject({ index: first, unit: 'element', found: (values[first]! & (type === 'F16' ? 0x3ff : 0x7f)) === 0 ? 'inf' : 'nan' });
      }),
      { numRuns: 3000 },
    );
  });
});

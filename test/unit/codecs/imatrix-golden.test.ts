import { describe, expect, it } from 'vitest';
import { TYPES, type TypeName } from '../../../src/codecs/catalogue';
import { CPU_CODECS } from '../../../src/codecs/registry';
import { fixtureBytes } from '../../support/fixtures';

/**
 * ggml_quantize_chunk(type, rows, imatrix = w) for 6 rows of 4096 (../shared/golden/imatrix,
 * copied gzipped): the TypeScript encoders with the same weights must give the same bytes.
 */
const N = 4096;
const ROWS = 6;
const input = new Float32Array(fixtureBytes('golden/imatrix/input.f32').buffer);
const weights = new Float32Array(fixtureBytes('golden/imatrix/imatrix.f32').buffer);

export const IMATRIX_GOLDEN_TYPES: TypeName[] = [
  'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_NL', 'IQ4_XS',
  'TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4', 'Q1_0', 'Q2_0', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_M', 'IQ2_XXS', 'IQ2_XS', 'IQ1_S',
];

/** Encoders not yet ported with weights. */
const PENDING = new Set<TypeName>([]);

function ggmlFile(t: TypeName): string {
  const lower = t.toLowerCase();
  return `golden/imatrix/${lower.endsWith('_k') ? `${lower.slice(0, -2)}_K` : lower}.quant.bin`;
}

/** Blocks that differ from ggml's, and the first of them. */
function mismatches(t: TypeName, got: Uint8Array, want: Uint8Array): { bad: number; first: number } {
  const ts = TYPES[t].typeSize;
  let bad = 0;
  let first = -1;
  for (let b = 0; b < want.length / ts; b++) {
    for (let k = 0; k < ts; k++) {
      if (got[b * ts + k] !== want[b * ts + k]) {
        bad++;
        if (first < 0) first = b;
        break;
      }
    }
  }
  return { bad, first };
}

describe('encoders with an importance matrix: bit-exact with ggml (golden/imatrix)', () => {
  for (const t of IMATRIX_GOLDEN_TYPES) {
    it.skipIf(PENDING.has(t))(t, () => {
      const want = fixtureBytes(ggmlFile(t));
      const enc = CPU_CODECS[t].encode;
      expect(enc, `${t} has an encoder`).not.toBeNull();
      const got = new Uint8Array(want.length);
      enc!(input, got, weights);
      const { bad, first } = mismatches(t, got, want);
      expect(bad, `${t}: ${bad} of ${want.length / TYPES[t].typeSize} blocks differ, first at block ${first} (row ${Math.floor((first * TYPES[t].blockSize) / N)})`).toBe(0);
    });
  }

  it('rows encode independently (a chunk of one row gives the same bytes)', () => {
    const t: TypeName = 'Q4_K';
    const all = new Uint8Array((ROWS * N / 256) * 144);
    CPU_CODECS[t].encode!(input, all, weights);
    const one = new Uint8Array((N / 256) * 144);
    CPU_CODECS[t].encode!(input.subarray(2 * N, 3 * N), one, weights);
    expect(one).toEqual(all.subarray(2 * one.length, 3 * one.length));
  });
});

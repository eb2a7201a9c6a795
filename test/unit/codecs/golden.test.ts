import { describe, expect, it } from 'vitest';
import { TYPES } from '../../../src/codecs/catalogue';
import { CPU_CODECS } from '../../../src/codecs/registry';
import { blockMismatches, decodeOnlyTypes, encodeTypes, floatMismatches, goldenDecode, goldenEncode } from '../../support/golden';

/**
 * The CPU twins against ggml itself: every golden vector, bit for bit. A failure lists the
 * first differing blocks so the cause can be found without a debugger.
 */
describe('CPU decoders reproduce ggml to_float', () => {
  for (const type of decodeOnlyTypes()) {
    it(`${type}: random valid blocks (dequant_only)`, () => {
      const decode = CPU_CODECS[type].decode;
      expect(decode, `${type} has no CPU decoder`).not.toBeNull();
      const g = goldenDecode(type);
      const out = new Float32Array(g.dequant.length);
      decode!(g.blocks, out);
      const bad = floatMismatches(out, g.dequant);
      expect(bad.slice(0, 8).map((i) => `[${i}] got ${out[i]} want ${g.dequant[i]}`), `${bad.length} mismatches`).toEqual([]);
    });
  }
  for (const type of encodeTypes()) {
    it(`${type}: ggml's own quantized rows`, () => {
      const decode = CPU_CODECS[type].decode;
      expect(decode, `${type} has no CPU decoder`).not.toBeNull();
      const g = goldenEncode(type);
      const out = new Float32Array(g.dequant.length);
      decode!(g.quant, out);
      const bad = floatMismatches(out, g.dequant);
      expect(bad.slice(0, 8).map((i) => `[${i}] got ${out[i]} want ${g.dequant[i]}`), `${bad.length} mismatches`).toEqual([]);
    });
  }
});

describe('CPU encoders reproduce ggml_quantize_chunk (no imatrix)', () => {
  for (const type of encodeTypes()) {
    it(`${type}: 24 rows x 4096`, () => {
      const encode = CPU_CODECS[type].encode;
      expect(encode, `${type} has no CPU encoder`).not.toBeNull();
      const g = goldenEncode(type);
      const out = new Uint8Array(g.quant.length);
      encode!(g.input.subarray(0, g.nrows * 4096), out);
      const bad = blockMismatches(out, g.quant, TYPES[type].typeSize);
      expect(bad.slice(0, 8), `${bad.length} of ${g.quant.length / TYPES[type].typeSize} blocks differ`).toEqual([]);
    });
  }
});

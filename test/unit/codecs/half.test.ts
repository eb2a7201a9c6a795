import { describe, expect, it } from 'vitest';
import { fixtureU16, fixtureU32 } from '../../support/fixtures';
import { bf16ToF32Bits, f16ToF32Bits, f32BitsToBf16, f32BitsToF16 } from '../../../src/codecs/half';

const hex = (n: number, w: number) => '0x' + n.toString(16).padStart(w, '0');

function mismatches(input: Uint32Array, expected: Uint16Array, f: (w: number) => number): string[] {
  const bad: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const got = f(input[i]!);
    if (got !== expected[i]) bad.push(`#${i} ${hex(input[i]!, 8)}: got ${hex(got, 4)} want ${hex(expected[i]!, 4)}`);
  }
  return bad;
}

describe('f32 -> f16 / bf16 (ggml golden fpconv, 8192 patterns)', () => {
  const input = fixtureU32('golden/fpconv/input.f32');
  it('f16 matches ggml_fp32_to_fp16_row bit for bit', () => {
    expect(mismatches(input, fixtureU16('golden/fpconv/f16.bin'), f32BitsToF16).slice(0, 10)).toEqual([]);
  });
  it('bf16 matches ggml_fp32_to_bf16_row_ref bit for bit', () => {
    expect(mismatches(input, fixtureU16('golden/fpconv/bf16.bin'), f32BitsToBf16).slice(0, 10)).toEqual([]);
  });
});

describe('f16 / bf16 -> f32 (ggml golden dequant_only, all 65536 patterns)', () => {
  const patterns = fixtureU16('golden/dequant_only/f16.blocks.bin');
  it('f16 decodes like ggml to_float (signalling NaNs come out quiet)', () => {
    const want = fixtureU32('golden/dequant_only/f16.dequant.f32');
    const bad: string[] = [];
    for (let i = 0; i < patterns.length; i++) {
      const got = f16ToF32Bits(patterns[i]!);
      if (got !== want[i]) bad.push(`${hex(patterns[i]!, 4)}: got ${hex(got, 8)} want ${hex(want[i]!, 8)}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });
  it('bf16 decodes like ggml to_float', () => {
    const want = fixtureU32('golden/dequant_only/bf16.dequant.f32');
    const b = fixtureU16('golden/dequant_only/bf16.blocks.bin');
    const bad: number[] = [];
    for (let i = 0; i < b.length; i++) if (bf16ToF32Bits(b[i]!) !== want[i]) bad.push(i);
    expect(bad).toEqual([]);
  });
});

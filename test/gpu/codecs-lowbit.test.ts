import { describe, it } from 'vitest';
import { describeChunkedEqualsWhole, expectGoldenDecode, expectGoldenEncode, useHarness } from '../support/gpu-suite';

/**
 * TQ1_0, TQ2_0, MXFP4 and NVFP4 kernels on real WebGPU (SwiftShader here) against ggml's golden
 * vectors (decode: dequant_only blocks and ggml's quantized rows; encode: all 24 input rows) and
 * against the CPU twins, bit for bit.
 */
const s = useHarness();

const TYPES = ['TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4'];

describe.each(TYPES)('%s', (type) => {
  for (const source of ['dequant_only', 'quantized'] as const) {
    it(`decodes ggml's ${source} blocks exactly`, () => expectGoldenDecode(s, type, source));
  }
  it('encodes the 24 golden rows exactly as ggml_quantize_chunk', () =>
    expectGoldenEncode(s, type, { TQ1_0: 256, TQ2_0: 256, MXFP4: 32, NVFP4: 64 }[type]!));
});

describeChunkedEqualsWhole(
  s,
  'chunked conversion equals whole',
  [
    ['F32', 'TQ1_0', 256 * 37, 256 * 5],
    ['TQ2_0', 'MXFP4', 256 * 21, 256 * 3],
    ['F32', 'MXFP4', 32 * 1001, 32 * 77],
    ['NVFP4', 'TQ1_0', 256 * 13, 256 * 7],
  ],
  11,
);

import { expect, it } from 'vitest';
import { TYPES } from '../../../src/codecs/catalogue';
import { USES_WEIGHTS } from '../../../src/codecs/weighted';
import { WASM_ENCODE_TYPES, wasmEncoder } from '../../../src/codecs/wasm-codecs';
import { fixtureBytes } from '../../support/fixtures';

/**
 * The wasm encoders of the types whose ggml quantizer ignores the importance matrix (of those with
 * a wasm encoder, Q8_0): their plain encoder gives ggml_quantize_chunk(imatrix)'s golden bytes.
 */
it('wasm types that ignore the weights give the golden imatrix bytes unweighted', () => {
  const input = new Float32Array(fixtureBytes('golden/imatrix/input.f32').buffer);
  const ignoring = WASM_ENCODE_TYPES.filter((t) => !USES_WEIGHTS.has(t));
  expect(ignoring).toContain('Q8_0');
  for (const t of ignoring) {
    const want = fixtureBytes(`golden/imatrix/${t.toLowerCase()}.quant.bin`);
    const got = new Uint8Array((input.length / TYPES[t].blockSize) * TYPES[t].typeSize);
    wasmEncoder(t)!(input, got);
    expect(Buffer.from(got).equals(Buffer.from(want)), `${t}`).toBe(true);
  }
});

import { TYPES } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import { toName } from './common';
import { fetchFixture } from './fixtures';
import type { HarnessEnv } from './main';

/**
 * Page-side helpers for the GPU encoders with an importance matrix: ggml_quantize_chunk's golden
 * imatrix rows (6 rows of 4096 with their weights) encoded by the weighted kernel, compared block
 * by block with ggml's bytes and with the CPU twin's.
 */
function badBlocks(got: Uint8Array, want: Uint8Array, ts: number): { bad: number; first: number } {
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

export const harnessExt = {
  async imatrixGolden(env: HarnessEnv, typeName: string, file: string) {
    const type = toName(typeName);
    const { tx } = await env();
    const input = await fetchFixture('golden/imatrix/input.f32');
    const weights = new Float32Array((await fetchFixture('golden/imatrix/imatrix.f32')).buffer);
    const want = await fetchFixture(`golden/imatrix/${file}`);
    const x = new Float32Array(input.buffer, input.byteOffset, input.length / 4);
    const got = await tx.run('F32', type, input, x.length, undefined, weights);
    const twin = new Uint8Array(want.length);
    CPU_CODECS[type].encode!(x, twin, weights);
    const ts = TYPES[type].typeSize;
    return { blocks: want.length / ts, vsGgml: badBlocks(got, want, ts), vsTwin: badBlocks(got, twin, ts) };
  },
};

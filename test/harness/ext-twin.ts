import { TYPES, isTypeName } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import { readGguf } from '../../src/formats/gguf/reader';
import { MemorySource } from '../../src/io/byte-source';
import { kernelFor } from '../../src/gpu/codec-runner';
import { fetchFixture } from './fixtures';
import type { HarnessEnv } from './main';

/**
 * GPU encoders against their CPU twins on real model weights: the tiny llama's tensors (BF16-exact
 * values, so products hit exact rounding ties far more often than ggml's random golden rows).
 */
let weights: Promise<Float32Array[]> | null = null;
function tinyLlamaWeights(): Promise<Float32Array[]> {
  weights ??= (async () => {
    const bytes = await fetchFixture('gguf/tiny-llama-F16.gguf');
    const view = await readGguf([new MemorySource('tiny-llama-F16.gguf', bytes)]);
    const out: Float32Array[] = [];
    for (const t of view.tensors) {
      if (t.shape.length < 2) continue;
      const f = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      CPU_CODECS[t.type!].decode!(await t.read(0, t.nbytes), f);
      out.push(f);
    }
    return out;
  })();
  return weights;
}

export const harnessExt = {
  /**
   * Per tensor of the tiny llama: blocks where the GPU encoder differs from the CPU twin. The
   * first `limit` elements of each 2-D tensor are used (default all), since the search encoders
   * are slow on a software adapter.
   */
  async twinOnTinyLlama(env: HarnessEnv, typeName: unknown, limit: unknown): Promise<{ type: string; blocks: number; mismatches: number; first: string[] } | { skipped: string }> {
    const type = String(typeName);
    if (!isTypeName(type)) throw new Error(`unknown type ${type}`);
    const k = kernelFor(type, 'encode');
    const enc = CPU_CODECS[type].encode;
    if (k === null || k === 'identity' || enc === null) return { skipped: `${type}: no GPU encoder or no CPU twin` };
    const { tx } = await env();
    const info = TYPES[type];
    let blocks = 0;
    let mismatches = 0;
    const first: string[] = [];
    for (const [i, whole] of (await tinyLlamaWeights()).entries()) {
      const cap = typeof limit === 'number' ? Math.floor(limit / info.blockSize / 8) * info.blockSize * 8 : whole.length;
      const w = whole.subarray(0, Math.min(whole.length, cap));
      const gpu = await tx.run('F32', type, new Uint8Array(w.buffer, w.byteOffset, w.byteLength), w.length);
      const cpu = new Uint8Array((w.length / info.blockSize) * info.typeSize);
      enc(w, cpu);
      const n = cpu.length / info.typeSize;
      blocks += n;
      for (let b = 0; b < n; b++) {
        for (let j = b * info.typeSize; j < (b + 1) * info.typeSize; j++) {
          if (gpu[j] !== cpu[j]) {
            mismatches++;
            if (first.length < 5) first.push(`tensor ${i} block ${b} byte ${j - b * info.typeSize}: gpu ${gpu[j]} cpu ${cpu[j]}`);
            break;
          }
        }
      }
    }
    return { type, blocks, mismatches, first };
  },
};

import { planGguf, writeGguf } from '../../src/formats/gguf/writer';
import type { Metadata } from '../../src/formats/model';
import { NodeFileSink } from '../../src/io/node/file-sink';

/**
 * A llama-shaped F32 GGUF of `tensors` matrices [rows, cols] with pseudo-random values, written
 * straight to `path` (tests of the command line's output side need files from a few MB to a few
 * hundred MB, made in a fraction of a second, without holding them in memory).
 */
export async function writeF32Gguf(path: string, tensors: number, rows: number, cols: number): Promise<number> {
  const metadata: Metadata = new Map([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'kiln-test' }],
    ['llama.block_count', { type: 'u32', value: tensors }],
    ['llama.context_length', { type: 'u32', value: 256 }],
    ['llama.embedding_length', { type: 'u32', value: cols }],
    ['llama.feed_forward_length', { type: 'u32', value: rows }],
    ['llama.attention.head_count', { type: 'u32', value: 4 }],
  ]);
  const names = Array.from({ length: tensors }, (_, i) => `blk.${i}.ffn_up.weight`);
  const plan = planGguf({ metadata, tensors: names.map((name) => ({ name, type: 'F32' as const, shape: [rows, cols] })) });
  const w = await writeGguf(plan, await NodeFileSink.create(path));
  const row = new Float32Array(cols);
  let x = 12345;
  for (let t = 0; t < tensors; t++) {
    // one row pattern per tensor, repeated: data need not be varied, only not all equal
    for (let i = 0; i < cols; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      row[i] = (x / 2 ** 32 - 0.5) * 2;
    }
    const chunk = new Float32Array(cols * Math.min(rows, 256));
    for (let r = 0; r < chunk.length / cols; r++) chunk.set(row, r * cols);
    for (let r = 0; r < rows; r += 256) {
      const n = Math.min(256, rows - r);
      await w.write(new Uint8Array(chunk.buffer, 0, n * cols * 4));
    }
  }
  await w.finish();
  return plan.totalSize;
}

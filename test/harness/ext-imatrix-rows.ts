import { TYPES } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import { readGguf } from '../../src/formats/gguf/reader';
import { imatrixWeights } from '../../src/formats/imatrix/imatrix';
import { readImatrix } from '../../src/formats/imatrix/reader';
import { MemorySource } from '../../src/io/byte-source';
import { toName } from './common';
import { fetchFixture } from './fixtures';
import type { HarnessEnv } from './main';

/**
 * Page-side helper for golden/imatrix-rows: a few whole rows of the tiny llama with their
 * importance weights where the weighted kernels once chose another try than ggml. Each row is
 * encoded alone (its sigma2 is the whole row's), by the GPU and by the CPU twin, and compared
 * block by block; where the fixture holds llama-quantize's bytes for this type, with those too.
 * And the whole tiny llama with its importance matrix, every weighted tensor, GPU vs twin.
 */
interface RowCase {
  type: string;
  tensor: string;
  row: number;
  x: string;
  weights: string;
  ggml: string;
}

interface Mismatch {
  bad: number;
  first: number;
  got?: string;
  want?: string;
}

const hex = (u: Uint8Array) => [...u].map((v) => v.toString(16).padStart(2, '0')).join('');

function compare(got: Uint8Array, want: Uint8Array, ts: number): Mismatch {
  let bad = 0;
  let first = -1;
  for (let b = 0; b < want.length / ts; b++) {
    if (!got.subarray(b * ts, b * ts + ts).every((v, k) => v === want[b * ts + k])) {
      bad++;
      if (first < 0) first = b;
    }
  }
  if (bad === 0) return { bad, first };
  return { bad, first, got: hex(got.subarray(first * ts, first * ts + ts)), want: hex(want.subarray(first * ts, first * ts + ts)) };
}

const f32 = (u: Uint8Array) => new Float32Array(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength));

export const harnessExt = {
  /** Every fixture row encoded to `typeName` with its weights: per row, GPU vs twin (and vs ggml). */
  async imatrixRowsVsTwin(env: HarnessEnv, typeName: string) {
    const type = toName(typeName);
    const { tx } = await env();
    const { cases } = JSON.parse(new TextDecoder().decode(await fetchFixture('golden/imatrix-rows/cases.json'))) as { cases: RowCase[] };
    const ts = TYPES[type].typeSize;
    const rows = [];
    for (const c of cases) {
      const x = f32(await fetchFixture(`golden/imatrix-rows/${c.x}`));
      const w = f32(await fetchFixture(`golden/imatrix-rows/${c.weights}`));
      const twin = new Uint8Array((x.length / TYPES[type].blockSize) * ts);
      CPU_CODECS[type].encode!(x, twin, w);
      const got = await tx.run('F32', type, new Uint8Array(x.buffer), x.length, undefined, w);
      const row: { row: string; blocks: number; vsTwin: Mismatch; vsGgml?: Mismatch } = {
        row: `${c.tensor} row ${c.row}`,
        blocks: twin.length / ts,
        vsTwin: compare(got, twin, ts),
      };
      if (c.type === type) row.vsGgml = compare(got, await fetchFixture(`golden/imatrix-rows/${c.ggml}`), ts);
      rows.push(row);
    }
    return rows;
  },
  /**
   * Every tensor of the tiny llama that its importance matrix covers (the first `maxRows` rows of
   * each, all when null), encoded to `typeName` with its weights by the GPU and by the CPU twin:
   * the blocks that differ, and the first few as tensor / row / block.
   */
  async imatrixTinyLlamaVsTwin(env: HarnessEnv, typeName: string, maxRows: number | null) {
    const type = toName(typeName);
    const { tx } = await env();
    const model = await readGguf([new MemorySource('tiny-llama-F16.gguf', await fetchFixture('gguf/tiny-llama-F16.gguf'))]);
    const im = imatrixWeights(await readImatrix(new MemorySource('tiny-llama.imatrix.gguf', await fetchFixture('imatrix/tiny-llama.imatrix.gguf'))));
    const { blockSize, typeSize: ts } = TYPES[type];
    let tensors = 0;
    let blocks = 0;
    let bad = 0;
    const first: string[] = [];
    for (const t of model.tensors) {
      const w = im.get(t.name);
      if (w === undefined || t.shape.length < 2) continue;
      const all = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      CPU_CODECS[t.type!].decode!(await t.read(0, t.nbytes), all);
      const rows = Math.min(all.length / w.length, maxRows ?? Infinity);
      const x = all.subarray(0, rows * w.length);
      const twin = new Uint8Array((x.length / blockSize) * ts);
      CPU_CODECS[type].encode!(x, twin, w);
      const got = await tx.run('F32', type, new Uint8Array(x.buffer, x.byteOffset, x.byteLength), x.length, undefined, w);
      const m = compare(got, twin, ts);
      tensors++;
      blocks += twin.length / ts;
      bad += m.bad;
      if (m.bad > 0 && first.length < 5) {
        const perRow = w.length / blockSize;
        first.push(`${t.name} row ${Math.floor(m.first / perRow)} block ${m.first % perRow}: gpu ${m.got} twin ${m.want}`);
      }
    }
    return { tensors, blocks, bad, first };
  },
};

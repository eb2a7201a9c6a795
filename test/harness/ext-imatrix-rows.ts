import { TYPES } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import { toName } from './common';
import { fetchFixture } from './fixtures';
import type { HarnessEnv } from './main';

/**
 * Page-side helper for golden/imatrix-rows: a few whole rows of the tiny llama with their
 * importance weights where the weighted kernels once chose another try than ggml. Each row is
 * encoded alone (its sigma2 is the whole row's), by the GPU and by the CPU twin, and compared
 * block by block; where the fixture holds llama-quantize's bytes for this type, with those too.
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
};

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TensorInfo } from '../../../src/formats/model';
import { firstRows, PermutedRowsTensor, permutedSourceRow, ShiftedTensor, StackedTensor, WidenedTensor } from '../../../src/formats/hf/tensors';

/** A tensor over bytes in memory that counts its reads (to check memory stays per chunk). */
function memTensor(type: 'BF16' | 'F16' | 'F32', shape: number[], bytes: Uint8Array, reads: number[] = []): TensorInfo {
  return {
    name: 't',
    type,
    typeLabel: type,
    shape,
    nbytes: bytes.length,
    file: 'mem',
    fileOffset: 0,
    read: async (o, l) => {
      reads.push(l);
      return bytes.slice(o, o + l);
    },
  };
}

/** LlamaModel.permute written as numpy does it: reshape(H, 2, R/H/2, C).swapaxes(1, 2).reshape(R, C). */
function permuteReference(rows: number, rowBytes: number, heads: number, src: Uint8Array): Uint8Array {
  const half = rows / heads / 2;
  const out = new Uint8Array(src.length);
  let o = 0;
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < half; i++)
      for (let two = 0; two < 2; two++) {
        const s = (h * 2 * half + two * half + i) * rowBytes;
        out.set(src.subarray(s, s + rowBytes), o);
        o += rowBytes;
      }
  return out;
}

describe('q/k permutation per read', () => {
  it('maps rows as the reference for GQA shapes (tiny llama: q 4 heads, k 2 heads of 64 rows)', () => {
    expect(permutedSourceRow(0, 64)).toBe(0);
    expect(permutedSourceRow(1, 64)).toBe(32);
    expect(permutedSourceRow(2, 64)).toBe(1);
    expect(permutedSourceRow(63, 64)).toBe(63);
    expect(permutedSourceRow(64, 64)).toBe(64);
    expect(permutedSourceRow(65, 64)).toBe(96);
  });

  it('any byte range of the permuted tensor equals the same range of the reference permutation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(),
        fc.nat(),
        async (heads, halfRows, cols, a, b) => {
          const rows = heads * 2 * halfRows;
          const rowBytes = cols * 2;
          const src = Uint8Array.from({ length: rows * rowBytes }, (_, i) => (i * 7 + 3) & 255);
          const want = permuteReference(rows, rowBytes, heads, src);
          const reads: number[] = [];
          const t = new PermutedRowsTensor('t', memTensor('BF16', [rows, cols], src, reads), heads);
          const lo = a % (src.length + 1);
          const len = b % (src.length - lo + 1);
          expect(await t.read(lo, len)).toEqual(want.subarray(lo, lo + len));
          // one source read per chunk, at most one head of rows beyond the chunk
          if (len > 0) {
            expect(reads.length).toBe(1);
            expect(reads[0]!).toBeLessThanOrEqual(len + 2 * rowBytes + 2 * halfRows * rowBytes);
          }
        },
      ),
    );
  });
});

describe('widening to F32 per read', () => {
  it('BF16 and F16 become their exact F32 values for any aligned or unaligned range', async () => {
    const bf = new Uint8Array([0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40]); // 1, -2, 3.140625
    const w = new WidenedTensor('n', memTensor('BF16', [3], bf));
    expect(w.nbytes).toBe(12);
    expect(w.type).toBe('F32');
    const all = await w.read(0, 12);
    expect([...new Float32Array(all.slice().buffer)]).toEqual([1, -2, 3.140625]);
    expect(await w.read(3, 6)).toEqual(all.subarray(3, 9));
    const h = new WidenedTensor('n', memTensor('F16', [2], new Uint8Array([0x00, 0x3c, 0x00, 0xb8])));
    expect([...new Float32Array((await h.read(0, 8)).slice().buffer)]).toEqual([1, -0.5]);
  });
});

describe('StackedTensor (MoE experts on a new first axis)', () => {
  it('any range equals the concatenation, and each expert is read only for the bytes asked of it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.nat(), fc.nat(), async (n, each, a0, b0) => {
        const parts = Array.from({ length: n }, (_, x) => Uint8Array.from({ length: each }, (_, i) => (x * 37 + i * 11) & 0xff));
        const reads: number[] = [];
        const t = new StackedTensor('s', parts.map((p) => memTensor('F32', [each], p, reads)));
        const all = new Uint8Array(n * each);
        parts.forEach((p, x) => all.set(p, x * each));
        const a = a0 % (all.length + 1);
        const len = b0 % (all.length - a + 1);
        expect([...(await t.read(a, len))]).toEqual([...all.subarray(a, a + len)]);
        expect(reads.reduce((x, y) => x + y, 0)).toBe(len);
      }),
    );
  });

  it('shape [experts, ...expert shape]', () => {
    const t = new StackedTensor('s', [memTensor('F16', [3, 2], new Uint8Array(12)), memTensor('F16', [3, 2], new Uint8Array(12))]);
    expect([t.shape, t.nbytes, t.type]).toEqual([[2, 3, 2], 24, 'F16']);
  });
});

describe('ShiftedTensor (gemma norm + 1) and firstRows', () => {
  it('F32 source: float32 sum, any byte range', async () => {
    const src = new Float32Array([0.1, -0.5, 1e-8, 3.25, -1]);
    const t = new ShiftedTensor('n', memTensor('F32', [5], new Uint8Array(src.buffer)), 1);
    const whole = await t.read(0, 20);
    expect([...new Float32Array(whole.slice().buffer)]).toEqual([...src].map((x) => Math.fround(x + 1)));
    expect([...(await t.read(3, 9))]).toEqual([...whole.subarray(3, 12)]);
  });

  it('firstRows keeps the leading rows', async () => {
    const bytes = Uint8Array.from({ length: 24 }, (_, i) => i);
    const t = firstRows('e', memTensor('F16', [4, 3], bytes), 2);
    expect([t.shape, t.nbytes]).toEqual([[2, 3], 12]);
    expect([...(await t.read(2, 10))]).toEqual([...bytes.subarray(2, 12)]);
    await expect(t.read(10, 4)).rejects.toThrow(RangeError);
  });
});


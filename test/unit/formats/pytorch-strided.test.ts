/**
 * Strided views whose source spans more than one gather window (64 MiB): a transposed 128 MiB
 * matrix over a synthetic storage whose every byte is a known function of its offset, so the
 * expected canonical bytes are computed by formula here, not by the reader.
 */
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../../src/io/byte-source';
import { checkRange } from '../../../src/io/byte-source';
import { GATHER_BATCH, gather, isContiguous, MAX_GATHER_SPAN } from '../../../src/formats/pytorch/strided';

const byteAt = (i: number): number => (Math.imul(i, 0x9e3779b1) >>> 24) & 0xff;

class PatternSource implements ByteSource {
  readonly name = 'pattern';
  reads = 0;
  constructor(readonly size: number) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    this.reads++;
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = byteAt(offset + i);
    return out;
  }
}

describe('strided gather', () => {
  const R = 4096;
  const C = 8192; // A is [R, C] float32, 128 MiB
  const src = new PatternSource(R * C * 4);
  const view = { itemSize: 4, offset: 0, shape: [C, R], stride: [1, C] }; // A.t()

  function expectedElements(e0: number, e1: number): Uint8Array {
    const out = new Uint8Array((e1 - e0) * 4);
    for (let e = e0; e < e1; e++) {
      const i = Math.floor(e / R);
      const j = e % R;
      const s = (j * C + i) * 4; // A.t()[i, j] = A[j, i]
      for (let k = 0; k < 4; k++) out[(e - e0) * 4 + k] = byteAt(s + k);
    }
    return out;
  }

  it('knows contiguity', () => {
    expect(isContiguous([C, R], [1, C])).toBe(false);
    expect(isContiguous([R, C], [C, 1])).toBe(true);
    expect(isContiguous([3, 1, 4], [4, 99, 1])).toBe(true);
    expect(isContiguous([0, 5], [7, 3])).toBe(true);
    expect(isContiguous([], [])).toBe(true);
  });

  it('a row of the transpose spans 128 MiB and is swept in windows', async () => {
    expect(src.size).toBeGreaterThan(MAX_GATHER_SPAN);
    const before = src.reads;
    const got = await gather(src, view, 5 * R + 3, 6 * R + 10); // crosses a row boundary
    expect(Buffer.from(got).equals(expectedElements(5 * R + 3, 6 * R + 10))).toBe(true);
    expect(src.reads - before).toBe(2); // 128 MiB span / 64 MiB windows
  });

  it('more than one batch of elements', async () => {
    const e0 = 17;
    const e1 = e0 + GATHER_BATCH + 1000;
    const got = await gather(src, view, e0, e1);
    expect(Buffer.from(got).equals(expectedElements(e0, e1))).toBe(true);
  }, 120_000);

  it('stride-0 (expanded) and offset views', async () => {
    const small = new PatternSource(64);
    const got = await gather(small, { itemSize: 2, offset: 3, shape: [3, 4], stride: [1, 0] }, 0, 12);
    const want = new Uint8Array(24);
    for (let e = 0; e < 12; e++) {
      const s = (3 + Math.floor(e / 4)) * 2;
      want[e * 2] = byteAt(s);
      want[e * 2 + 1] = byteAt(s + 1);
    }
    expect(got).toEqual(want);
  });
});

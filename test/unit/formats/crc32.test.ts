import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, crc32Update } from '../../../src/formats/zip/crc32';

/** CRC-32 against zlib's (an independent implementation), at every alignment and split point. */
describe('crc32', () => {
  it('equals zlib on random bytes at any offset, length and split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat(7), fc.nat(300), (raw, shift, cut) => {
        const backing = new Uint8Array(raw.length + 8);
        backing.set(raw, shift);
        const view = backing.subarray(shift, shift + raw.length);
        const want = zlibCrc32(raw);
        expect(crc32(view)).toBe(want);
        const k = Math.min(cut, view.length);
        expect(crc32Update(crc32Update(0, view.subarray(0, k)), view.subarray(k))).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('equals zlib on 4 MiB in uneven pieces', () => {
    const big = new Uint8Array(4 << 20);
    for (let i = 0; i < big.length; i++) big[i] = Math.imul(i, 2654435761) >>> 13;
    let c = 0;
    for (let o = 0, step = 1; o < big.length; o += step, step = (step * 7 + 13) % 100_003) c = crc32Update(c, big.subarray(o, Math.min(big.length, o + step)));
    expect(c).toBe(zlibCrc32(big));
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

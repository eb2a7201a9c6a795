import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { int64ToF32Exact } from '../../src/codecs/plain';
import { bigToF32 } from '../support/big-f32';
import { useHarness } from '../support/gpu-suite';

/**
 * The plain-dtype decoders (shaders/plain.wgsl) on real WebGPU (SwiftShader here) against the
 * CPU twin: every byte pattern of the 8-bit types, seeded random values plus extremes and
 * rounding ties of the wider ones. The 64-bit integers are also checked against an exact BigInt
 * rounding in the page, and the twin's int64 rounding against the same reference here.
 */

describe('CPU twin: 64-bit integers round to float32 once (int64ToF32Exact)', () => {
  const check = (v: bigint, signed: boolean) => {
    const u = BigInt.asUintN(64, v);
    const lo = Number(u & 0xffffffffn);
    const hiU = Number(u >> 32n);
    const hi = signed ? hiU | 0 : hiU;
    expect(Math.fround(int64ToF32Exact(hi, lo))).toBe(bigToF32(signed ? BigInt.asIntN(64, v) : u));
  };
  it('ties and near-ties where converting through a double rounds twice', () => {
    // 2^53 + 2^29 + 1: a double rounds it down to the f32 tie 2^53 + 2^29, which then goes to even
    check(2n ** 53n + 2n ** 29n + 1n, false);
    expect(Math.fround(Number(2n ** 53n + 2n ** 29n + 1n))).not.toBe(bigToF32(2n ** 53n + 2n ** 29n + 1n));
    for (const v of [0n, 1n, 2n ** 24n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n, 2n ** 63n + 2n ** 39n, 2n ** 63n + 2n ** 39n + 1n]) check(v, false);
    for (const v of [-1n, -(2n ** 63n), -(2n ** 53n) - 2n ** 29n - 1n, -(2n ** 21n) * 2n ** 32n, 2n ** 21n * 2n ** 32n - 1n]) check(v, true);
  });
  it('any 64-bit pattern, signed and unsigned (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 63 }), (v, shift) => {
        check(v >> BigInt(shift), false);
        check(v >> BigInt(shift), true);
      }),
      { numRuns: 20000 },
    );
  });
});

const s = useHarness();

describe('plain decode kernels vs the CPU twin', () => {
  const cases: [string, number][] = [
    ['F8_E4M3', 256 * 9 + 3],
    ['F8_E5M2', 256 * 9 + 1],
    ['I8', 4097],
    ['U8', 4099],
    ['BOOL', 1023],
    ['I16', 100_001],
    ['U16', 100_003],
    ['I32', 100_000],
    ['U32', 99_999],
    ['I64', 50_001],
    ['U64', 50_000],
    ['F64', 100_001],
  ];
  for (const [t, n] of cases) {
    it(`${t}: ${n} values identical`, async () => {
      const r = (await s.page.evaluate((a, b) => window.harnessExt.plainCompare!(a, b, 2024), t, n)) as {
        vsRef: number | null;
        nans: number;
      };
      expect(r).toMatchObject({ n, vsTwin: 0, first: [] });
      if (t === 'I64' || t === 'U64') expect(r.vsRef).toBe(0);
      // the byte types cycle through all 256 patterns: E4M3 has 2 NaNs (S.1111.111), E5M2 6
      if (t === 'F8_E4M3') expect(r.nans).toBe(2 * 9);
      if (t === 'F8_E5M2') expect(r.nans).toBe(6 * 9);
      if (t === 'F64') expect(r.nans).toBeGreaterThan(0);
    });
  }
});

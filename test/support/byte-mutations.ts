import fc from 'fast-check';
import { expect } from 'vitest';
import type { ByteSource } from '../../src/io/byte-source';

/**
 * Mutation properties for the format readers (test/unit/formats/*-props.test.ts): a valid file
 * with a few bytes changed, a cut and an appended tail must parse or fail with a FormatError,
 * within a time bound per case.
 */

export type Mutation = { edits: [number, number][]; cut: number | null; append: Uint8Array | null };

/** 1..maxEdits byte edits; sometimes a cut (1 in 5), sometimes an appended tail (1 in 7). */
export function byteMutation(maxEdits: number): fc.Arbitrary<Mutation> {
  return fc.record({
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: maxEdits }),
    cut: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
    append: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  });
}

/** Applies m to a copy of b; edit positions wrap around b, and `keep` protects positions from edits. */
export function mutate(b: Uint8Array, m: Mutation, keep?: (p: number) => boolean): Uint8Array {
  let out = b.slice();
  for (const [p, v] of m.edits) {
    const at = p % out.length;
    if (!keep || !keep(at)) out[at] = v;
  }
  if (m.cut !== null) out = out.subarray(0, m.cut % (out.length + 1));
  if (m.append !== null) out = new Uint8Array([...out, ...m.append]);
  return out;
}

export type Outcome = 'parsed' | 'format-error';

export interface MutationRunner {
  /** Runs `runs` seeded cases of `make` (files built from one mutation) and adds a line to `stats`. */
  (name: string, runs: number, make: (m: Mutation) => ByteSource[], arb?: fc.Arbitrary<unknown>): Promise<void>;
}

/** `outcome` reads the files and says how that went (anything but a FormatError it throws). */
export function mutationRunner(outcome: (files: ByteSource[]) => Promise<Outcome>, caseMs: number, stats: string[], defaultArb: fc.Arbitrary<unknown>): MutationRunner {
  return async (name, runs, make, arb = defaultArb) => {
    const counts = { parsed: 0, 'format-error': 0 };
    let slowest = 0;
    const t0 = performance.now();
    await fc.assert(
      fc.asyncProperty(arb, async (m) => {
        const s = performance.now();
        counts[await outcome(make(m as Mutation))]++;
        const ms = performance.now() - s;
        slowest = Math.max(slowest, ms);
        expect(ms).toBeLessThan(caseMs);
      }),
      { numRuns: runs, seed: 42 },
    );
    stats.push(
      `${name}: ${runs} cases in ${(performance.now() - t0).toFixed(0)} ms (slowest ${slowest.toFixed(1)} ms): ${counts.parsed} parsed, ${counts['format-error']} FormatError`,
    );
  };
}

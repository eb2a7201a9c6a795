import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FormatError } from '../../../src/formats/errors';
import { readImatrix } from '../../../src/formats/imatrix/reader';
import { imatrixWeights } from '../../../src/formats/imatrix/imatrix';
import { fixtureBytes } from '../../support/fixtures';
import { CountingSource, applyMutation, mutationArb } from './gguf-fuzz-support';

const RUNS = Number(process.env.KILN_FUZZ_RUNS ?? 400);
const SEED = Number(process.env.KILN_FUZZ_SEED ?? 20260817);
const CASE_MS = 1000;

const BASES: [string, Uint8Array][] = [
  ['tiny-llama.imatrix.gguf', fixtureBytes('imatrix/tiny-llama.imatrix.gguf')],
  ['tiny-llama.imatrix.dat', fixtureBytes('imatrix/tiny-llama.imatrix.dat')],
];

describe('imatrix reader under mutation: a correct parse or a FormatError, quickly, reads bounded', () => {
  for (const [name, base] of BASES) {
    it(name, async () => {
      let parsed = 0;
      await fc.assert(
        fc.asyncProperty(mutationArb(), async (mut) => {
          const src = new CountingSource(name, applyMutation(base, mut(base.length)));
          const t0 = performance.now();
          try {
            const im = await readImatrix(src);
            parsed++;
            // what a parse guarantees: sorted unique names, counts that divide the sums
            const names = im.entries.map((e) => e.name);
            expect(new Set(names).size).toBe(names.length);
            for (const e of im.entries) {
              expect(e.counts.length).toBeGreaterThan(0);
              expect(e.sums.length % e.counts.length).toBe(0);
            }
            imatrixWeights(im);
          } catch (e) {
            if (!(e instanceof FormatError)) throw e;
          }
          expect(src.maxRead).toBeLessThanOrEqual(Math.max(1 << 20, src.size));
          expect(performance.now() - t0).toBeLessThan(CASE_MS);
        }),
        { numRuns: RUNS, seed: SEED },
      );
      expect(parsed).toBeGreaterThan(0);
    });
  }
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readGguf } from '../../../src/formats/gguf/reader';
import { HEADER_CHUNK_BYTES } from '../../../src/formats/limits';
import { fixtureBytes } from '../../support/fixtures';
import { buildGguf, T } from './gguf-builder';
import { CountingSource, applyMutation, mutationArb, openAndReadAll } from './gguf-fuzz-support';

const RUNS = Number(process.env.KILN_FUZZ_RUNS ?? 400);
/** Per case, generous for a loaded CI machine; a parse of these files takes well under a millisecond. */
const CASE_MS = 1000;

const v1 = buildGguf({
  version: 1,
  kv: [
    ['s', (b) => b.u32(T.string).str('abc')],
    ['a', (b) => b.u32(T.array).u32(T.string).size(2).str('x').str('yz')],
  ],
  tensors: [
    { name: 'w', ne: [32, 2], type: 8, offset: 0 },
    { name: 'b', ne: [4], type: 0, offset: 96 },
  ],
  data: 112,
});

const splitPart = (no: number) =>
  buildGguf({
    kv: [
      ['split.no', (b) => b.u32(T.u16).u16(no)],
      ['split.count', (b) => b.u32(T.u16).u16(2)],
      ['split.tensors.count', (b) => b.u32(T.i32).i32(2)],
    ],
    tensors: [{ name: `t${no}`, ne: [8], type: 1, offset: 0 }],
    data: 32,
  });

const BASES: [string, Uint8Array[], boolean][] = [
  ['endian-le.gguf (every KV type, 12 tensor types)', [fixtureBytes('gguf/endian-le.gguf')], true],
  ['endian-be.gguf (big-endian)', [fixtureBytes('gguf/endian-be.gguf')], false],
  ['a v1 file', [v1], true],
  ['a 2-part split set', [splitPart(0), splitPart(1)], true],
  ['tiny-llama-F16.gguf (2.9 MB, gguf-py)', [fixtureBytes('gguf/tiny-llama-F16.gguf')], true],
];

describe('GGUF reader under mutation: a correct parse or a FormatError, quickly, reads bounded', () => {
  for (const [label, files, le] of BASES) {
    it(label, async () => {
      const runs = label.startsWith('tiny') ? Math.max(50, RUNS >> 2) : RUNS;
      let parsed = 0;
      let rejected = 0;
      let worst = 0;
      const t0 = performance.now();
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: files.length - 1 }), mutationArb(), async (which, mut) => {
          const srcs = files.map((f, i) => new CountingSource(`p${i}.gguf`, i === which ? applyMutation(f, mut(f.length), le) : f));
          const r = await openAndReadAll((s) => readGguf(s), srcs, HEADER_CHUNK_BYTES);
          worst = Math.max(worst, r.ms);
          if (r.ok) parsed++;
          else rejected++;
          expect(r.ms).toBeLessThan(CASE_MS);
        }),
        { numRuns: runs, seed: Number(process.env.KILN_FUZZ_SEED ?? 20260817) },
      );
      console.info(`gguf fuzz [${label}]: ${runs} cases (${parsed} parsed, ${rejected} FormatError) in ${(performance.now() - t0).toFixed(0)} ms, slowest ${worst.toFixed(1)} ms`);
      expect(parsed + rejected).toBe(runs);
    }, 120_000);
  }
});

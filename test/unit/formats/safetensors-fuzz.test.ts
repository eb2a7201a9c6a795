import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemorySource } from '../../../src/io/byte-source';
import { MemorySink } from '../../../src/io/byte-sink';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { planSafetensors, writeSafetensors } from '../../../src/formats/safetensors/writer';
import { SAFETENSORS_MAX_HEADER_BYTES } from '../../../src/formats/limits';
import type { TypeName } from '../../../src/codecs/catalogue';
import { fixtureBytes } from '../../support/fixtures';
import { buildSafetensors, rebuildShards } from './safetensors-builder';
import { CountingSource, applyMutation, mutationArb, openAndReadAll } from './gguf-fuzz-support';

const RUNS = Number(process.env.KILN_FUZZ_RUNS ?? 400);
const SEED = Number(process.env.KILN_FUZZ_SEED ?? 20260817);
const CASE_MS = 1000;

const small = buildSafetensors(
  {
    __metadata__: { format: 'pt', note: 'x' },
    a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
    b: { dtype: 'BF16', shape: [3], data_offsets: [16, 22] },
    c: { dtype: 'F8_E8M0', shape: [2], data_offsets: [22, 24] },
    d: { dtype: 'BOOL', shape: [], data_offsets: [24, 25] },
  },
  25,
);

const [shard1, shard2] = rebuildShards();
const index = fixtureBytes('safetensors/sharded/model.safetensors.index.json');

const BASES: [string, [string, Uint8Array][]][] = [
  ['a small file (metadata, 4 dtypes)', [['s.safetensors', small]]],
  ['tiny-llama BF16 (2.9 MB)', [['model.safetensors', fixtureBytes('safetensors/tiny-llama-bf16.safetensors')]]],
  [
    'tiny-llama F16 shards + index',
    [
      ['model-00001-of-00002.safetensors', shard1!],
      ['model-00002-of-00002.safetensors', shard2!],
      ['model.safetensors.index.json', index],
    ],
  ],
];

describe('safetensors reader under mutation: a correct parse or a FormatError, quickly, reads bounded', () => {
  for (const [label, files] of BASES) {
    it(label, async () => {
      const runs = label.startsWith('a small') ? RUNS : Math.max(50, RUNS >> 2);
      let parsed = 0;
      let worst = 0;
      const t0 = performance.now();
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: files.length - 1 }), mutationArb(), async (which, mut) => {
          const srcs = files.map(([n, f], i) => new CountingSource(n, i === which ? applyMutation(f, mut(f.length)) : f));
          const r = await openAndReadAll((s) => readSafetensors(s), srcs, SAFETENSORS_MAX_HEADER_BYTES);
          worst = Math.max(worst, r.ms);
          if (r.ok) parsed++;
          expect(r.ms).toBeLessThan(CASE_MS);
        }),
        { numRuns: runs, seed: SEED },
      );
      console.info(`safetensors fuzz [${label}]: ${runs} cases (${parsed} parsed, ${runs - parsed} FormatError) in ${(performance.now() - t0).toFixed(0)} ms, slowest ${worst.toFixed(1)} ms`);
    }, 120_000);
  }
});

const DTYPES: TypeName[] = ['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'];

describe('safetensors write -> read round trip (property)', () => {
  it('names, dtypes, shapes, metadata and bytes survive', async () => {
    const tensor = fc.record({
      name: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'),
      type: fc.constantFrom(...DTYPES),
      shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(tensor, { selector: (t) => t.name, maxLength: 8 }),
        fc.option(fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'), fc.string({ maxLength: 16 }), { maxKeys: 4 }), { nil: undefined }),
        fc.nat(),
        async (tensors, md, salt) => {
          const metadata = md === undefined ? undefined : new Map(Object.entries(md));
          const plan = planSafetensors({ metadata, tensors });
          expect(plan.header.length % 8).toBe(0);
          const sink = new MemorySink('r.safetensors');
          const w = await writeSafetensors(plan, sink);
          const datas = plan.tensors.map((t, i) => Uint8Array.from({ length: t.nbytes }, (_, k) => (k * 31 + i * 7 + salt) & 0xff));
          for (const d of datas) await w.write(d);
          await w.finish();
          const m = await readSafetensors([new MemorySource('r.safetensors', sink.bytes())]);
          // The reader orders by data_offsets, which is the written order; zero-byte tensors share
          // an offset and their order is undefined (as in the Rust crate), and JSON.parse puts
          // integer-like keys first, so compare those as sets.
          const key = (t: { name: string; type: TypeName | null; shape: readonly number[] }) => JSON.stringify([t.name, t.type, [...t.shape]]);
          expect(m.tensors.map(key).sort()).toEqual(tensors.map(key).sort());
          const nonEmpty = plan.tensors.filter((t) => t.nbytes > 0).map((t) => t.name);
          expect(m.tensors.filter((t) => t.nbytes > 0).map((t) => t.name)).toEqual(nonEmpty);
          expect(new Map([...m.metadata].map(([k, v]) => [k, v.value]))).toEqual(metadata ?? new Map());
          const byName = new Map(m.tensors.map((t) => [t.name, t]));
          for (let i = 0; i < datas.length; i++) {
            const t = byName.get(plan.tensors[i]!.name)!;
            expect(Array.from(await t.read(0, datas[i]!.length))).toEqual(Array.from(datas[i]!));
          }
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { MemorySource } from '../../../src/io/byte-source';
import { MemorySink } from '../../../src/io/byte-sink';
import { readGguf } from '../../../src/formats/gguf/reader';
import { planGguf, writeGguf } from '../../../src/formats/gguf/writer';
import { fixtureBytes } from '../../support/fixtures';
import fc from 'fast-check';
import type { MetaArray, MetaValue, ScalarType } from '../../../src/formats/model';
import { typeInfo, type TypeName } from '../../../src/codecs/catalogue';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('GGUF round trip on the gguf-py file', () => {
  it('writes tiny-llama-F16.gguf back byte for byte', async () => {
    const bytes = fixtureBytes('gguf/tiny-llama-F16.gguf');
    expect(sha256(bytes)).toBe('181c98b7bb9b73891b4252614d20236c65ba5c4c949aefaa6a57631c48629967');
    const view = await readGguf([new MemorySource('tiny-llama-F16.gguf', bytes)]);
    const plan = planGguf({
      metadata: view.metadata,
      tensors: view.tensors.map((t) => ({ name: t.name, type: t.type!, shape: t.shape })),
    });
    const sink = new MemorySink('out.gguf');
    const w = await writeGguf(plan, sink);
    for (const t of view.tensors) {
      for (let o = 0; o < t.nbytes; o += 65536) await w.write(await t.read(o, Math.min(65536, t.nbytes - o)));
    }
    await w.finish();
    const out = sink.bytes();
    expect(out.length).toBe(bytes.length);
    expect(sha256(out)).toBe(sha256(bytes));
  });
});


const SCALARS: ScalarType[] = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'f64', 'bool', 'string', 'u64', 'i64'];

function itemArb(t: ScalarType): fc.Arbitrary<number | bigint | boolean | string> {
  switch (t) {
    case 'u8':
      return fc.integer({ min: 0, max: 255 });
    case 'i8':
      return fc.integer({ min: -128, max: 127 });
    case 'u16':
      return fc.integer({ min: 0, max: 65535 });
    case 'i16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'i32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'f32':
      return fc.float();
    case 'f64':
      return fc.double();
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'u64':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 'i64':
      return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
  }
}

function arrayArb(depth: number): fc.Arbitrary<MetaArray> {
  const flat = fc.constantFrom(...SCALARS).chain((t) => fc.array(itemArb(t), { maxLength: 6 }).map((value): MetaArray => ({ type: 'array', itemType: t, value })));
  if (depth <= 1) return flat;
  const nested = fc.array(arrayArb(depth - 1), { maxLength: 3 }).map((value): MetaArray => ({ type: 'array', itemType: 'array', value }));
  return fc.oneof(flat, nested);
}

const valueArb: fc.Arbitrary<MetaValue> = fc.oneof(
  fc.constantFrom(...SCALARS).chain((t) => itemArb(t).map((value) => ({ type: t, value }) as MetaValue)),
  arrayArb(3),
);

const GGUF_TYPES: TypeName[] = ['F32', 'F16', 'BF16', 'F64', 'I8', 'I16', 'I32', 'I64', 'Q4_0', 'Q8_0', 'Q4_K', 'Q6_K', 'IQ4_NL', 'MXFP4', 'NVFP4', 'Q1_0', 'TQ2_0'];

describe('GGUF write -> read round trip (property)', () => {
  it('every metadata type (nested arrays included), tensor infos and bytes survive', async () => {
    const tensorArb = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }),
      type: fc.constantFrom(...GGUF_TYPES),
      rows: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      blocks: fc.integer({ min: 0, max: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 16 }), valueArb), { selector: (kv) => kv[0], maxLength: 8 }),
        fc.uniqueArray(tensorArb, { selector: (t) => t.name, maxLength: 6 }),
        fc.constantFrom(1, 8, 32, 64, 4096),
        async (kvs, specs, alignment) => {
          const metadata = new Map(kvs.filter(([k]) => k !== 'general.alignment'));
          const tensors = specs.map((s) => ({ name: s.name, type: s.type, shape: [...s.rows, s.blocks * typeInfo(s.type).blockSize] }));
          const plan = planGguf({ metadata, tensors, alignment });
          const sink = new MemorySink('p.gguf');
          const w = await writeGguf(plan, sink);
          const datas = plan.tensors.map((t, i) => Uint8Array.from({ length: t.nbytes }, (_, k) => (k + 3 * i) & 0xff));
          for (const d of datas) await w.write(d);
          await w.finish();
          const back = await readGguf([new MemorySource('p.gguf', sink.bytes())]);
          const want = new Map(metadata);
          if (alignment !== 32) want.set('general.alignment', { type: 'u32', value: alignment });
          expect([...back.metadata]).toEqual([...want]);
          expect(back.tensors.map((t) => [t.name, t.type, [...t.shape], t.nbytes])).toEqual(plan.tensors.map((t) => [t.name, t.type, t.shape, t.nbytes]));
          for (let i = 0; i < datas.length; i++) {
            expect(back.tensors[i]!.fileOffset % alignment).toBe(0);
            expect(Array.from(await back.tensors[i]!.read(0, datas[i]!.length))).toEqual(Array.from(datas[i]!));
          }
        },
      ),
      { numRuns: 300, seed: Number(process.env.KILN_FUZZ_SEED ?? 20260817) },
    );
  });
});

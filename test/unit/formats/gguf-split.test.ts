import { describe, expect, it } from 'vitest';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { MemorySink, MemorySinkFactory } from '../../../src/io/byte-sink';
import { readGguf } from '../../../src/formats/gguf/reader';
import { planGgufSplit, writeGgufSplit } from '../../../src/formats/gguf/split-writer';
import { planGguf, writeGguf } from '../../../src/formats/gguf/writer';
import type { ModelView } from '../../../src/formats/model';
import { fixtureBytes } from '../../support/fixtures';
import { buildGguf, T, type GgufSpec } from './gguf-builder';

const splitKv = (no: number, count: number, total: number): NonNullable<GgufSpec['kv']> => [
  ['split.no', (b) => b.u32(T.u16).u16(no)],
  ['split.count', (b) => b.u32(T.u16).u16(count)],
  ['split.tensors.count', (b) => b.u32(T.i32).i32(total)],
];

/** Three parts as gguf-split lays them out: all metadata in part 1, split keys in every part. */
function parts(total = 4): ByteSource[] {
  const p1 = buildGguf({
    kv: [['general.architecture', (b) => b.u32(T.string).str('llama')], ...splitKv(0, 3, total)],
    tensors: [
      { name: 'a', ne: [8], type: 0, offset: 0 },
      { name: 'b', ne: [4], type: 0, offset: 32 },
    ],
    data: new Uint8Array(64).map((_, i) => i),
  });
  const p2 = buildGguf({ kv: splitKv(1, 3, total), tensors: [{ name: 'c', ne: [2], type: 0, offset: 0 }], data: new Uint8Array(32).fill(7) });
  const p3 = buildGguf({ kv: splitKv(2, 3, total), tensors: [{ name: 'd', ne: [16], type: 1, offset: 0 }], data: new Uint8Array(32).fill(9) });
  return [new MemorySource('m-00001-of-00003.gguf', p1), new MemorySource('m-00002-of-00003.gguf', p2), new MemorySource('m-00003-of-00003.gguf', p3)];
}

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('GGUF split sets (reader)', () => {
  it('opens all parts, given in any order, as one model', async () => {
    const [a, b, c] = parts();
    const m = await readGguf([c!, a!, b!]);
    expect(m.files).toEqual(['m-00001-of-00003.gguf', 'm-00002-of-00003.gguf', 'm-00003-of-00003.gguf']);
    expect(m.tensors.map((t) => [t.name, t.file])).toEqual([
      ['a', 'm-00001-of-00003.gguf'],
      ['b', 'm-00001-of-00003.gguf'],
      ['c', 'm-00002-of-00003.gguf'],
      ['d', 'm-00003-of-00003.gguf'],
    ]);
    expect(m.metadata.get('general.architecture')).toEqual({ type: 'string', value: 'llama' });
    expect(m.details.get('split parts')).toBe('3');
    expect(Array.from(await m.tensors[2]!.read(0, 8))).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
  });

  it('names missing parts', async () => {
    const [a, , c] = parts();
    expect(await message(readGguf([a!, c!]))).toBe(
      'gguf: split set is incomplete: 1 of 3 parts missing: m-00002-of-00003.gguf (given: m-00001-of-00003.gguf, m-00003-of-00003.gguf) (m-00001-of-00003.gguf)',
    );
    expect(await message(readGguf([parts()[1]!]))).toBe(
      'gguf: split set is incomplete: 2 of 3 parts missing: m-00001-of-00003.gguf, m-00003-of-00003.gguf (given: m-00002-of-00003.gguf) (m-00002-of-00003.gguf)',
    );
  });

  it('names duplicate parts', async () => {
    const [a, b, c] = parts();
    const again = new MemorySource('copy/m-00002-of-00003.gguf', await b!.read(0, b!.size));
    expect(await message(readGguf([a!, b!, again, c!]))).toBe(
      'gguf: duplicate split parts: part 2 of 3 given 2 times (m-00002-of-00003.gguf, copy/m-00002-of-00003.gguf) (m-00001-of-00003.gguf)',
    );
  });

  it('checks split.tensors.count', async () => {
    expect(await message(readGguf(parts(5)))).toBe(
      'gguf: split.tensors.count in m-00001-of-00003.gguf says 5 tensors but the 3 parts hold 4 (m-00001-of-00003.gguf)',
    );
  });

  it('refuses a plain file mixed into a set', async () => {
    const plain = new MemorySource('other.gguf', buildGguf({}));
    expect(await message(readGguf([...parts(), plain]))).toBe(
      'gguf: 4 GGUF files were given but other.gguf is not part of a split set (no split.count above 1); open one model at a time (m-00001-of-00003.gguf)',
    );
  });
});

const tiny = fixtureBytes('gguf/tiny-llama-F16.gguf');

async function tinyView(): Promise<ModelView> {
  return readGguf([new MemorySource('tiny.gguf', tiny)]);
}

async function writeSplit(m: ModelView, opts: { maxPartBytes?: number; maxTensorsPerPart?: number }) {
  const planned = planGgufSplit({ metadata: m.metadata, tensors: m.tensors.map((t) => ({ name: t.name, type: t.type!, shape: t.shape })), prefix: 'tiny', ...opts });
  const sinks = new MemorySinkFactory();
  const w = await writeGgufSplit(planned, sinks);
  for (const p of planned) for (const i of p.tensorIndices) await w.write(await m.tensors[i]!.read(0, m.tensors[i]!.nbytes));
  await w.finish();
  return { planned, files: planned.map((p) => new MemorySource(p.name, sinks.sinks.get(p.name)!.bytes())) };
}

describe('GGUF split output (writer)', () => {
  it('cuts by tensor count like gguf-split --split-max-tensors and reads back as the same model', async () => {
    const m = await tinyView();
    const { planned, files } = await writeSplit(m, { maxTensorsPerPart: 8 });
    expect(planned.map((p) => [p.name, p.tensorIndices.length])).toEqual([
      ['tiny-00001-of-00003.gguf', 8],
      ['tiny-00002-of-00003.gguf', 8],
      ['tiny-00003-of-00003.gguf', 5],
    ]);
    const back = await readGguf(files);
    expect(back.tensors.map((t) => t.name)).toEqual(m.tensors.map((t) => t.name));
    for (let i = 0; i < m.tensors.length; i++) {
      expect(Array.from(await back.tensors[i]!.read(0, 64))).toEqual(Array.from(await m.tensors[i]!.read(0, 64)));
    }
    const keys = [...back.metadata.keys()];
    expect(keys.slice(0, m.metadata.size)).toEqual([...m.metadata.keys()]);
    expect(keys.slice(m.metadata.size)).toEqual(['split.no', 'split.count', 'split.tensors.count']);
    expect(back.metadata.get('split.count')).toEqual({ type: 'u16', value: 3 });
    expect(back.metadata.get('split.tensors.count')).toEqual({ type: 'i32', value: 21 });
    const p2 = await readGguf([files[1]!]).catch((e: Error) => e.message);
    expect(p2).toMatch(/split set is incomplete/);
  });

  it('other parts carry only the split keys', async () => {
    const m = await tinyView();
    const { files } = await writeSplit(m, { maxTensorsPerPart: 8 });
    const { readGgufHeader } = await import('../../../src/formats/gguf/header');
    const h = await readGgufHeader(files[2]!);
    expect([...h.metadata]).toEqual([
      ['split.no', { type: 'u16', value: 2 }],
      ['split.count', { type: 'u16', value: 3 }],
      ['split.tensors.count', { type: 'i32', value: 21 }],
    ]);
  });

  it('cuts by size like gguf-split --split-max-size (padded tensor bytes, metadata not counted)', async () => {
    const m = await tinyView();
    // worked by hand from gguf-split's should_split(): next_size > max starts a new part
    const { planned } = await writeSplit(m, { maxPartBytes: 600_000 });
    expect(planned.map((p) => p.tensorIndices.length)).toEqual([5, 3, 3, 5, 2, 3]);
  });

  it('gives an oversized first tensor its own part, and writes one plain file when all fits', async () => {
    const m = await tinyView();
    const small = await writeSplit(m, { maxPartBytes: 1000 });
    expect(small.planned.length).toBe(21);
    const one = await writeSplit(m, { maxPartBytes: 10_000_000 });
    expect(one.planned.map((p) => p.name)).toEqual(['tiny.gguf']);
    expect(one.files[0]!.size).toBe(tiny.length);
    const same = await one.files[0]!.read(0, tiny.length);
    expect(Buffer.from(same).equals(Buffer.from(tiny))).toBe(true);
  });
});

describe('GGUF streaming writer: byte accounting', () => {
  const plan = () =>
    planGguf({
      metadata: new Map([['general.architecture', { type: 'string', value: 'x' }]]),
      tensors: [
        { name: 'a', type: 'F32', shape: [3] },
        { name: 'b', type: 'F16', shape: [2, 2] },
      ],
    });

  it('pads each tensor to the alignment and closes the sink', async () => {
    const sink = new MemorySink('o.gguf');
    const w = await writeGguf(plan(), sink);
    await w.write(new Uint8Array(12).fill(1));
    expect(w.currentTensor).toBe('b');
    await w.write(new Uint8Array(4).fill(2));
    await w.write(new Uint8Array(4).fill(3));
    await w.finish();
    expect(sink.closed).toBe(true);
    const out = sink.bytes();
    expect(out.length).toBe(plan().totalSize);
    const m = await readGguf([new MemorySource('o.gguf', out)]);
    expect(Array.from(await m.tensors[1]!.read(0, 8))).toEqual([2, 2, 2, 2, 3, 3, 3, 3]);
    expect(m.tensors[1]!.fileOffset - m.tensors[0]!.fileOffset).toBe(32);
  });

  it('refuses a chunk that crosses a tensor end, and aborts', async () => {
    const sink = new MemorySink('o.gguf');
    const w = await writeGguf(plan(), sink);
    expect(await message(w.write(new Uint8Array(13)))).toBe(
      "gguf writer (o.gguf): tensor 'a' got 13 bytes, more than its planned 12 (write chunks must not cross a tensor's end)",
    );
    expect(sink.position).toBe(0);
  });

  it('refuses to finish with a tensor short', async () => {
    const w = await writeGguf(plan(), new MemorySink('o.gguf'));
    await w.write(new Uint8Array(12));
    await w.write(new Uint8Array(5));
    expect(await message(w.finish())).toBe("gguf writer (o.gguf): tensor 'b' got 5 of its planned 8 bytes (1 tensor(s) incomplete)");
  });

  it('refuses bytes after the last tensor', async () => {
    const w = await writeGguf(plan(), new MemorySink('o.gguf'));
    await w.write(new Uint8Array(12));
    await w.write(new Uint8Array(8));
    expect(await message(w.write(new Uint8Array(1)))).toBe('gguf writer (o.gguf): all tensors are complete but 1 more bytes were written');
  });

  it('validates names, shapes and alignment before writing anything', () => {
    const md = new Map();
    expect(() => planGguf({ metadata: md, tensors: [{ name: 'x'.repeat(64), type: 'F32', shape: [1] }] })).toThrow(
      `tensor name '${'x'.repeat(64)}' is 64 bytes; ggml allows at most 63`,
    );
    expect(() => planGguf({ metadata: md, tensors: [{ name: 'q', type: 'Q4_0', shape: [2, 31] }] })).toThrow(
      "tensor 'q' of type Q4_0 has rows of 31 elements, not a multiple of the block size 32",
    );
    expect(() => planGguf({ metadata: md, tensors: [{ name: 'u', type: 'U8', shape: [1] }] })).toThrow("tensor 'u': type U8 cannot be stored in GGUF");
    expect(() => planGguf({ metadata: md, tensors: [], alignment: 48 })).toThrow('GGUF alignment 48 is not a power of two u32');
    expect(() => planGguf({ metadata: new Map([['k', { type: 'u8', value: 256 }]]), tensors: [] })).toThrow("GGUF metadata 'k': 256 is not a valid u8");
  });

  it('adds general.alignment for a custom alignment, as gguf-py does', async () => {
    const p = planGguf({ metadata: new Map(), tensors: [{ name: 'a', type: 'F32', shape: [1] }], alignment: 64 });
    expect(p.dataOffset % 64).toBe(0);
    const sink = new MemorySink('a.gguf');
    const w = await writeGguf(p, sink);
    await w.write(new Uint8Array(4));
    await w.finish();
    const m = await readGguf([new MemorySource('a.gguf', sink.bytes())]);
    expect(m.metadata.get('general.alignment')).toEqual({ type: 'u32', value: 64 });
    expect(sink.bytes().length).toBe(p.dataOffset + 64);
  });
});

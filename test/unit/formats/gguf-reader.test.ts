import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/io/byte-source';
import { readGguf } from '../../../src/formats/gguf/reader';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { FormatError, UnsupportedError } from '../../../src/formats/errors';
import type { MetaValue, ModelView } from '../../../src/formats/model';
import { bf16ToF32Bits, f16ToF32Bits } from '../../../src/codecs/half';
import { fixtureBytes } from '../../support/fixtures';
import { buildGguf, T } from './gguf-builder';

const open = (name: string, bytes: Uint8Array): Promise<ModelView> => readGguf([new MemorySource(name, bytes)]);
const u16s = (b: Uint8Array) => new Uint16Array(b.slice().buffer);

async function all(t: ModelView['tensors'][number]): Promise<Uint8Array> {
  return (await t.read(0, t.nbytes)).slice();
}

describe('GGUF reader: tiny-llama F16 written by gguf-py', () => {
  const bytes = fixtureBytes('gguf/tiny-llama-F16.gguf');

  it('lists version, alignment, metadata and the 21 tensors in file order', async () => {
    const m = await open('tiny-llama-F16.gguf', bytes);
    expect(m.format).toBe('gguf');
    expect(m.details.get('version')).toBe('3');
    expect(m.details.get('byte order')).toBe('little-endian');
    expect(m.details.get('alignment')).toBe('32');
    expect(m.metadata.get('general.architecture')).toEqual({ type: 'string', value: 'llama' });
    expect(m.metadata.get('general.file_type')).toEqual({ type: 'u32', value: 1 });
    expect(m.metadata.get('llama.block_count')).toEqual({ type: 'u32', value: 2 });
    const tokens = m.metadata.get('tokenizer.ggml.tokens') as Extract<MetaValue, { type: 'array' }>;
    expect(tokens.itemType).toBe('string');
    expect(tokens.value.length).toBe(512);
    expect(tokens.value.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    const perBlock = ['attn_norm', 'attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_down'];
    const names = ['token_embd.weight', ...[0, 1].flatMap((b) => perBlock.map((n) => `blk.${b}.${n}.weight`)), 'output_norm.weight', 'output.weight'];
    expect(m.tensors.map((t) => t.name)).toEqual(names);
    const byName = new Map(m.tensors.map((t) => [t.name, t]));
    expect(byName.get('token_embd.weight')).toMatchObject({ type: 'F16', shape: [512, 256], nbytes: 512 * 256 * 2 });
    expect(byName.get('blk.0.attn_k.weight')).toMatchObject({ type: 'F16', shape: [128, 256] });
    expect(byName.get('blk.1.ffn_down.weight')).toMatchObject({ type: 'F16', shape: [256, 512] });
    expect(byName.get('output_norm.weight')).toMatchObject({ type: 'F32', shape: [256], nbytes: 1024 });
    for (const t of m.tensors) expect(t.fileOffset % 32).toBe(0);
  });

  it('holds the same numbers as the HF BF16 checkpoint (embeddings, lm_head, norm)', async () => {
    const g = await open('tiny-llama-F16.gguf', bytes);
    const hf = await readSafetensors([new MemorySource('model.safetensors', fixtureBytes('safetensors/tiny-llama-bf16.safetensors'))]);
    const gt = new Map(g.tensors.map((t) => [t.name, t]));
    const ht = new Map(hf.tensors.map((t) => [t.name, t]));
    for (const [gn, hn] of [
      ['token_embd.weight', 'model.embed_tokens.weight'],
      ['output.weight', 'lm_head.weight'],
    ] as const) {
      const a = u16s(await all(gt.get(gn)!));
      const b = u16s(await all(ht.get(hn)!));
      expect(a.length).toBe(b.length);
      let bad = 0;
      for (let i = 0; i < a.length; i++) if (f16ToF32Bits(a[i]!) !== bf16ToF32Bits(b[i]!)) bad++;
      expect(bad).toBe(0);
    }
    const norm = new Uint32Array((await all(gt.get('output_norm.weight')!)).buffer);
    const hnorm = u16s(await all(ht.get('model.norm.weight')!));
    expect(Array.from(norm)).toEqual(Array.from(hnorm, (h) => bf16ToF32Bits(h)));
  });

  it('reads any sub-range of a tensor', async () => {
    const m = await open('x.gguf', bytes);
    const t = m.tensors[1]!;
    const whole = await all(t);
    expect(Array.from(await t.read(3, 10))).toEqual(Array.from(whole.subarray(3, 13)));
    await expect(t.read(t.nbytes - 1, 2)).rejects.toThrow(RangeError);
  });
});

describe('GGUF reader: byte order (fixtures from make_endian_fixtures.py)', () => {
  it('big-endian file gives the same metadata and canonical bytes as the little-endian one', async () => {
    const le = await open('endian-le.gguf', fixtureBytes('gguf/endian-le.gguf'));
    const be = await open('endian-be.gguf', fixtureBytes('gguf/endian-be.gguf'));
    expect(be.details.get('byte order')).toBe('big-endian');
    expect([...be.metadata]).toEqual([...le.metadata]);
    expect(le.metadata.get('k.u64')).toEqual({ type: 'u64', value: 2n ** 63n + 5n });
    expect(le.metadata.get('k.i64')).toEqual({ type: 'i64', value: -(2n ** 62n) - 3n });
    expect(le.metadata.get('k.f64')).toEqual({ type: 'f64', value: -1e300 });
    expect(le.metadata.get('k.str')).toEqual({ type: 'string', value: 'h\u00e9llo \u2581 w\u{1F600}rld' });
    expect(le.metadata.get('k.arr_arr')).toEqual({
      type: 'array',
      itemType: 'array',
      value: [
        { type: 'array', itemType: 'u32', value: [7, 8] },
        { type: 'array', itemType: 'string', value: ['x'] },
      ],
    });
    expect(le.tensors.map((t) => t.typeLabel)).toEqual(['F32', 'F16', 'BF16', 'F64', 'I8', 'I16', 'I32', 'I64', 'Q8_0', 'Q4_K', 'Q6_K', 'Q5_K']);
    for (let i = 0; i < le.tensors.length; i++) {
      const a = le.tensors[i]!;
      const b = be.tensors[i]!;
      expect(b.shape).toEqual(a.shape);
      if (a.type === 'Q5_K') {
        await expect(b.read(0, 4)).rejects.toThrow(UnsupportedError);
        continue;
      }
      expect(Array.from(await all(b)), a.name).toEqual(Array.from(await all(a)));
      // unaligned sub-ranges are widened to whole elements / blocks and cut back
      const off = Math.min(3, a.nbytes - 1);
      const len = Math.min(37, a.nbytes - off);
      expect(Array.from(await b.read(off, len)), a.name).toEqual(Array.from((await all(a)).subarray(off, off + len)));
    }
  });
});

describe('GGUF reader: versions, types, layouts (byte builder)', () => {
  const kvAll: [string, (b: import('./gguf-builder').Bytes) => void][] = [
    ['a.u8', (b) => b.u32(T.u8).u8(255)],
    ['a.i8', (b) => b.u32(T.i8).u8(0x80)],
    ['a.u16', (b) => b.u32(T.u16).u16(65535)],
    ['a.i16', (b) => b.u32(T.i16).i16(-1)],
    ['a.u32', (b) => b.u32(T.u32).u32(0xffffffff)],
    ['a.i32', (b) => b.u32(T.i32).i32(-5)],
    ['a.f32', (b) => b.u32(T.f32).f32(-0.5)],
    ['a.bool', (b) => b.u32(T.bool).u8(2)],
    ['a.str', (b) => b.u32(T.string).str('')],
    ['a.u64', (b) => b.u32(T.u64).u64(0xffffffffffffffffn)],
    ['a.i64', (b) => b.u32(T.i64).i64(-1)],
    ['a.f64', (b) => b.u32(T.f64).f64(Math.PI)],
    ['a.arr', (b) => b.u32(T.array).u32(T.bool).size(3).u8(0).u8(1).u8(0)],
    ['a.empty', (b) => b.u32(T.array).u32(T.f32).size(0)],
  ];
  const expected: [string, MetaValue][] = [
    ['a.u8', { type: 'u8', value: 255 }],
    ['a.i8', { type: 'i8', value: -128 }],
    ['a.u16', { type: 'u16', value: 65535 }],
    ['a.i16', { type: 'i16', value: -1 }],
    ['a.u32', { type: 'u32', value: 0xffffffff }],
    ['a.i32', { type: 'i32', value: -5 }],
    ['a.f32', { type: 'f32', value: -0.5 }],
    ['a.bool', { type: 'bool', value: true }],
    ['a.str', { type: 'string', value: '' }],
    ['a.u64', { type: 'u64', value: 0xffffffffffffffffn }],
    ['a.i64', { type: 'i64', value: -1n }],
    ['a.f64', { type: 'f64', value: Math.PI }],
    ['a.arr', { type: 'array', itemType: 'bool', value: [false, true, false] }],
    ['a.empty', { type: 'array', itemType: 'f32', value: [] }],
  ];

  for (const version of [1, 2, 3]) {
    it(`v${version}: every value type and a tensor (u32 sizes in v1)`, async () => {
      const bytes = buildGguf({ version, kv: kvAll, tensors: [{ name: 'w', ne: [4, 2], type: 0, offset: 0 }], data: 32 });
      const m = await open(`v${version}.gguf`, bytes);
      expect(m.details.get('version')).toBe(String(version));
      expect([...m.metadata]).toEqual(expected);
      expect(m.tensors[0]).toMatchObject({ name: 'w', type: 'F32', shape: [2, 4], nbytes: 32 });
      expect(m.tensors[0]!.fileOffset).toBe(bytes.length - 32);
    });
  }

  it('honours general.alignment', async () => {
    const bytes = buildGguf({
      kv: [['general.alignment', (b) => b.u32(T.u32).u32(64)]],
      tensors: [
        { name: 'a', ne: [3], type: 0, offset: 0 },
        { name: 'b', ne: [1], type: 0, offset: 64 },
      ],
      alignment: 64,
      data: 68,
    });
    const m = await open('a.gguf', bytes);
    expect(m.details.get('alignment')).toBe('64');
    expect(m.tensors[0]!.fileOffset % 64).toBe(0);
    expect(m.tensors[1]!.fileOffset - m.tensors[0]!.fileOffset).toBe(64);
  });

  it('lists retired and unknown types with a size inferred from the layout', async () => {
    const bytes = buildGguf({
      tensors: [
        { name: 'old', ne: [64], type: 31, offset: 0 },
        { name: 'mystery', ne: [8], type: 99, offset: 64 },
        { name: 'f', ne: [2], type: 0, offset: 96 },
      ],
      data: 104,
    });
    const m = await open('u.gguf', bytes);
    expect(m.tensors.map((t) => [t.name, t.type, t.typeLabel, t.nbytes])).toEqual([
      ['old', null, 'ggml type 31 (Q4_0_4_4, retired; size inferred from layout)', 64],
      ['mystery', null, 'ggml type 99 (unknown; size inferred from layout)', 32],
      ['f', 'F32', 'F32', 8],
    ]);
  });

  it('a file without tensors has its data section right after the KVs', async () => {
    const bytes = buildGguf({ kv: [['k', (b) => b.u32(T.u8).u8(1)]] });
    const m = await open('e.gguf', bytes);
    expect(m.tensors).toEqual([]);
    expect(m.details.get('data offset')).toBe(String(bytes.length));
  });
});

async function err(bytes: Uint8Array, name = 'x.gguf'): Promise<FormatError> {
  try {
    await open(name, bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('GGUF reader: one byte-literal case per error', () => {
  const hdr = (nT: number, nKv: number) => [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, nT, 0, 0, 0, 0, 0, 0, 0, nKv, 0, 0, 0, 0, 0, 0, 0];
  const cases: [string, number[] | Uint8Array, string][] = [
    ['too small', [0x47, 0x47, 0x55, 0x46], 'gguf: file is 4 bytes, too small for the 8-byte GGUF magic and version (x.gguf, offset 0)'],
    ['bad magic', [0x47, 0x47, 0x4d, 0x4c, 3, 0, 0, 0], 'gguf: bad magic 47 47 4d 4c, expected 47 47 55 46 ("GGUF") (x.gguf, offset 0)'],
    ['version 0', [0x47, 0x47, 0x55, 0x46, 0, 0, 0, 0], 'gguf: version is 0 (x.gguf, offset 4)'],
    ['version 4', [0x47, 0x47, 0x55, 0x46, 4, 0, 0, 0], 'gguf: GGUF version 4 is not supported (Kiln reads versions 1, 2 and 3) (x.gguf, offset 4)'],
    ['truncated counts', [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 1, 0, 0], 'gguf: file ends inside tensor count: 8 bytes needed, 3 left in the 11-byte file (x.gguf, offset 8)'],
    ['tensor count limit', [...hdr(0, 0).slice(0, 8), 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0], 'gguf: tensor count is 9223372036854775808, above the limit of 1048576 (x.gguf, offset 8)'],
    ['empty key', [...hdr(0, 1), 0, 0, 0, 0, 0, 0, 0, 0], "gguf: key 0 is empty (x.gguf, offset 24)"],
    ['key longer than file', [...hdr(0, 1), 100, 0, 0, 0, 0, 0, 0, 0, 0x61], 'gguf: length of key 0 is 100 bytes but only 1 bytes follow in the file (x.gguf, offset 24)'],
    ['bad value type', [...hdr(0, 1), 1, 0, 0, 0, 0, 0, 0, 0, 0x6b, 13, 0, 0, 0], "gguf: type of value of key 'k' is 13, not a GGUF value type (0..12) (x.gguf, offset 33)"],
    ['duplicate key', [...hdr(0, 2), 1, 0, 0, 0, 0, 0, 0, 0, 0x6b, 0, 0, 0, 0, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0x6b, 0, 0, 0, 0, 7], "gguf: duplicate key 'k' (key 1) (x.gguf, offset 38)"],
    [
      'array count beyond the file',
      [...hdr(0, 1), 1, 0, 0, 0, 0, 0, 0, 0, 0x6b, 9, 0, 0, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
      "gguf: value of key 'k' declares 65536 items of type u32 (at least 262144 bytes) but only 0 bytes follow (x.gguf, offset 41)",
    ],
    [
      'array count above the limit',
      [...hdr(0, 1), 1, 0, 0, 0, 0, 0, 0, 0, 0x6b, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0],
      "gguf: item count of value of key 'k' is 268435456, above the limit of 16777216 (x.gguf, offset 41)",
    ],
    [
      'alignment of the wrong type',
      [...hdr(0, 1), 17, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('general.alignment'), 5, 0, 0, 0, 32, 0, 0, 0],
      "gguf: key 'general.alignment' must be of type u32 but is i32 (x.gguf, offset 24)",
    ],
    [
      'alignment not a power of two',
      [...hdr(0, 1), 17, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('general.alignment'), 4, 0, 0, 0, 48, 0, 0, 0],
      'gguf: alignment 48 is not a power of 2 (x.gguf, offset 24)',
    ],
  ];
  for (const [what, bytes, msg] of cases) {
    it(what, async () => {
      const e = await err(Uint8Array.from(bytes));
      expect(e.message).toBe(msg);
    });
  }

  it('array nesting deeper than the limit', async () => {
    const b = buildGguf({
      kv: [
        [
          'deep',
          (w) => {
            w.u32(T.array);
            for (let i = 0; i < 9; i++) w.u32(T.array).size(1);
            w.u32(T.u8).size(0);
          },
        ],
      ],
    });
    expect((await err(b)).message).toBe("gguf: value of key 'deep'[0][0][0][0][0][0][0][0] nests arrays 9 deep, above the limit of 8 (x.gguf, offset 136)");
  });

  const t = (over: Partial<import('./gguf-builder').TensorRecord>[], data = 64, kv: import('./gguf-builder').GgufSpec['kv'] = []) =>
    buildGguf({ kv, tensors: over.map((o, i) => ({ name: `t${i}`, ne: [4], type: 0, offset: 0, ...o })), data });
  const tensorCases: [string, Uint8Array, string][] = [
    ['duplicate tensor name', t([{ name: 'a' }, { name: 'a', offset: 32 }]), "gguf: duplicate tensor name 'a' (tensor 1) (x.gguf, offset 57)"],
    ['too many dimensions', t([{ ne: [1, 1, 1, 1, 1] }]), "gguf: tensor 't0' has 5 dimensions, more than ggml's 4 (x.gguf, offset 24)"],
    ['negative dimension', t([{ ne: [-2] }]), "gguf: tensor 't0' dimension 0 is -2, negative (x.gguf, offset 24)"],
    ['element count overflow', t([{ ne: [2n ** 40n, 2n ** 40n] }]), "gguf: tensor 't0' with ne [1099511627776, 1099511627776] has more than 2^53-1 elements (x.gguf, offset 24)"],
    ['row not a whole block', t([{ ne: [33], type: 8 }]), "gguf: tensor 't0' of type Q8_0 has 33 elements per row, not a multiple of the block size 32 (x.gguf, offset 24)"],
    ['offset past the data', t([{ offset: 1000 }]), "gguf: tensor 't0' data offset 1000 is past the end of the data section (64 bytes from offset 64) (x.gguf, offset 24)"],
    ['data past the end', t([{ ne: [100] }]), "gguf: tensor 't0' data [0, 400) runs past the end of the data section (64 bytes from offset 64) (x.gguf, offset 24)"],
    ['overlap', t([{ ne: [8] }, { offset: 16 }]), "gguf: tensor 't0' data [0, 32) overlaps tensor 't1' at 16 (x.gguf, offset 24)"],
    ['data section past the end of the file', t([{}], 0).subarray(0, 58), 'gguf: data section would start at 64, past the end of the 58-byte file (x.gguf, offset 58)'],
  ];
  for (const [what, bytes, msg] of tensorCases) {
    it(what, async () => {
      expect((await err(bytes)).message).toBe(msg);
    });
  }
});

import { describe, expect, it } from 'vitest';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { MemorySink, MemorySinkFactory } from '../../../src/io/byte-sink';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { planSafetensors, planSafetensorsShards, rustCrateOrder, writeSafetensors, writeSafetensorsShards } from '../../../src/formats/safetensors/writer';
import { pythonJsonDumps } from '../../../src/formats/safetensors/python-json';
import { FormatError } from '../../../src/formats/errors';
import type { ModelView } from '../../../src/formats/model';
import { fixtureBytes } from '../../support/fixtures';
import { SHARD_SHA256, buildSafetensors, rebuildShards, sha256 } from './safetensors-builder';

const HF_NAMES = [
  'lm_head.weight',
  'model.embed_tokens.weight',
  ...[0, 1].flatMap((i) =>
    [
      'input_layernorm',
      'mlp.down_proj',
      'mlp.gate_proj',
      'mlp.up_proj',
      'post_attention_layernorm',
      'self_attn.k_proj',
      'self_attn.o_proj',
      'self_attn.q_proj',
      'self_attn.v_proj',
    ].map((n) => `model.layers.${i}.${n}.weight`),
  ),
  'model.norm.weight',
];

const bf16 = fixtureBytes('safetensors/tiny-llama-bf16.safetensors');
const open = (name: string, b: Uint8Array) => readSafetensors([new MemorySource(name, b)]);

async function copyAll(m: ModelView, write: (b: Uint8Array) => Promise<void>, order: readonly number[] = m.tensors.map((_, i) => i)): Promise<void> {
  for (const i of order) {
    const t = m.tensors[i]!;
    for (let o = 0; o < t.nbytes; o += 50_000) await write(await t.read(o, Math.min(50_000, t.nbytes - o)));
  }
}

describe('safetensors reader: tiny-llama BF16', () => {
  it('lists metadata and tensors in data order', async () => {
    const m = await open('model.safetensors', bf16);
    expect(m.format).toBe('safetensors');
    expect([...m.metadata]).toEqual([['format', { type: 'string', value: 'pt' }]]);
    expect(m.tensors.map((t) => t.name)).toEqual(HF_NAMES);
    expect(m.tensors[0]).toMatchObject({ type: 'BF16', typeLabel: 'BF16', shape: [512, 256], nbytes: 262144, fileOffset: 8 + 2224 });
    const k = m.tensors.find((t) => t.name === 'model.layers.0.self_attn.k_proj.weight')!;
    expect(k.shape).toEqual([128, 256]);
    expect(m.details.get('header bytes')).toBe('2224');
  });

  it('writes it back byte for byte (its header layout is the canonical one)', async () => {
    const m = await open('model.safetensors', bf16);
    const plan = planSafetensors({
      metadata: new Map([...m.metadata].map(([k, v]) => [k, String(v.value)])),
      tensors: m.tensors.map((t) => ({ name: t.name, type: t.type!, shape: t.shape })),
    });
    const sink = new MemorySink('o.safetensors');
    const w = await writeSafetensors(plan, sink);
    await copyAll(m, (b) => w.write(b));
    await w.finish();
    expect(sha256(sink.bytes())).toBe('d3c4cc0b32a3884e8306a40603d86a135c2ea62a775ccc9a3394692e272c0fba');
  });

  it('orders like the Rust crate when asked (dtype alignment, then name)', () => {
    const order = rustCrateOrder([
      { name: 'b', type: 'F16', shape: [1] },
      { name: 'a', type: 'U8', shape: [1] },
      { name: 'c', type: 'F32', shape: [1] },
      { name: 'a16', type: 'F16', shape: [1] },
      { name: 'i', type: 'I64', shape: [1] },
    ]);
    expect(order.map((t) => t.name)).toEqual(['i', 'c', 'a16', 'b', 'a']);
  });
});

describe('safetensors reader: dtypes', () => {
  it('maps every spec dtype; the ones Kiln lacks are listed with type null', async () => {
    const dts: [string, number][] = [
      ['F64', 8], ['F32', 4], ['F16', 2], ['BF16', 2], ['F8_E4M3', 1], ['F8_E5M2', 1], ['I64', 8], ['I32', 4], ['I16', 2], ['I8', 1],
      ['U64', 8], ['U32', 4], ['U16', 2], ['U8', 1], ['BOOL', 1], ['F8_E8M0', 1], ['F8_E4M3FNUZ', 1], ['F8_E5M2FNUZ', 1], ['C64', 8],
    ];
    const header: Record<string, unknown> = {};
    let off = 0;
    dts.forEach(([d, size], i) => {
      header[`t${String(i).padStart(2, '0')}`] = { dtype: d, shape: [3], data_offsets: [off, off + 3 * size] };
      off += 3 * size;
    });
    header['u'] = { dtype: 'F4', shape: [2, 3], data_offsets: [off, off + 3] };
    header['v'] = { dtype: 'F6_E2M3', shape: [4], data_offsets: [off + 3, off + 6] };
    const m = await open('d.safetensors', buildSafetensors(header, off + 6));
    const got = m.tensors.map((t) => [t.typeLabel, t.type, t.nbytes]);
    const want = dts.map(([d, s]) => {
      const known = !['F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'C64'].includes(d);
      return [known ? d : `${d} (not supported by Kiln)`, known ? d : null, 3 * s];
    });
    expect(got).toEqual([...want, ['F4 (not supported by Kiln)', null, 3], ['F6_E2M3 (not supported by Kiln)', null, 3]]);
  });
});

async function err(bytes: Uint8Array, name = 'x.safetensors'): Promise<string> {
  try {
    await open(name, bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return (e as Error).message;
  }
  throw new Error('expected a FormatError');
}

describe('safetensors reader: the validation ladder, one byte literal per rung', () => {
  const t = (o: object) => JSON.stringify(o);
  const cases: [string, Uint8Array, string][] = [
    ['header too small', Uint8Array.from([1, 0, 0]), 'safetensors: header too small: the file is 3 bytes, less than the 8-byte header length (x.safetensors, offset 0)'],
    ['header too large', buildSafetensors('{}', 0, 100_000_001n), 'safetensors: header too large: 100000001 bytes declared, the limit is 100000000 (x.safetensors, offset 0)'],
    ['header past the file', buildSafetensors('{}', 0, 3n), 'safetensors: invalid header length: 3 bytes declared but only 2 follow the length field (x.safetensors, offset 0)'],
    ['bad UTF-8', Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0, 0xc3, 0x28]), 'safetensors: header is not valid UTF-8 (x.safetensors, offset 8)'],
    ['not an object', buildSafetensors('[1]'), 'safetensors: header must be a JSON object, found an array (x.safetensors, offset 8)'],
    ['metadata not strings', buildSafetensors(t({ __metadata__: { a: 1 } })), "safetensors: __metadata__ value of 'a' must be a string, found number (x.safetensors, offset 8)"],
    ['entry not an object', buildSafetensors(t({ w: 3 })), 'safetensors: tensor entry must be an object with dtype, shape and data_offsets (x.safetensors, offset 8, tensor "w")'],
    ['unknown dtype', buildSafetensors(t({ w: { dtype: 'F12', shape: [], data_offsets: [0, 0] } })), 'safetensors: unknown dtype "F12" (x.safetensors, offset 8, tensor "w")'],
    ['bad shape', buildSafetensors(t({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } })), 'safetensors: shape must be an array of non-negative integers (x.safetensors, offset 8, tensor "w")'],
    [
      'bad offsets',
      buildSafetensors(t({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } })),
      'safetensors: data_offsets must be [begin, end] with non-negative integers below 2^53 (x.safetensors, offset 8, tensor "w")',
    ],
    [
      'gap between tensors',
      buildSafetensors(t({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [3, 5] } }), 5),
      'safetensors: invalid offset: data_offsets [3, 5] do not continue from the previous tensor\'s end 2 (x.safetensors, offset 8, tensor "b")',
    ],
    [
      'overlap',
      buildSafetensors(t({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }), 3),
      'safetensors: invalid offset: data_offsets [1, 3] do not continue from the previous tensor\'s end 2 (x.safetensors, offset 8, tensor "b")',
    ],
    [
      'end before begin',
      buildSafetensors(t({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, c: { dtype: 'U8', shape: [], data_offsets: [1, 0] } }), 1),
      'safetensors: invalid offset: data_offsets [1, 0] end before they begin (x.safetensors, offset 8, tensor "c")',
    ],
    [
      'element count overflow',
      buildSafetensors(t({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }), 4),
      'safetensors: validation overflow: shape [1073741824, 1073741824, 1073741824] has more than 2^53-1 elements (x.safetensors, offset 8, tensor "w")',
    ],
    [
      'sub-byte misaligned',
      buildSafetensors(t({ w: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }), 2),
      'safetensors: misaligned: 3 elements of F4 are 12 bits, not a whole number of bytes (x.safetensors, offset 8, tensor "w")',
    ],
    [
      'byte size mismatch',
      buildSafetensors(t({ w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 10] } }), 10),
      'safetensors: invalid tensor info: F16 with shape [2, 3] needs 12 bytes but data_offsets [0, 10] span 10 (x.safetensors, offset 8, tensor "w")',
    ],
    [
      'data not fully covered',
      buildSafetensors(t({ w: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }), 3),
      'safetensors: incomplete metadata: the tensors cover 2 bytes of data but the file holds 3 after the header (x.safetensors, offset 61)',
    ],
  ];
  for (const [what, bytes, msg] of cases) {
    it(what, async () => {
      expect(await err(bytes)).toBe(msg);
    });
  }

  it('bad JSON carries the parser message', async () => {
    expect(await err(buildSafetensors('{"a":'))).toMatch(/^safetensors: header is not valid JSON: .+ \(x\.safetensors, offset 8\)$/);
  });

  it('accepts whitespace around the JSON, an empty header and zero-sized tensors', async () => {
    const m = await open('w.safetensors', buildSafetensors(`  ${t({ z: { dtype: 'F32', shape: [0, 4], data_offsets: [0, 0] } })}   `));
    expect(m.tensors.map((x) => [x.name, x.nbytes])).toEqual([['z', 0]]);
    expect((await open('e.safetensors', buildSafetensors('{}        '))).tensors).toEqual([]);
  });
});

describe('safetensors shards: tiny-llama F16 in 2 shards', () => {
  const shards = rebuildShards();
  const index = fixtureBytes('safetensors/sharded/model.safetensors.index.json');
  const src = (i: number) => new MemorySource(`model-0000${i + 1}-of-00002.safetensors`, shards[i]!);
  const idx = () => new MemorySource('model.safetensors.index.json', index);

  it('rebuilt shards are the real files (sha256)', () => {
    expect(shards.map(sha256)).toEqual(SHARD_SHA256);
  });

  for (const withIndex of [true, false]) {
    it(`opens as one model ${withIndex ? 'with' : 'without'} the index, equal to the BF16 checkpoint`, async () => {
      const files: ByteSource[] = [src(1), src(0)];
      if (withIndex) files.push(idx());
      const m = await readSafetensors(files);
      expect(m.files.slice(0, 2)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
      expect(m.tensors.map((x) => x.name)).toEqual(HF_NAMES);
      expect(m.details.get('shards')).toBe('2');
      if (withIndex) expect(m.details.get('index total_size')).toBe('2886144');
      const ref = await open('model.safetensors', bf16);
      const v = m.tensors.find((x) => x.name === 'model.layers.0.self_attn.v_proj.weight')!;
      expect(v.file).toBe('model-00002-of-00002.safetensors');
      const a = new Uint16Array((await v.read(0, v.nbytes)).slice().buffer);
      const rt = ref.tensors.find((x) => x.name === v.name)!;
      const b = new Uint16Array((await rt.read(0, rt.nbytes)).slice().buffer);
      const { f16ToF32Bits, bf16ToF32Bits } = await import('../../../src/codecs/half');
      expect(a.every((h, i) => f16ToF32Bits(h) === bf16ToF32Bits(b[i]!))).toBe(true);
    });
  }

  it('names a missing shard, with and without the index', async () => {
    await expect(readSafetensors([src(0), idx()])).rejects.toThrow(
      'safetensors: sharded set is incomplete: the index names 1 shard(s) that were not given: model-00002-of-00002.safetensors (model.safetensors.index.json)',
    );
    await expect(readSafetensors([src(1)])).rejects.toThrow(
      'safetensors: sharded set is incomplete: 1 of 2 shards missing: model-00001-of-00002.safetensors (model-00002-of-00002.safetensors)',
    );
  });

  it('refuses a duplicate shard and a tensor the index places elsewhere', async () => {
    await expect(readSafetensors([src(0), src(0), src(1)])).rejects.toThrow('safetensors: shard given more than once: model-00001-of-00002.safetensors');
    const moved = JSON.parse(new TextDecoder().decode(index)) as { weight_map: Record<string, string> };
    moved.weight_map['lm_head.weight'] = 'model-00002-of-00002.safetensors';
    const bad = new MemorySource('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify(moved)));
    await expect(readSafetensors([src(0), src(1), bad])).rejects.toThrow(
      'safetensors: model.safetensors.index.json places this tensor in model-00002-of-00002.safetensors, but it is in model-00001-of-00002.safetensors (model-00001-of-00002.safetensors, tensor "lm_head.weight")',
    );
  });

  it('the sharded writer reproduces both shards and the index byte for byte', async () => {
    const m = await readSafetensors([src(0), src(1), idx()]);
    const plan = planSafetensorsShards({
      metadata: new Map([['format', 'pt']]),
      tensors: m.tensors.map((x) => ({ name: x.name, type: x.type!, shape: x.shape })),
      // shard 1 holds 1639424 bytes; the next tensor (65536) must not fit
      maxShardBytes: 1_650_000,
    });
    expect(plan.shards.map((s) => s.name)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const sinks = new MemorySinkFactory();
    const w = await writeSafetensorsShards(plan, sinks);
    await copyAll(m, (b) => w.write(b), plan.shards.flatMap((s) => s.tensorIndices));
    await w.finish();
    expect(sha256(sinks.sinks.get('model-00001-of-00002.safetensors')!.bytes())).toBe(SHARD_SHA256[0]);
    expect(sha256(sinks.sinks.get('model-00002-of-00002.safetensors')!.bytes())).toBe(SHARD_SHA256[1]);
    expect(Buffer.from(sinks.sinks.get('model.safetensors.index.json')!.bytes()).equals(Buffer.from(index))).toBe(true);
  });

  it('shards like huggingface_hub: an oversized tensor gets its own shard; one shard means no index', () => {
    const tensors = [
      { name: 'a', type: 'U8' as const, shape: [4] },
      { name: 'big', type: 'U8' as const, shape: [100] },
      { name: 'b', type: 'U8' as const, shape: [4] },
      { name: 'c', type: 'U8' as const, shape: [4] },
    ];
    const p = planSafetensorsShards({ tensors, maxShardBytes: 8 });
    expect(p.shards.map((s) => [s.name, s.tensorIndices])).toEqual([
      ['model-00001-of-00003.safetensors', [1]],
      ['model-00002-of-00003.safetensors', [0, 2]],
      ['model-00003-of-00003.safetensors', [3]],
    ]);
    expect(planSafetensorsShards({ tensors, maxShardBytes: 1000 }).index).toBeNull();
  });
});

describe('index JSON as Python writes it', () => {
  it('sorts by code point and escapes like json.dumps(indent=2, sort_keys=True)', () => {
    const v = {
      metadata: { total_size: 12 },
      weight_map: Object.fromEntries([
        ['z\u00e9', 'f\u{1F600}.safetensors'],
        ['a"b\\c\n\x7f', 'x'],
        ['\uffff', 'y'],
        ['\u{10000}', 'w'],
        ['A', 'q'],
      ]),
    };
    // printed by CPython 3.11: json.dumps(v, indent=2, sort_keys=True)
    const want =
      '{\n  "metadata": {\n    "total_size": 12\n  },\n  "weight_map": {\n    "A": "q",\n    "a\\"b\\\\c\\n\\u007f": "x",\n    "z\\u00e9": "f\\ud83d\\ude00.safetensors",\n    "\\uffff": "y",\n    "\\ud800\\udc00": "w"\n  }\n}';
    expect(pythonJsonDumps(v)).toBe(want);
    expect(pythonJsonDumps({})).toBe('{}');
  });
});

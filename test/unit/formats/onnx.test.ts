import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { UnsupportedError } from '../../../src/formats/errors';
import type { ModelView, TensorInfo } from '../../../src/formats/model';
import { readOnnx } from '../../../src/formats/onnx/reader';
import { VARINT_CHUNK_BYTES } from '../../../src/formats/onnx/typed-data';
import { fixtureBytes, fixtureJson } from '../../support/fixtures';
import { FLOAT, INT32, INT64, model, onnxFile, tensor, DOUBLE } from './onnx-build';
import { CountingSource, pb, SparseSource } from './protobuf-build';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fx = (name: string, as = name): MemorySource => new MemorySource(as, fixtureBytes(`onnx/${name}`));
const byName = (v: ModelView): Map<string, TensorInfo> => new Map(v.tensors.map((t) => [t.name, t]));

interface Expected {
  name: string;
  dtype: string;
  dims: number[];
  hex: string | null;
  external?: Record<string, string>;
}

const TYPE_OF: Record<string, string> = {
  FLOAT: 'F32', DOUBLE: 'F64', FLOAT16: 'F16', BFLOAT16: 'BF16', INT8: 'I8', INT16: 'I16', INT32: 'I32', INT64: 'I64',
  UINT8: 'U8', UINT16: 'U16', UINT32: 'U32', UINT64: 'U64', BOOL: 'BOOL', FLOAT8E4M3FN: 'F8_E4M3', FLOAT8E5M2: 'F8_E5M2',
};

async function checkAgainst(v: ModelView, exp: Expected[]): Promise<number> {
  const t = byName(v);
  expect(v.tensors.length).toBe(exp.length);
  let compared = 0;
  for (const e of exp) {
    const x = t.get(e.name);
    expect(x, e.name).toBeDefined();
    expect(x!.shape, e.name).toEqual(e.dims);
    if (e.hex === null) {
      expect(x!.type, e.name).toBeNull();
      await expect(x!.read(0, 1)).rejects.toBeInstanceOf(UnsupportedError);
      continue;
    }
    expect([x!.type, x!.typeLabel], e.name).toEqual([TYPE_OF[e.dtype], e.dtype]);
    expect(hex(await x!.read(0, x!.nbytes)), e.name).toBe(e.hex);
    compared++;
  }
  return compared;
}

describe('models written by python3-onnx (make_models.py, values from numpy)', () => {
  it('typed.onnx: raw_data and every typed field', async () => {
    const v = await readOnnx([fx('typed.onnx')]);
    expect(await checkAgainst(v, fixtureJson<Expected[]>('onnx/typed.expected.json'))).toBe(21);
    const labels = Object.fromEntries(v.tensors.filter((t) => t.type === null).map((t) => [t.name, t.typeLabel]));
    expect(labels).toEqual({ strings: 'STRING', c64: 'COMPLEX64', sp: 'sparse FLOAT (3 stored values)' });
  });

  it('typed.onnx: metadata and details', async () => {
    const v = await readOnnx([fx('typed.onnx')]);
    const meta = Object.fromEntries([...v.metadata].map(([k, m]) => [k, m.value]));
    expect(meta).toEqual({
      'onnx.ir_version': 8n,
      'onnx.producer_name': 'kiln-fixture',
      'onnx.producer_version': '1.0',
      'onnx.domain': 'test.kiln',
      'onnx.model_version': 7n,
      'onnx.doc_string': 'Typed-field fixture for Tensor Kiln',
      'onnx.graph.name': 'kiln_typed',
      'onnx.graph.doc_string': 'graph doc',
      'onnx.opset_import.ai.onnx': 13n,
      'onnx.opset_import.com.microsoft': 1n,
      'onnx.metadata_props.author': 'kiln',
      'onnx.metadata_props.license': 'MIT',
    });
    expect(v.details.get('graph nodes')).toBe('3');
    expect(v.details.get('opsets')).toBe('ai.onnx 13, com.microsoft 1');
  });

  it('float8.onnx: FLOAT8E4M3FN / E5M2 decode; FNUZ, INT4, UINT4, FLOAT4E2M1 are listed', async () => {
    const v = await readOnnx([fx('float8.onnx')]);
    expect(await checkAgainst(v, fixtureJson<Expected[]>('onnx/float8.expected.json'))).toBe(2);
    expect(v.tensors.filter((t) => t.type === null).map((t) => [t.typeLabel, t.nbytes])).toEqual([
      ['FLOAT8E4M3FNUZ', 2],
      ['INT4', 2],
      ['UINT4', 2],
      ['FLOAT4E2M1', 2],
    ]);
  });

  it('external.onnx: tensors in the side file at the offsets onnx.save wrote', async () => {
    const exp = fixtureJson<Expected[]>('onnx/external.expected.json');
    const v = await readOnnx([fx('external.onnx.data', 'dir/external.onnx.data'), fx('external.onnx', 'dir/external.onnx')]);
    expect(await checkAgainst(v, exp)).toBe(3);
    expect(v.files).toEqual(['dir/external.onnx', 'dir/external.onnx.data']);
    for (const e of exp) {
      const t = byName(v).get(e.name)!;
      expect([t.file, t.fileOffset]).toEqual(['dir/external.onnx.data', Number(e.external!.offset)]);
    }
  });

  it('subgraph.onnx: initializers inside If branches, two levels deep, listed with the main graph\'s', async () => {
    const v = await readOnnx([fx('subgraph.onnx')]);
    expect(await checkAgainst(v, fixtureJson<Expected[]>('onnx/subgraph.expected.json'))).toBe(4);
    expect(v.details.get('subgraphs')).toBe('4 (3 initializers)');
    expect(v.details.get('graph nodes')).toBe('5'); // the five make_node calls, across all graphs
  });

  it('external.onnx without its side file names the missing file', async () => {
    await expect(readOnnx([fx('external.onnx')])).rejects.toThrow(
      'onnx: external data file "external.onnx.data" was not given (files: external.onnx) (external.onnx, offset 56, tensor "ext_w")',
    );
  });

  it('reads any sub-range as that slice of the whole', async () => {
    const v = await readOnnx([fx('typed.onnx')]);
    for (const x of v.tensors.filter((t) => t.type !== null && t.nbytes > 1)) {
      const whole = await x.read(0, x.nbytes);
      const step = Math.max(1, Math.floor(x.nbytes / 40));
      for (let o = 0; o < x.nbytes; o += step) {
        for (const n of [1, 3, 9]) {
          if (o + n > x.nbytes) continue;
          expect(hex(await x.read(o, n)), `${x.name} @${o}+${n}`).toBe(hex(whole.subarray(o, o + n)));
        }
      }
    }
  });
});

describe('streaming', () => {
  it('opens a 3 GB model (a 3e9-byte raw_data) with bounded reads and reads its tail lazily', async () => {
    const n = 750_000_000; // f32 elements: 3e9 bytes
    const head = pb().int(1, 8).msg(8, pb().int(2, 13)).finish();
    // graph { initializer { dims n; data_type FLOAT; name "big"; raw_data <3e9 bytes> } } then a small tensor
    const tensorHead = pb().int(1, n).int(2, FLOAT).bytes(8, 'big').tag(9, 2).varint(4 * n).finish();
    const small = pb().msg(5, tensor({ name: 'small', dataType: FLOAT, dims: [1], floatData: [2.5] })).finish();
    const initLen = tensorHead.length + 4 * n;
    const initHead = pb().tag(5, 2).varint(initLen).finish();
    const graphLen = initHead.length + initLen + small.length;
    const graphHead = pb().tag(7, 2).varint(graphLen).finish();
    const pre = new Uint8Array([...head, ...graphHead, ...initHead, ...tensorHead]);
    const size = pre.length + 4 * n + small.length;
    const lastFloat = Uint8Array.from([0, 0, 0x80, 0x3f]); // 1.0 as the last element
    const src = new CountingSource(
      new SparseSource('big.onnx', size, [
        { at: 0, bytes: pre },
        { at: pre.length + 4 * n - 4, bytes: lastFloat },
        { at: size - small.length, bytes: small },
      ]),
    );
    const v = await readOnnx([src]);
    expect(src.bytesRead).toBeLessThan(2 << 20);
    expect(src.largestRead).toBeLessThanOrEqual(256 * 1024);
    const big = byName(v).get('big')!;
    expect([big.nbytes, big.fileOffset]).toEqual([4 * n, pre.length]);
    expect(hex(await big.read(4 * n - 4, 4))).toBe('0000803f');
    expect(Array.from(new Float32Array((await byName(v).get('small')!.read(0, 4)).slice().buffer))).toEqual([2.5]);
  });

  it('decodes varints that straddle read chunks, and reads far into a tensor from checkpoints', async () => {
    const count = Math.ceil((VARINT_CHUNK_BYTES * 2.5) / 10); // 10-byte negative varints across 3 chunks
    const vals = Array.from({ length: count }, (_, i) => -1 - i);
    const src = new CountingSource(onnxFile(model({ initializers: [tensor({ name: 'neg', dataType: INT32, dims: [count], int32Data: vals })] })));
    const t = (await readOnnx([src])).tensors[0]!;
    const all = new Int32Array((await t.read(0, t.nbytes)).slice().buffer);
    expect(all.length).toBe(count);
    let bad = 0;
    for (let i = 0; i < count; i++) if (all[i] !== -1 - i) bad++;
    expect(bad).toBe(0);
    // a second read near the end resumes from a checkpoint instead of decoding from the start
    const before = src.bytesRead;
    const tail = new Int32Array((await t.read(t.nbytes - 8, 8)).slice().buffer);
    expect(Array.from(tail)).toEqual([-count + 1, -count]);
    expect(src.bytesRead - before).toBeLessThan(2 * VARINT_CHUNK_BYTES);
  });

  it('decodes any int32 / int64 / uint64 values an independent encoder wrote, at any read window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        async (i32, i64, u64, cut) => {
          const m = model({
            initializers: [
              tensor({ name: 'a', dataType: INT32, dims: [i32.length], int32Data: i32 }),
              tensor({ name: 'b', dataType: INT64, dims: [i64.length], int64Data: i64 }),
              tensor({ name: 'c', dataType: 13, dims: [u64.length], uint64Data: u64 }),
            ],
          });
          const t = byName(await readOnnx([onnxFile(m)]));
          const a = t.get('a')!;
          expect(Array.from(new Int32Array((await a.read(0, a.nbytes)).slice().buffer))).toEqual(i32);
          const b = t.get('b')!;
          const o = 8 * (cut % i64.length);
          expect(Array.from(new BigInt64Array((await b.read(o, b.nbytes - o)).slice().buffer))).toEqual(i64.slice(o / 8));
          const c = t.get('c')!;
          expect(Array.from(new BigUint64Array((await c.read(0, c.nbytes)).slice().buffer))).toEqual(u64);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts unpacked repeated values and packed dims', async () => {
    const m = model({
      initializers: [
        tensor({ name: 'f', dataType: FLOAT, dims: [3], floatData: [1, -2, 0.5], unpacked: true }),
        tensor({ name: 'i', dataType: INT64, dims: [2, 1], packedDims: true, int64Data: [-5n, 1n << 40n], unpacked: true }),
        tensor({ name: 'd', dataType: DOUBLE, dims: [2], doubleData: [0.25, -8], unpacked: true }),
      ],
    });
    const t = byName(await readOnnx([onnxFile(m)]));
    expect(Array.from(new Float32Array((await t.get('f')!.read(0, 12)).slice().buffer))).toEqual([1, -2, 0.5]);
    expect(Array.from(new BigInt64Array((await t.get('i')!.read(0, 16)).slice().buffer))).toEqual([-5n, 1n << 40n]);
    expect(t.get('i')!.shape).toEqual([2, 1]);
    expect(Array.from(new Float64Array((await t.get('d')!.read(0, 16)).slice().buffer))).toEqual([0.25, -8]);
  });

  it('lists a segmented TensorProto with type null', async () => {
    const m = model({ initializers: [tensor({ name: 's', dataType: FLOAT, dims: [1], raw: new Uint8Array(4), segment: true })] });
    const t = (await readOnnx([onnxFile(m)])).tensors[0]!;
    expect([t.type, t.typeLabel]).toEqual([null, 'FLOAT (segmented TensorProto, not handled)']);
  });

  it('picks the .onnx among several files', async () => {
    const m = model({ initializers: [tensor({ name: 'w', dataType: FLOAT, dims: [1], floatData: [1] })] });
    const files: ByteSource[] = [new MemorySource('weights.bin', new Uint8Array(8)), onnxFile(m, 'model.onnx')];
    expect((await readOnnx(files)).files).toEqual(['model.onnx']);
  });
});

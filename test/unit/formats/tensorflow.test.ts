import { describe, expect, it } from 'vitest';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { UnsupportedError } from '../../../src/formats/errors';
import type { ModelView, TensorInfo } from '../../../src/formats/model';
import { verifyTensorflowChecksum } from '../../../src/formats/tensorflow/checksum';
import { crc32c, maskCrc, unmaskCrc } from '../../../src/formats/tensorflow/crc32c';
import { readTensorflow } from '../../../src/formats/tensorflow/reader';
import { fixtureBytes, fixtureJson } from '../../support/fixtures';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const src = (rel: string, name = rel.slice(rel.lastIndexOf('/') + 1)): MemorySource => new MemorySource(name, fixtureBytes(`tensorflow/${rel}`));
const byName = (v: ModelView): Map<string, TensorInfo> => new Map(v.tensors.map((t) => [t.name, t]));
const f32 = async (t: TensorInfo): Promise<number[]> => Array.from(new Float32Array((await t.read(0, t.nbytes)).slice().buffer));

function real(model: string): ByteSource[] {
  return ['variables.index', 'variables.data-00000-of-00001'].map((f) => src(`real/${model}/${f}`, `variables/${f}`));
}

describe('crc32c', () => {
  it('gives the standard check value and masks as LevelDB does', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 zero bytes
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    for (const c of [0, 1, 0xe3069283, 0xffffffff]) expect(unmaskCrc(maskCrc(c))).toBe(c);
  });
});

describe('bundles written by TensorFlow (tensorflow/serving test data)', () => {
  // saved_model_half_plus_two.py: a = 0.5, b = 2, c = 3 (a2 / c2 copies); export_counter.py: counter = 0.0
  it('half_plus_two (Snappy-compressed index)', async () => {
    const v = await readTensorflow(real('saved_model_half_plus_two_cpu'));
    expect(v.details.get('index')).toBe('1 data block(s), Snappy-compressed');
    expect(v.tensors.map((t) => [t.name, t.type, t.shape.length])).toEqual([
      ['a', 'F32', 0],
      ['a2', 'F32', 0],
      ['b', 'F32', 0],
      ['c', 'F32', 0],
      ['c2', 'F32', 0],
    ]);
    const got = await Promise.all(v.tensors.map(f32));
    expect(got).toEqual([[0.5], [0.5], [2], [3], [3]]);
    for (const t of v.tensors) await verifyTensorflowChecksum(t); // CRCs written by TensorFlow
    expect(v.files).toEqual(['variables/variables.index', 'variables/variables.data-00000-of-00001']);
  });

  it('TF2 object graph: the DT_STRING entry is listed, not dropped', async () => {
    const v = await readTensorflow(real('saved_model_half_plus_two_tf2_cpu'));
    const t = byName(v);
    const graph = t.get('_CHECKPOINTABLE_OBJECT_GRAPH')!;
    expect([graph.type, graph.typeLabel, graph.nbytes > 0]).toEqual([null, 'DT_STRING', true]);
    await expect(graph.read(0, 1)).rejects.toBeInstanceOf(UnsupportedError);
    expect(await f32(t.get('a/.ATTRIBUTES/VARIABLE_VALUE')!)).toEqual([0.5]);
    expect(await f32(t.get('b/.ATTRIBUTES/VARIABLE_VALUE')!)).toEqual([2]);
    expect(await f32(t.get('c/.ATTRIBUTES/VARIABLE_VALUE')!)).toEqual([3]);
  });

  it('mkl variant (uncompressed index, 4-D kernels) and counter', async () => {
    const v = await readTensorflow(real('saved_model_half_plus_two_mkl'));
    expect(v.details.get('index')).toBe('1 data block(s), uncompressed');
    const t = byName(v);
    expect(t.get('conv2d/kernel')!.shape).toEqual([1, 1, 1, 1]);
    expect(t.get('conv2d_1/bias')!.shape).toEqual([1]);
    expect(await f32(t.get('c')!)).toEqual([3]);
    for (const x of v.tensors) await verifyTensorflowChecksum(x);
    const c = await readTensorflow(real('saved_model_counter'));
    expect(c.tensors.map((x) => x.name)).toEqual(['counter']);
    expect(await f32(c.tensors[0]!)).toEqual([0]);
  });
});

interface Expected {
  num_shards: number;
  tensors: { name: string; dtype: string; shape: number[]; hex?: string; stored_size?: number; partitioned?: number }[];
}

const TYPE_OF: Record<string, string> = {
  DT_FLOAT: 'F32', DT_DOUBLE: 'F64', DT_HALF: 'F16', DT_BFLOAT16: 'BF16', DT_INT8: 'I8', DT_INT16: 'I16', DT_INT32: 'I32',
  DT_INT64: 'I64', DT_UINT8: 'U8', DT_UINT16: 'U16', DT_UINT32: 'U32', DT_UINT64: 'U64', DT_BOOL: 'BOOL',
  DT_FLOAT8_E4M3FN: 'F8_E4M3', DT_FLOAT8_E5M2: 'F8_E5M2',
};

function multiFiles(): ByteSource[] {
  return ['multi.ckpt.data-00001-of-00002', 'multi.ckpt.index', 'multi.ckpt.data-00000-of-00002'].map((f) => src(f, `ckpt/${f}`));
}

describe('generated bundles (make_bundles.py, values from numpy)', () => {
  it('multi.ckpt: every dtype, two shards, a partitioned tensor, strings', async () => {
    const exp = fixtureJson<Expected>('tensorflow/multi.expected.json');
    const v = await readTensorflow(multiFiles());
    expect(v.files).toEqual(['ckpt/multi.ckpt.index', 'ckpt/multi.ckpt.data-00000-of-00002', 'ckpt/multi.ckpt.data-00001-of-00002']);
    expect(v.details.get('shards')).toBe('2');
    expect(v.details.get('index')).toMatch(/^5 data block\(s\), Snappy-compressed$/);
    const t = byName(v);
    expect(v.tensors.length).toBe(exp.tensors.length);
    let compared = 0;
    for (const e of exp.tensors) {
      const x = t.get(e.name);
      expect(x, e.name).toBeDefined();
      expect(x!.shape, e.name).toEqual(e.shape);
      if (e.partitioned !== undefined) {
        expect([x!.type, x!.typeLabel]).toEqual([null, `${e.dtype}, partitioned into ${e.partitioned} slices`]);
        await expect(x!.read(0, 4)).rejects.toBeInstanceOf(UnsupportedError);
      } else if (e.hex === undefined || TYPE_OF[e.dtype] === undefined) {
        expect([x!.type, x!.typeLabel]).toEqual([null, e.dtype]);
        if (e.stored_size !== undefined) expect(x!.nbytes).toBe(e.stored_size);
      } else {
        expect(x!.type, e.name).toBe(TYPE_OF[e.dtype]);
        expect(x!.typeLabel).toBe(e.dtype);
        expect(hex(await x!.read(0, x!.nbytes)), e.name).toBe(e.hex);
        await verifyTensorflowChecksum(x!);
        compared++;
      }
    }
    expect(compared).toBe(exp.tensors.length - 3); // all but cplx, vocab, part/w
  });

  it('reads any sub-range of a tensor as that slice of the whole', async () => {
    const v = await readTensorflow(multiFiles());
    for (const x of v.tensors.filter((t) => t.type !== null && t.nbytes > 1)) {
      const whole = await x.read(0, x.nbytes);
      for (let o = 0; o < x.nbytes; o += 3) {
        const n = Math.min(5, x.nbytes - o);
        expect(hex(await x.read(o, n))).toBe(hex(whole.subarray(o, o + n)));
      }
    }
    const k = byName(v).get('dense/kernel')!;
    await expect(k.read(40, 9)).rejects.toThrow(RangeError);
  });

  it('be.ckpt: big-endian bundles come out little-endian, at any alignment', async () => {
    const exp = fixtureJson<Expected>('tensorflow/be.expected.json');
    const v = await readTensorflow([src('be.ckpt.index'), src('be.ckpt.data-00000-of-00001')]);
    expect(v.details.get('byte order')).toBe('big-endian (swapped to little-endian on read)');
    const t = byName(v);
    for (const e of exp.tensors) {
      const x = t.get(e.name)!;
      expect(hex(await x.read(0, x.nbytes)), e.name).toBe(e.hex);
      for (let o = 0; o < x.nbytes; o++) {
        for (const n of [1, 3, 7]) {
          if (o + n > x.nbytes) continue;
          expect(hex(await x.read(o, n))).toBe(e.hex!.slice(2 * o, 2 * (o + n)));
        }
      }
      await verifyTensorflowChecksum(x); // the CRC covers the big-endian bytes as stored
      if (x.type === 'U8') expect(x.fileOffset).toBeGreaterThanOrEqual(0);
      else expect(x.fileOffset).toBe(-1); // swapped on read: not a plain byte range
    }
  });

  it('the checksum helper catches a flipped data byte', async () => {
    const data = fixtureBytes('tensorflow/multi.ckpt.data-00000-of-00002');
    const files = multiFiles();
    const v0 = byName(await readTensorflow(files)).get('dense/kernel')!;
    data[v0.fileOffset + 5]! ^= 0x10;
    files[2] = new MemorySource('ckpt/multi.ckpt.data-00000-of-00002', data);
    const k = byName(await readTensorflow(files)).get('dense/kernel')!;
    await expect(verifyTensorflowChecksum(k)).rejects.toThrow(
      /^tensorflow: data checksum mismatch over 48 bytes: entry says crc32c 0x[0-9a-f]{8}, data gives 0x[0-9a-f]{8} \(ckpt\/multi\.ckpt\.data-00000-of-00002, offset 0, tensor "dense\/kernel"\)$/,
    );
  });

  it('names the missing shard file', async () => {
    const files = multiFiles().filter((f) => !f.name.endsWith('00001-of-00002'));
    await expect(readTensorflow(files)).rejects.toThrow(/data file ckpt\/multi\.ckpt\.data-00001-of-00002 \(shard 1\) was not given/);
  });
});

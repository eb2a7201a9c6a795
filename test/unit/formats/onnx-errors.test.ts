import { describe, expect, it } from 'vitest';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { readOnnx } from '../../../src/formats/onnx/reader';
import { FLOAT, INT32, INT64, INT8, model, onnxFile, tensor, UINT32, type TensorSpec } from './onnx-build';
import { pb } from './protobuf-build';

/** One small byte-built model per error the reader names (open time). */
async function err(files: ByteSource[] | Uint8Array): Promise<string> {
  try {
    await readOnnx(files instanceof Uint8Array ? [onnxFile(files)] : files);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return (e as Error).message;
  }
  return 'no error';
}

const one = (t: TensorSpec): Uint8Array => model({ initializers: [tensor({ name: 'w', ...t })] });

/** Error raised when the tensor's bytes are read (varint fields are decoded lazily). */
async function readErr(t: TensorSpec): Promise<string> {
  const v = await readOnnx([onnxFile(one(t))]);
  const x = v.tensors[0]!;
  try {
    await x.read(0, x.nbytes);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return (e as Error).message;
  }
  return 'no error';
}

describe('model layer', () => {
  it('not an ONNX model (no ir_version)', async () => {
    expect(await err(pb().bytes(2, 'producer').finish())).toBe(
      'onnx: ModelProto has no ir_version (field 1), which every ONNX model carries: not an ONNX model (m.onnx, offset 0)',
    );
    expect(await err(model({ irVersion: null }))).toMatch(/no ir_version/);
  });
  it('a field running past the end of the file', async () => {
    expect(await err(Uint8Array.from([0x08, 0x08, 0x3a, 0x10, 0x01]))).toBe('onnx: field 7 declares 16 bytes but its message has 1 left (m.onnx, offset 2)');
  });
  it('no file at all', async () => {
    expect(await err([])).toBe('onnx: no file given ((no files))');
  });
  it('duplicate initializer names', async () => {
    const t = tensor({ name: 'w', dataType: FLOAT, dims: [1], floatData: [1] });
    expect(await err(model({ initializers: [t, t] }))).toBe('onnx: two initializers are named "w" (m.onnx, tensor "w")');
  });
  it('subgraphs nested past the reader\'s depth bound, and an attribute graph of the wrong wire type', async () => {
    // graph -> node -> attribute -> graph, twelve times: 37 messages deep
    let g = pb().bytes(2, 'innermost');
    for (let i = 0; i < 12; i++) g = pb().msg(1, pb().bytes(4, 'If').msg(5, pb().bytes(1, 'then_branch').msg(6, g)));
    const deep = pb().int(1, 8).msg(7, g).finish();
    expect(await err(deep)).toMatch(/^onnx: messages nested deeper than 32 \(m\.onnx, offset \d+\)$/);
    const wire = pb().int(1, 8).msg(7, pb().msg(1, pb().msg(5, pb().int(6, 3)))).finish(); // attribute g as a varint
    expect(await err(wire)).toMatch(/^onnx: field 6 has wire type VARINT where LEN was expected \(m\.onnx, offset \d+\)$/);
  });
  it('a known field with the wrong wire type', async () => {
    const bad = pb().bytes(2, 'x').bytes(8, 'w').finish(); // data_type as LEN
    expect(await err(model({ initializers: [pb().rawBytes(bad)] }))).toMatch(/^onnx: field 2 has wire type LEN where VARINT was expected \(m\.onnx, offset \d+\)$/);
  });
});

describe('tensor layer (open time)', () => {
  it('raw_data length against dims', async () => {
    expect(await err(one({ dataType: FLOAT, dims: [3], raw: new Uint8Array(8) }))).toMatch(
      /^onnx: raw_data holds 8 bytes but FLOAT \[3\] needs 12 \(m\.onnx, offset \d+, tensor "w"\)$/,
    );
  });
  it('two value fields', async () => {
    expect(await err(one({ dataType: FLOAT, dims: [1], raw: new Uint8Array(4), floatData: [1] }))).toMatch(
      /^onnx: holds values in float_data and raw_data; a tensor uses exactly one field \(m\.onnx, offset \d+, tensor "w"\)$/,
    );
  });
  it('values in the field another type uses', async () => {
    expect(await err(one({ dataType: FLOAT, dims: [1], int64Data: [1] }))).toMatch(/^onnx: values are in int64_data but FLOAT stores them in float_data /);
  });
  it('no values at all', async () => {
    expect(await err(one({ dataType: FLOAT, dims: [2] }))).toMatch(/^onnx: no values: FLOAT \[2\] has neither raw_data, float_data nor external data /);
  });
  it('fixed-width value count against dims', async () => {
    expect(await err(one({ dataType: FLOAT, dims: [3], floatData: [1, 2] }))).toMatch(/^onnx: float_data holds 2 values but dims \[3\] need 3 /);
  });
  it('varint bytes that cannot hold the element count', async () => {
    expect(await err(one({ dataType: INT32, dims: [5], int32Data: [1] }))).toMatch(
      /^onnx: int32_data holds 1 bytes, which cannot encode the 5 values dims \[5\] need /,
    );
  });
  it('negative dim, too many dims, too many elements', async () => {
    expect(await err(one({ dataType: FLOAT, dims: [-1], floatData: [] }))).toMatch(/^onnx: dims \[-1\] has a negative dimension /);
    expect(await err(one({ dataType: FLOAT, dims: new Array(65).fill(1), floatData: [1] }))).toMatch(/^onnx: dims: more than 64 dims /);
    expect(await err(one({ dataType: FLOAT, dims: [2 ** 27, 2 ** 27], floatData: [1] }))).toMatch(/^onnx: dims \[134217728, 134217728\] hold more than 2\^53 elements/);
    expect(await err(one({ dataType: FLOAT, dims: [2 ** 26, 2 ** 26], floatData: [1] }))).toMatch(/^onnx: dims \[67108864, 67108864\] need more than 2\^53 bytes/);
  });
  it('bad data_location', async () => {
    expect(await err(one({ dataType: FLOAT, dims: [1], floatData: [1], dataLocation: 2 }))).toMatch(/^onnx: data_location 2 is neither DEFAULT \(0\) nor EXTERNAL \(1\) /);
  });
});

describe('external data', () => {
  const side = new MemorySource('w.bin', new Uint8Array(16));
  const ext = (e: Record<string, string>, dims = [2]): ByteSource[] => [onnxFile(one({ dataType: FLOAT, dims, external: e, dataLocation: 1 })), side];
  it('no location', async () => {
    expect(await err(ext({ offset: '0' }))).toMatch(/^onnx: data_location is EXTERNAL but external_data has no "location" /);
  });
  it('missing file', async () => {
    expect(await err(ext({ location: 'other.bin' }))).toMatch(/^onnx: external data file "other\.bin" was not given \(files: m\.onnx, w\.bin\) \(m\.onnx, offset \d+, tensor "w"\)$/);
  });
  it('range outside the file', async () => {
    expect(await err(ext({ location: 'w.bin', offset: '12' }))).toBe('onnx: external bytes [12, 20) lie outside w.bin (16 bytes) (w.bin, offset 12, tensor "w")');
  });
  it('length that does not match dims', async () => {
    expect(await err(ext({ location: 'w.bin', length: '4' }))).toMatch(/^onnx: external_data length 4 but FLOAT \[2\] needs 8 bytes /);
  });
  it('offset that is not a number', async () => {
    expect(await err(ext({ location: 'w.bin', offset: '1e3' }))).toMatch(/^onnx: external_data "offset" is "1e3", not a byte count /);
  });
  it('resolves ./ and folder-relative locations', async () => {
    const v = await readOnnx([new MemorySource('m/model.onnx', one({ dataType: FLOAT, dims: [2], external: { location: './w.bin', offset: '8' }, dataLocation: 1 })), new MemorySource('m/w.bin', new Uint8Array(16))]);
    expect([v.tensors[0]!.file, v.tensors[0]!.fileOffset]).toEqual(['m/w.bin', 8]);
  });
});

describe('typed values (read time)', () => {
  it('fewer values than dims', async () => {
    expect(await readErr({ dataType: INT32, dims: [3], int32Data: [300, 1] })).toMatch(/^onnx: int32_data: holds 2 values but the shape needs 3 \(m\.onnx, offset \d+, tensor "w"\)$/);
  });
  it('more values than dims', async () => {
    expect(await readErr({ dataType: INT32, dims: [2], int32Data: [1, 2, 3] })).toMatch(/^onnx: int32_data: 1 bytes of values remain after the 2 the shape needs /);
  });
  it('values outside the element type', async () => {
    expect(await readErr({ dataType: INT8, dims: [2], int32Data: [1, 300] })).toMatch(/^onnx: int32_data: value 300 at element 1 is outside -128\.\.127 for INT8 /);
    expect(await readErr({ dataType: UINT32, dims: [1], uint64Data: [2 ** 32] })).toMatch(/^onnx: uint64_data: value at element 0 exceeds 2\^32 - 1 for UINT32 /);
  });
  it('an overlong varint', async () => {
    const bad = pb().int(1, 2).int(2, INT64).bytes(8, 'w').bytes(7, Uint8Array.from([...new Array(10).fill(0xff), 0x01, 0x01])).finish();
    const v = await readOnnx([onnxFile(model({ initializers: [pb().rawBytes(bad)] }))]);
    await expect(v.tensors[0]!.read(0, 16)).rejects.toThrow(/^onnx: int64_data: overlong varint at element 0 /);
  });
});

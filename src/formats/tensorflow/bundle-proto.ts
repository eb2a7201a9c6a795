import type { TypeName } from '../../codecs/catalogue';
import { ProtoBytes, WIRE_LEN, WIRE_VARINT, type ProtoWhere } from '../protobuf/wire';
import { TF_MAX_DIMS, TF_MAX_SLICES } from './limits';

/**
 * The messages of tensorflow/core/protobuf/tensor_bundle.proto and the pieces they use
 * (tensor_shape.proto, tensor_slice.proto, versions.proto, types.proto), decoded from the bytes
 * of one index entry. Field numbers are those of the .proto files; unknown fields are skipped
 * as protobuf requires.
 */

/** types.proto DataType -> catalogue type (null: listed but not decodable) and its spelling. */
const DTYPES: ReadonlyMap<number, readonly [TypeName | null, string]> = new Map([
  [1, ['F32', 'DT_FLOAT']],
  [2, ['F64', 'DT_DOUBLE']],
  [3, ['I32', 'DT_INT32']],
  [4, ['U8', 'DT_UINT8']],
  [5, ['I16', 'DT_INT16']],
  [6, ['I8', 'DT_INT8']],
  [7, [null, 'DT_STRING']],
  [8, [null, 'DT_COMPLEX64']],
  [9, ['I64', 'DT_INT64']],
  [10, ['BOOL', 'DT_BOOL']],
  [11, [null, 'DT_QINT8']],
  [12, [null, 'DT_QUINT8']],
  [13, [null, 'DT_QINT32']],
  [14, ['BF16', 'DT_BFLOAT16']],
  [15, [null, 'DT_QINT16']],
  [16, [null, 'DT_QUINT16']],
  [17, ['U16', 'DT_UINT16']],
  [18, [null, 'DT_COMPLEX128']],
  [19, ['F16', 'DT_HALF']],
  [20, [null, 'DT_RESOURCE']],
  [21, [null, 'DT_VARIANT']],
  [22, ['U32', 'DT_UINT32']],
  [23, ['U64', 'DT_UINT64']],
  [24, ['F8_E5M2', 'DT_FLOAT8_E5M2']],
  [25, ['F8_E4M3', 'DT_FLOAT8_E4M3FN']],
  [26, [null, 'DT_FLOAT8_E4M3FNUZ']],
  [27, [null, 'DT_FLOAT8_E4M3B11FNUZ']],
  [28, [null, 'DT_FLOAT8_E5M2FNUZ']],
  [29, [null, 'DT_INT4']],
  [30, [null, 'DT_UINT4']],
  [31, [null, 'DT_INT2']],
  [32, [null, 'DT_UINT2']],
]);

export function tfDtype(dt: number): readonly [TypeName | null, string] {
  return DTYPES.get(dt) ?? [null, `DataType ${dt} (unknown)`];
}

export interface BundleHeader {
  numShards: number;
  /** 0 LITTLE, 1 BIG. */
  endianness: number;
  producer: number;
  minConsumer: number;
  badConsumers: number[];
}

/** One TensorSliceProto extent: start and length, or null length for "all of this dimension". */
export interface Extent {
  readonly start: number;
  readonly length: number | null;
}

export interface BundleEntry {
  dtype: number;
  /** [] when absent (proto3 default: a scalar); null when unknown_rank is set. */
  shape: number[] | null;
  shardId: number;
  offset: number;
  size: number;
  /** Masked CRC-32C of the stored bytes; null when the field is absent. */
  crc32c: number | null;
  slices: Extent[][];
}

export function decodeHeader(b: Uint8Array, where: ProtoWhere, base: number): BundleHeader {
  const h: BundleHeader = { numShards: 0, endianness: 0, producer: 0, minConsumer: 0, badConsumers: [] };
  const r = new ProtoBytes(b, where, base);
  while (r.next()) {
    if (r.field === 1 && r.wire === WIRE_VARINT) h.numShards = r.int();
    else if (r.field === 2 && r.wire === WIRE_VARINT) h.endianness = r.int();
    else if (r.field === 3 && r.wire === WIRE_LEN) {
      const v = r.sub();
      while (v.next()) {
        if (v.field === 1 && v.wire === WIRE_VARINT) h.producer = v.int();
        else if (v.field === 2 && v.wire === WIRE_VARINT) h.minConsumer = v.int();
        else if (v.field === 3 && v.wire === WIRE_VARINT && h.badConsumers.length < 1024) h.badConsumers.push(v.int());
      }
    }
  }
  return h;
}

export function decodeEntry(b: Uint8Array, where: ProtoWhere, base: number): BundleEntry {
  const e: BundleEntry = { dtype: 0, shape: [], shardId: 0, offset: 0, size: 0, crc32c: null, slices: [] };
  const r = new ProtoBytes(b, where, base);
  while (r.next()) {
    switch (r.field) {
      case 1:
        e.dtype = r.int();
        break;
      case 2:
        e.shape = decodeShape(r.sub());
        break;
      case 3:
        e.shardId = r.int();
        break;
      case 4:
        e.offset = r.int();
        break;
      case 5:
        e.size = r.int();
        break;
      case 6:
        e.crc32c = r.fixed32();
        break;
      case 7:
        if (e.slices.length >= TF_MAX_SLICES) r.fail(`more than ${TF_MAX_SLICES} slices`);
        e.slices.push(decodeSlice(r.sub()));
        break;
      default:
        break;
    }
  }
  return e;
}

function decodeShape(r: ProtoBytes): number[] | null {
  const dims: number[] = [];
  let unknownRank = false;
  while (r.next()) {
    if (r.field === 2) {
      if (dims.length >= TF_MAX_DIMS) r.fail(`shape has more than ${TF_MAX_DIMS} dimensions`);
      const d = r.sub();
      let size = 0;
      while (d.next()) if (d.field === 1) size = d.int();
      dims.push(size);
    } else if (r.field === 3 && r.wire === WIRE_VARINT) {
      unknownRank = r.uint() !== 0;
    }
  }
  return unknownRank ? null : dims;
}

function decodeSlice(r: ProtoBytes): Extent[] {
  const out: Extent[] = [];
  while (r.next()) {
    if (r.field !== 1) continue;
    if (out.length >= TF_MAX_DIMS) r.fail(`slice has more than ${TF_MAX_DIMS} extents`);
    const x = r.sub();
    let start = 0;
    let length: number | null = null;
    while (x.next()) {
      if (x.field === 1) start = x.int();
      else if (x.field === 2) length = x.int();
    }
    out.push({ start, length });
  }
  return out;
}

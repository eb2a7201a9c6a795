import { decodeVarint, i64ToSafe, varint, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../protobuf/wire';
import type { ProtoStream } from '../protobuf/stream';
import { ONNX_MAX_DIMS, ONNX_MAX_EXTERNAL_KEYS, ONNX_MAX_STRING_BYTES } from './limits';
import { FIELD_NAMES, STRING_ENTRY, TENSOR, TYPED_FIELDS } from './schema';
import { Segments } from './typed-data';

/**
 * One TensorProto as found in the file: every field that says where values are is kept as
 * file offsets, nothing is decoded. Repeated scalar fields are accepted packed or unpacked, as
 * protobuf parsers must.
 */
export interface TensorDesc {
  /** Offset of the TensorProto's tag, for errors. */
  readonly at: number;
  name: string;
  dataType: number;
  dims: number[];
  hasSegment: boolean;
  raw: { offset: number; length: number } | null;
  /** Typed value fields present, by field number. */
  readonly typed: Map<number, Segments>;
  stringCount: number;
  readonly external: Map<string, string>;
  dataLocation: number;
}

/** Walks the TensorProto the stream has just entered (the caller leaves it). */
export async function readTensorProto(s: ProtoStream, at: number): Promise<TensorDesc> {
  const d: TensorDesc = {
    at,
    name: '',
    dataType: 0,
    dims: [],
    hasSegment: false,
    raw: null,
    typed: new Map(),
    stringCount: 0,
    external: new Map(),
    dataLocation: 0,
  };
  while (await s.next()) {
    const f = s.field;
    switch (f) {
      case TENSOR.dims:
        await readDims(s, d.dims, 'dims', d.at);
        break;
      case TENSOR.data_type:
        d.dataType = s.int();
        break;
      case TENSOR.segment:
        s.expect(WIRE_LEN);
        d.hasSegment = true;
        break;
      case TENSOR.name:
        d.name = await s.string(ONNX_MAX_STRING_BYTES, 'tensor name');
        break;
      case TENSOR.raw_data:
        s.expect(WIRE_LEN);
        d.raw = { offset: s.lenStart, length: s.len };
        break;
      case TENSOR.string_data:
        s.expect(WIRE_LEN);
        d.stringCount++;
        break;
      case TENSOR.external_data: {
        if (d.external.size >= ONNX_MAX_EXTERNAL_KEYS) s.fail(`more than ${ONNX_MAX_EXTERNAL_KEYS} external_data entries`, s.tagAt);
        s.enter();
        let key = '';
        let value = '';
        while (await s.next()) {
          if (s.field === STRING_ENTRY.key) key = await s.string(ONNX_MAX_STRING_BYTES, 'external_data key');
          else if (s.field === STRING_ENTRY.value) value = await s.string(ONNX_MAX_STRING_BYTES, 'external_data value');
        }
        s.leave();
        d.external.set(key, value);
        break;
      }
      case TENSOR.data_location:
        d.dataLocation = s.int();
        break;
      default:
        if ((TYPED_FIELDS as readonly number[]).includes(f)) addTyped(s, d, f);
        break;
    }
  }
  return d;
}

/**
 * Appends the current occurrence of a repeated int64 dims field (packed, or one value) to
 * `out`, refusing more than ONNX_MAX_DIMS values in all. Shared by TensorProto.dims and
 * SparseTensorProto.dims.
 */
export async function readDims(s: ProtoStream, out: number[], what: string, at: number): Promise<void> {
  const push = (v: number, where: number): void => {
    if (out.length >= ONNX_MAX_DIMS) s.fail(`${what}: more than ${ONNX_MAX_DIMS} dims`, at);
    if (Number.isNaN(v)) s.fail(`${what}: a dim exceeds 2^53 - 1 in magnitude`, where);
    out.push(v);
  };
  if (s.wire !== WIRE_LEN) return push(s.int(), s.tagAt);
  const b = await s.bytes(ONNX_MAX_DIMS * 10, `packed ${what}`);
  for (let p = 0; p < b.length; ) {
    const q = decodeVarint(b, p, b.length);
    if (q < 0) s.fail(`${what}: bad varint in packed values`, s.lenStart + p);
    push(i64ToSafe(varint.lo, varint.hi), s.lenStart + p);
    p = q;
  }
}

/** Wire type a single unpacked element of each typed field has. */
const SCALAR_WIRE: Readonly<Record<number, number>> = {
  [TENSOR.float_data]: WIRE_I32,
  [TENSOR.double_data]: WIRE_I64,
  [TENSOR.int32_data]: WIRE_VARINT,
  [TENSOR.int64_data]: WIRE_VARINT,
  [TENSOR.uint64_data]: WIRE_VARINT,
};

function addTyped(s: ProtoStream, d: TensorDesc, f: number): void {
  let segs = d.typed.get(f);
  if (segs === undefined) {
    segs = new Segments();
    d.typed.set(f, segs);
  }
  let ok: boolean;
  if (s.wire === WIRE_LEN) ok = segs.push(s.lenStart, s.len);
  else if (s.wire === SCALAR_WIRE[f]) ok = segs.push(s.valueAt, s.pos - s.valueAt);
  else return s.fail(`${FIELD_NAMES[f]} has wire type ${s.wire}`, s.tagAt);
  if (!ok) s.fail(`${FIELD_NAMES[f]} occurs more than ${segs.count} times (unpacked values); not supported`, s.tagAt);
}

import type { TypeName } from '../../codecs/catalogue';

/**
 * Field numbers and the DataType table of onnx/onnx.proto (onnx/onnx main). Only what the
 * reader uses; every other field is skipped as protobuf requires.
 */

export const MODEL = {
  ir_version: 1,
  producer_name: 2,
  producer_version: 3,
  domain: 4,
  model_version: 5,
  doc_string: 6,
  graph: 7,
  opset_import: 8,
  metadata_props: 14,
} as const;

export const OPSET = { domain: 1, version: 2 } as const;
export const STRING_ENTRY = { key: 1, value: 2 } as const;

export const GRAPH = { node: 1, name: 2, initializer: 5, doc_string: 10, sparse_initializer: 15 } as const;
export const NODE = { attribute: 5 } as const;
/** AttributeProto fields that hold subgraphs (an If's branches, a Loop's or Scan's body). */
export const ATTRIBUTE = { g: 6, graphs: 11 } as const;

export const TENSOR = {
  dims: 1,
  data_type: 2,
  segment: 3,
  float_data: 4,
  int32_data: 5,
  string_data: 6,
  int64_data: 7,
  name: 8,
  raw_data: 9,
  double_data: 10,
  uint64_data: 11,
  external_data: 13,
  data_location: 14,
} as const;

export const SPARSE = { values: 1, indices: 2, dims: 3 } as const;

/** The typed fields that can carry element values. */
export const TYPED_FIELDS = [TENSOR.float_data, TENSOR.int32_data, TENSOR.int64_data, TENSOR.double_data, TENSOR.uint64_data] as const;
export type TypedField = (typeof TYPED_FIELDS)[number];

export const FIELD_NAMES: Readonly<Record<number, string>> = {
  4: 'float_data',
  5: 'int32_data',
  6: 'string_data',
  7: 'int64_data',
  9: 'raw_data',
  10: 'double_data',
  11: 'uint64_data',
};

/**
 * How one element sits in its typed field: fixed-width fields copy straight through; varint
 * fields are decoded and range-checked (min..max of the value read as a signed 32-bit int for
 * int32_data, as unsigned 64-bit for uint64_data, signed 64-bit for int64_data).
 */
export type Storage =
  | { readonly field: 4 | 10; readonly kind: 'fixed' }
  | { readonly field: 5; readonly kind: 'int32'; readonly min: number; readonly max: number }
  | { readonly field: 7; readonly kind: 'int64' }
  | { readonly field: 11; readonly kind: 'uint64'; readonly max32: boolean };

export interface OnnxDtype {
  readonly type: TypeName | null;
  readonly label: string;
  /** Where typed (non-raw) values live; null for types Kiln lists but does not decode. */
  readonly storage: Storage | null;
}

const FLOAT: Storage = { field: 4, kind: 'fixed' };
const DOUBLE: Storage = { field: 10, kind: 'fixed' };
const i32 = (min: number, max: number): Storage => ({ field: 5, kind: 'int32', min, max });

/** TensorProto.DataType: FLOAT16/BFLOAT16/FLOAT8 values travel as their bit patterns in int32_data. */
const DTYPES: ReadonlyMap<number, OnnxDtype> = new Map<number, OnnxDtype>([
  [0, { type: null, label: 'UNDEFINED', storage: null }],
  [1, { type: 'F32', label: 'FLOAT', storage: FLOAT }],
  [2, { type: 'U8', label: 'UINT8', storage: i32(0, 255) }],
  [3, { type: 'I8', label: 'INT8', storage: i32(-128, 127) }],
  [4, { type: 'U16', label: 'UINT16', storage: i32(0, 65535) }],
  [5, { type: 'I16', label: 'INT16', storage: i32(-32768, 32767) }],
  [6, { type: 'I32', label: 'INT32', storage: i32(-2147483648, 2147483647) }],
  [7, { type: 'I64', label: 'INT64', storage: { field: 7, kind: 'int64' } }],
  [8, { type: null, label: 'STRING', storage: null }],
  [9, { type: 'BOOL', label: 'BOOL', storage: i32(0, 1) }],
  [10, { type: 'F16', label: 'FLOAT16', storage: i32(0, 65535) }],
  [11, { type: 'F64', label: 'DOUBLE', storage: DOUBLE }],
  [12, { type: 'U32', label: 'UINT32', storage: { field: 11, kind: 'uint64', max32: true } }],
  [13, { type: 'U64', label: 'UINT64', storage: { field: 11, kind: 'uint64', max32: false } }],
  [14, { type: null, label: 'COMPLEX64', storage: null }],
  [15, { type: null, label: 'COMPLEX128', storage: null }],
  [16, { type: 'BF16', label: 'BFLOAT16', storage: i32(0, 65535) }],
  [17, { type: 'F8_E4M3', label: 'FLOAT8E4M3FN', storage: i32(0, 255) }],
  [18, { type: null, label: 'FLOAT8E4M3FNUZ', storage: null }],
  [19, { type: 'F8_E5M2', label: 'FLOAT8E5M2', storage: i32(0, 255) }],
  [20, { type: null, label: 'FLOAT8E5M2FNUZ', storage: null }],
  [21, { type: null, label: 'UINT4', storage: null }],
  [22, { type: null, label: 'INT4', storage: null }],
  [23, { type: null, label: 'FLOAT4E2M1', storage: null }],
  [24, { type: null, label: 'FLOAT8E8M0', storage: null }],
  [25, { type: null, label: 'UINT2', storage: null }],
  [26, { type: null, label: 'INT2', storage: null }],
]);

export function onnxDtype(code: number): OnnxDtype {
  return DTYPES.get(code) ?? { type: null, label: `data_type ${code} (unknown)`, storage: null };
}

/**
 * Byte builders for ONNX test inputs, by field number from onnx/onnx.proto (the same schema
 * python3-onnx serialises in test/fixtures/onnx/make_models.py).
 */
import { MemorySource } from '../../../src/io/byte-source';
import { pb, PB } from './protobuf-build';

export interface TensorSpec {
  name?: string;
  dataType?: number;
  dims?: readonly number[];
  packedDims?: boolean;
  raw?: Uint8Array;
  floatData?: readonly number[];
  int32Data?: readonly number[];
  int64Data?: readonly (number | bigint)[];
  uint64Data?: readonly (number | bigint)[];
  doubleData?: readonly number[];
  /** Write typed values one field occurrence per element instead of packed. */
  unpacked?: boolean;
  external?: Record<string, string>;
  dataLocation?: number;
  segment?: boolean;
}

export function tensor(t: TensorSpec): PB {
  const m = pb();
  if (t.packedDims) m.packedVarints(1, t.dims ?? []);
  else for (const d of t.dims ?? []) m.int(1, d);
  if (t.dataType !== undefined) m.int(2, t.dataType);
  if (t.segment) m.msg(3, pb().int(1, 0).int(2, 1));
  if (t.floatData) {
    if (t.unpacked) for (const v of t.floatData) m.float(4, v);
    else m.packedFloats(4, t.floatData);
  }
  const ints = (field: number, vals: readonly (number | bigint)[] | undefined): void => {
    if (!vals) return;
    if (t.unpacked) for (const v of vals) m.int(field, v);
    else m.packedVarints(field, vals);
  };
  ints(5, t.int32Data);
  ints(7, t.int64Data);
  if (t.name !== undefined) m.bytes(8, t.name);
  if (t.raw) m.bytes(9, t.raw);
  if (t.doubleData) {
    if (t.unpacked) for (const v of t.doubleData) m.double(10, v);
    else m.bytes(10, new Uint8Array(new Float64Array(t.doubleData).buffer));
  }
  ints(11, t.uint64Data);
  for (const [k, v] of Object.entries(t.external ?? {})) m.msg(13, pb().bytes(1, k).bytes(2, v));
  if (t.dataLocation !== undefined) m.int(14, t.dataLocation);
  return m;
}

export interface ModelSpec {
  irVersion?: number | null;
  initializers?: PB[];
  sparse?: PB[];
  nodes?: number;
  props?: Record<string, string>;
}

export function model(s: ModelSpec = {}): Uint8Array {
  const g = pb();
  for (let i = 0; i < (s.nodes ?? 0); i++) g.msg(1, pb().bytes(1, 'x').bytes(2, 'y').bytes(4, 'Identity'));
  g.bytes(2, 'g');
  for (const t of s.initializers ?? []) g.msg(5, t);
  for (const t of s.sparse ?? []) g.msg(15, t);
  const m = pb();
  if (s.irVersion !== null) m.int(1, s.irVersion ?? 8);
  m.msg(7, g).msg(8, pb().int(2, 13));
  for (const [k, v] of Object.entries(s.props ?? {})) m.msg(14, pb().bytes(1, k).bytes(2, v));
  return m.finish();
}

export const onnxFile = (bytes: Uint8Array, name = 'm.onnx'): MemorySource => new MemorySource(name, bytes);

export const FLOAT = 1;
export const UINT8 = 2;
export const INT8 = 3;
export const INT32 = 6;
export const INT64 = 7;
export const UINT32 = 12;
export const DOUBLE = 11;

/**
 * torch dtypes: element size, catalogue type, and the legacy storage class that carries them.
 * Sizes follow torch._utils._element_size; storage classes follow
 * torch.storage._dtype_to_storage_type_map (the map torch froze: newer dtypes travel as an
 * UntypedStorage plus a dtype argument to _rebuild_tensor_v3).
 */
import type { TypeName } from '../../codecs/catalogue';

export interface TorchDtype {
  /** As torch spells it after "torch.": "float32", "bfloat16", "float8_e4m3fn". */
  readonly name: string;
  readonly itemSize: number;
  /** Catalogue type, or null when Kiln cannot decode it (listed, never dropped). */
  readonly type: TypeName | null;
  /** Byte-swap unit: the element size, or the component size for complex dtypes, 1 for bytes. */
  readonly swapUnit: number;
  /** Why it is not decodable, for the tensor's label. */
  readonly note?: string;
}

const d = (name: string, itemSize: number, type: TypeName | null, note?: string, swapUnit = itemSize): TorchDtype => ({
  name,
  itemSize,
  type,
  swapUnit,
  ...(note !== undefined ? { note } : {}),
});

const DTYPES: readonly TorchDtype[] = [
  d('float64', 8, 'F64'),
  d('float32', 4, 'F32'),
  d('float16', 2, 'F16'),
  d('bfloat16', 2, 'BF16'),
  d('int64', 8, 'I64'),
  d('int32', 4, 'I32'),
  d('int16', 2, 'I16'),
  d('int8', 1, 'I8'),
  d('uint8', 1, 'U8'),
  d('uint16', 2, 'U16'),
  d('uint32', 4, 'U32'),
  d('uint64', 8, 'U64'),
  d('bool', 1, 'BOOL'),
  d('float8_e4m3fn', 1, 'F8_E4M3'),
  d('float8_e5m2', 1, 'F8_E5M2'),
  d('float8_e4m3fnuz', 1, null, 'float8 variant without a catalogue type'),
  d('float8_e5m2fnuz', 1, null, 'float8 variant without a catalogue type'),
  d('float8_e8m0fnu', 1, null, 'float8 scale type without a catalogue type'),
  d('float4_e2m1fn_x2', 1, null, 'packed fp4 pairs without a catalogue type'),
  d('complex32', 4, null, 'complex', 2),
  d('complex64', 8, null, 'complex', 4),
  d('complex128', 16, null, 'complex', 8),
  d('qint8', 1, null, 'quantized'),
  d('quint8', 1, null, 'quantized'),
  d('qint32', 4, null, 'quantized'),
  d('quint4x2', 1, null, 'quantized'),
  d('quint2x4', 1, null, 'quantized'),
  d('bits1x8', 1, null, 'bit-packed'),
  d('bits2x4', 1, null, 'bit-packed'),
  d('bits4x2', 1, null, 'bit-packed'),
  d('bits8', 1, null, 'bit-packed'),
  d('bits16', 2, null, 'bit-packed'),
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((n) => [d(`uint${n}`, 1, null, 'sub-byte integer'), d(`int${n}`, 1, null, 'sub-byte integer')]),
];

/** Aliases torch also accepts as attribute names (torch.float is torch.float32). */
const ALIASES: Record<string, string> = {
  double: 'float64',
  float: 'float32',
  half: 'float16',
  long: 'int64',
  int: 'int32',
  short: 'int16',
  cfloat: 'complex64',
  cdouble: 'complex128',
  chalf: 'complex32',
};

const BY_NAME = new Map<string, TorchDtype>(DTYPES.map((t) => [t.name, t]));
for (const [alias, name] of Object.entries(ALIASES)) BY_NAME.set(alias, BY_NAME.get(name)!);

export function dtypeByName(name: string): TorchDtype | undefined {
  return BY_NAME.get(name);
}

export const UINT8: TorchDtype = BY_NAME.get('uint8')!;

/** Legacy storage class name (torch.FloatStorage...) to the dtype its elements have. */
const STORAGE_CLASSES: Record<string, string> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  BFloat16Storage: 'bfloat16',
  ComplexDoubleStorage: 'complex128',
  ComplexFloatStorage: 'complex64',
  QInt8Storage: 'qint8',
  QInt32Storage: 'qint32',
  QUInt8Storage: 'quint8',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
};

export function storageClassDtype(className: string): TorchDtype | undefined {
  const n = STORAGE_CLASSES[className];
  return n === undefined ? undefined : BY_NAME.get(n);
}

export const STORAGE_CLASS_NAMES: readonly string[] = Object.keys(STORAGE_CLASSES);

/** Legacy tensor classes (torch.FloatTensor...) to their dtype; used by the old tar format. */
export function tensorClassDtype(className: string): TorchDtype | undefined {
  if (!className.endsWith('Tensor')) return undefined;
  return storageClassDtype(className.slice(0, -'Tensor'.length) + 'Storage');
}

/** All names `torch.<name>` that are dtypes. */
export function allDtypeNames(): string[] {
  return [...BY_NAME.keys()];
}

/** What a tensor's type label says: "torch.float32", or the dtype and why it is not decodable. */
export function dtypeLabel(t: TorchDtype): string {
  return t.note === undefined ? `torch.${t.name}` : `torch.${t.name} (${t.note}; not decodable)`;
}

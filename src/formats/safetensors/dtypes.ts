import { typeFromSafetensors, type TypeName } from '../../codecs/catalogue';

/**
 * Every dtype of the safetensors spec (the Rust crate's Dtype enum) with its width in bits.
 * Kiln's catalogue covers the classic ones; the newer spec dtypes it lacks (F4, F6_E2M3,
 * F6_E3M2, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, C64) are listed with type null: their tensors
 * show up (name, shape, size) and can be copied, but not decoded.
 */
const SPEC_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

export interface DtypeInfo {
  readonly bits: number;
  readonly type: TypeName | null;
  readonly label: string;
}

export function safetensorsDtype(dtype: string): DtypeInfo | undefined {
  if (!Object.prototype.hasOwnProperty.call(SPEC_BITS, dtype)) return undefined;
  const type = typeFromSafetensors(dtype) ?? null;
  return { bits: SPEC_BITS[dtype]!, type, label: type === null ? `${dtype} (not supported by Kiln)` : dtype };
}

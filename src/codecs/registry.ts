import type { TypeName } from './catalogue';
import type { CpuCodec } from './codec';
import { PLAIN_CODECS } from './plain';
import { LEGACY_CODECS } from './legacy';
import { KQUANTS_CODECS } from './kquants';
import { IQUANTS_CODECS } from './iquants';
import { LOWBIT_CODECS } from './lowbit';
import { withImportance } from './weighted';

/**
 * Every type's CPU twin. Exhaustive by construction: a type without an entry fails to compile.
 * Encoders take the importance matrix's weights where ggml does (weighted.ts).
 */
export const CPU_CODECS: Readonly<Record<TypeName, CpuCodec>> = withImportance({
  ...PLAIN_CODECS,
  ...LEGACY_CODECS,
  ...KQUANTS_CODECS,
  ...IQUANTS_CODECS,
  ...LOWBIT_CODECS,
} satisfies Record<TypeName, CpuCodec>);

export function canDecode(t: TypeName): boolean {
  return CPU_CODECS[t].decode !== null;
}

export function canEncode(t: TypeName): boolean {
  return CPU_CODECS[t].encode !== null;
}

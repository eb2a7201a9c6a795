import type { ScalarType } from '../model';

/** The bytes "GGUF" at offset 0 of every GGUF file, whatever its byte order. */
export const GGUF_MAGIC = new Uint8Array([0x47, 0x47, 0x55, 0x46]);

/** Version the writer produces (gguf.h GGUF_VERSION). */
export const GGUF_VERSION = 3;

/** gguf.h GGUF_DEFAULT_ALIGNMENT, used when general.alignment is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

export const KEY_ALIGNMENT = 'general.alignment';

/** Split keys as llama.cpp spells them (common.h LLM_KV_SPLIT_*). */
export const KEY_SPLIT_NO = 'split.no';
export const KEY_SPLIT_COUNT = 'split.count';
export const KEY_SPLIT_TENSORS_COUNT = 'split.tensors.count';

/** gguf.h enum gguf_type. */
export const GGUF_TYPE_ARRAY = 9;

const TYPE_BY_ID: readonly (ScalarType | 'array')[] = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];

export function valueTypeFromId(id: number): ScalarType | 'array' | undefined {
  return TYPE_BY_ID[id];
}

export function valueTypeId(t: ScalarType | 'array'): number {
  return TYPE_BY_ID.indexOf(t);
}

/** Bytes of one item of a fixed-size value type; strings and arrays have none. */
export const FIXED_SIZE: Readonly<Record<ScalarType | 'array', number>> = {
  u8: 1,
  i8: 1,
  bool: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  u64: 8,
  i64: 8,
  f64: 8,
  string: 0,
  array: 0,
};

/** gguf-split / llama_split_path: "<prefix>-00001-of-00003.gguf". */
export const SPLIT_NAME_RE = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/;

export function splitPartName(prefix: string, index: number, count: number): string {
  return `${prefix}-${String(index + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.gguf`;
}

export function padTo(x: number, alignment: number): number {
  const r = x % alignment;
  return r === 0 ? x : x + (alignment - r);
}

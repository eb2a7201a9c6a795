import type { TypeName } from '../codecs/catalogue';

/**
 * The format-neutral view of a model that every reader produces: metadata in file order and
 * every tensor with a way to read its bytes. Nothing here holds tensor data.
 */

/** GGUF's value types; other formats' metadata maps onto them (mostly `string`). */
export type ScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64' | 'bool' | 'string';

export type MetaValue =
  | { readonly type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; readonly value: number }
  | { readonly type: 'u64' | 'i64'; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | MetaArray;

/** A GGUF array: every item has `itemType`; nested arrays carry their own item type. */
export interface MetaArray {
  readonly type: 'array';
  readonly itemType: ScalarType | 'array';
  readonly value: ReadonlyArray<number | bigint | boolean | string | MetaArray>;
}

export type Metadata = Map<string, MetaValue>;

/** 'hf': a Hugging Face folder (config, tokenizer, weights) presented as the GGUF the converter writes. */
export type FormatName = 'gguf' | 'safetensors' | 'pytorch' | 'tensorflow' | 'onnx' | 'hf';

export interface TensorInfo {
  readonly name: string;
  /** Catalogue type, or null when the file uses a type Kiln does not know (listed, not decodable). */
  readonly type: TypeName | null;
  /** How the file spells the type (e.g. "Q4_K", "F8_E4M3", "ggml type 31 (Q4_0_4_4, retired; ...)"). */
  readonly typeLabel: string;
  /** Row-major dimensions, outermost first (numpy/torch order). GGUF's ne is this reversed. */
  readonly shape: readonly number[];
  /** Bytes of the tensor in canonical form (little-endian, contiguous, row-major). */
  readonly nbytes: number;
  /** The file holding the data, and where it starts there when it is stored contiguously (else -1). */
  readonly file: string;
  readonly fileOffset: number;
  /**
   * Reads `length` canonical bytes starting `offset` bytes into the tensor. Byte order,
   * strides and compression of the file are undone here, so every consumer sees one layout.
   * `into` (at least `length` bytes) is a buffer the caller wants reused: readers that pass
   * bytes straight through may fill it and return a view of it (its ArrayBuffer may come back
   * transferred: use the result's buffer); others ignore it.
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
}

export interface ModelView {
  readonly format: FormatName;
  /** The files this view was built from, in part/shard order. */
  readonly files: readonly string[];
  readonly metadata: Metadata;
  readonly tensors: readonly TensorInfo[];
  /** Facts about the container worth showing (GGUF version, alignment, byte order, pickle protocol...). */
  readonly details: ReadonlyMap<string, string>;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Hard limits for the GGUF and safetensors readers. Every count, length and size a file
 * declares is checked against one of these and against the file's own size before anything
 * is allocated, so hostile input can neither hang a reader nor make it allocate without bound.
 */

/** Largest byte offset or size JavaScript numbers hold exactly; u64 fields are checked against it. */
export const MAX_SAFE_BYTES = Number.MAX_SAFE_INTEGER;

/** Header reads go through a buffer of this size: small enough to keep memory flat, large enough that a tokenizer array needs few reads. */
export const HEADER_CHUNK_BYTES = 1 << 20;

// --- GGUF ---

/** gguf.cpp's GGUF_MAX_STRING_LENGTH is 1 GiB; a real value (a chat template, a tokenizer JSON) is far below 64 MiB, and a JS string that large is already a problem. */
export const GGUF_MAX_STRING_BYTES = 64 * 1024 * 1024;

/** Items in one metadata array: vocabularies reach ~260k tokens and merge lists ~500k; 16M leaves room while capping a JS array at a few hundred MB. */
export const GGUF_MAX_ARRAY_ITEMS = 16 * 1024 * 1024;

/** Arrays of arrays: gguf-py can write them, nobody nests deeply; the cap keeps recursion bounded. */
export const GGUF_MAX_ARRAY_DEPTH = 8;

/** Total metadata items (KV values plus array items, all levels) per file: bounds the memory a header may make us hold. */
export const GGUF_MAX_METADATA_ITEMS = 64 * 1024 * 1024;

/** Key-value pairs per file: real files hold tens to a few hundred. */
export const GGUF_MAX_KV = 1 << 20;

/** Tensors per file: the largest MoE models hold tens of thousands. */
export const GGUF_MAX_TENSORS = 1 << 20;

/** ggml's GGML_MAX_DIMS: gguf.cpp rejects more dimensions. */
export const GGUF_MAX_DIMS = 4;

/** ggml's GGML_MAX_NAME: gguf.cpp rejects a tensor name of this many bytes or more, so the writer refuses it. */
export const GGML_MAX_NAME = 64;

/** gguf-split numbers parts with %05d and stores split.count as u16. */
export const GGUF_MAX_SPLIT_PARTS = 65535;

// --- safetensors ---

/** The Rust crate's MAX_HEADER_SIZE (100 MB): a larger JSON header is refused before it is read. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** model.safetensors.index.json is read whole; real ones are a few hundred KB. */
export const SAFETENSORS_MAX_INDEX_BYTES = 100_000_000;

/** Dimensions per tensor: torch's own limit is 64. */
export const MAX_DIMS = 64;

/** Shards per sharded set: names carry 5 digits. */
export const MAX_SHARDS = 99999;

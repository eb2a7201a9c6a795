/**
 * Hard limits for the ONNX reader; each is checked before anything it sizes is allocated.
 * Real models sit far inside them.
 */

/** Initializers (dense and sparse) per model: large LLM exports hold a few thousand. */
export const ONNX_MAX_TENSORS = 1 << 20;

/** Dimensions per tensor: torch's own limit is 64. */
export const ONNX_MAX_DIMS = 64;

/** Bytes of a tensor name or metadata string; doc strings over it are skipped (noted in details), other strings refused. */
export const ONNX_MAX_STRING_BYTES = 16 * 1024 * 1024;

/** metadata_props entries and opset_import entries per model. */
export const ONNX_MAX_META_ENTRIES = 1 << 16;

/** external_data key/value pairs per tensor: the spec knows four keys. */
export const ONNX_MAX_EXTERNAL_KEYS = 64;

/** Occurrences of one typed data field in one TensorProto. Writers emit one packed run; a file of unpacked elements beyond this is refused. */
export const ONNX_MAX_SEGMENTS = 1 << 20;

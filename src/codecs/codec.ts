/**
 * A CPU codec converts whole blocks of one type to and from float32. It is the executable spec
 * that every GPU kernel is tested against.
 *
 * - decode: `src` holds n blocks (n * typeSize bytes), `dst` receives n * blockSize floats.
 * - encode: ggml's quantizer (ggml_quantize_chunk); `src` holds n * blockSize floats, `dst`
 *   receives n * typeSize bytes. Without `weights` (imatrix = NULL) every encoder is
 *   block-local, so a row may be split at any block boundary. With `weights` (the importance
 *   matrix's per-column weights, one per element of a row: weights.length is the row length)
 *   `src` must hold whole rows, and they are quantized as ggml does with quant_weights.
 *
 * `null` means Kiln cannot do that direction for the type; callers must say so to the user.
 */
export interface CpuCodec {
  readonly decode: ((src: Uint8Array, dst: Float32Array) => void) | null;
  readonly encode: ((src: Float32Array, dst: Uint8Array, weights?: Float32Array) => void) | null;
}

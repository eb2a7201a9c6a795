/**
 * A CPU codec converts whole blocks of one type to and from float32. It is the executable spec
 * that every GPU kernel is tested against.
 *
 * - decode: `src` holds n blocks (n * typeSize bytes), `dst` receives n * blockSize floats.
 * - encode: ggml's quantizer without an importance matrix (ggml_quantize_chunk with
 *   imatrix = NULL); `src` holds n * blockSize floats, `dst` receives n * typeSize bytes.
 *   Every encoder here is block-local, so a row may be split at any block boundary.
 *
 * `null` means Kiln cannot do that direction for the type; callers must say so to the user.
 */
export interface CpuCodec {
  readonly decode: ((src: Uint8Array, dst: Float32Array) => void) | null;
  readonly encode: ((src: Float32Array, dst: Uint8Array) => void) | null;
}

/**
 * Why a quantization plan was refused. Each kind stands for a point where llama-quantize
 * (llama.cpp 34af94cd) throws or aborts; Kiln refuses at the same point, before any data moves.
 */
export type QuantizePlanErrorKind =
  /** the preset string is no name or number in llama-quantize's QUANT_OPTIONS */
  | 'unknown-preset'
  /** a tensor's target type needs an importance matrix and none was given */
  | 'needs-imatrix'
  /** the importance matrix's entry for a tensor has another size than the tensor's rows (times experts) */
  | 'imatrix-size'
  /** a quantized input tensor would be requantized without allowRequantize */
  | 'requantize'
  /** an input tensor type ggml cannot dequantize (integers, F64, types GGUF cannot store) */
  | 'cannot-convert'
  /** a target type ggml_quantize_chunk has no quantizer for (Q8_1, Q8_K, integers, F64) */
  | 'cannot-quantize'
  /** a forced type (--token-embedding-type / --output-tensor-type) whose block does not divide the row */
  | 'row-not-divisible'
  /** the row length fits neither the chosen type nor any fallback llama-quantize defines */
  | 'no-fallback'
  /** an expert model's FFN tensor whose layer cannot be read from its name, or is out of range */
  | 'bad-layer'
  /** a --tensor-type pattern that is not a valid regular expression */
  | 'bad-pattern'
  /** a --tensor-type / --output-tensor-type / --token-embedding-type value that is no ggml type */
  | 'bad-type'
  /** the model description itself is unusable (duplicate names, missing block_count, >4 dims...) */
  | 'bad-model';

export class QuantizePlanError extends Error {
  override readonly name: string = 'QuantizePlanError';
  readonly kind: QuantizePlanErrorKind;
  /** The tensor the refusal is about, when there is one. */
  readonly tensor: string | undefined;

  constructor(kind: QuantizePlanErrorKind, message: string, tensor?: string) {
    super(message);
    this.kind = kind;
    this.tensor = tensor;
  }
}

/**
 * Scalar helpers shared by the quantizers, each matching one ggml idiom exactly in float32.
 */

/**
 * ggml's nearest_int: adds 1.5 * 2^23 in float32, so the float adder rounds half to even.
 * Valid for |x| <= 4194303, as in ggml (asserted there).
 */
export function nearestInt(x: number): number {
  return Math.fround(x + 12582912) - 12582912;
}

/** C roundf: half away from zero. Exact for float32 inputs. */
export function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

export const fr = Math.fround;

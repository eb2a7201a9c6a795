import { f16ToF32 } from './common';

/**
 * Widens n f16 values at src to float32 at dst, so an F16 model reaches the encoders without a
 * JavaScript decode pass and a copy (F16 -> K-quant is the common llama.cpp conversion). Stores the
 * bits, never a float, so NaN payloads come out exactly as the TypeScript twin's.
 */
export function widen_f16(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    store<u32>(dst + (<usize>i << 2), reinterpret<u32>(f16ToF32(<u32>load<u16>(src + (<usize>i << 1)))));
  }
}

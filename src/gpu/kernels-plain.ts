import type { GpuCodecKernels } from './kernel';

const cast = (entry: string) => ({ module: 'cast', entry, blocksPerInvocation: 2 });
// One invocation per input word: 4 byte-sized, 2 16-bit, 1 32-bit value; 64-bit values read two.
const plain = (entry: string, blocksPerInvocation: number) => ({ module: 'plain', entry, blocksPerInvocation });

export const PLAIN_KERNELS = {
  F32: { decode: 'identity', encode: 'identity' },
  F16: { decode: cast('decode_f16'), encode: cast('encode_f16') },
  BF16: { decode: cast('decode_bf16'), encode: cast('encode_bf16') },
  F64: { decode: plain('decode_f64', 1), encode: null },
  F8_E4M3: { decode: plain('decode_f8_e4m3', 4), encode: null },
  F8_E5M2: { decode: plain('decode_f8_e5m2', 4), encode: null },
  I64: { decode: plain('decode_i64', 1), encode: null },
  I32: { decode: plain('decode_i32', 1), encode: null },
  I16: { decode: plain('decode_i16', 2), encode: null },
  I8: { decode: plain('decode_i8', 4), encode: null },
  U64: { decode: plain('decode_u64', 1), encode: null },
  U32: { decode: plain('decode_u32', 1), encode: null },
  U16: { decode: plain('decode_u16', 2), encode: null },
  U8: { decode: plain('decode_u8', 4), encode: null },
  BOOL: { decode: plain('decode_bool', 4), encode: null },
} as const satisfies Record<string, GpuCodecKernels>;

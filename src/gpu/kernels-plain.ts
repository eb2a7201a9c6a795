import type { GpuCodecKernels } from './kernel';

const cast = (entry: string) => ({ module: 'cast', entry, blocksPerInvocation: 2 });

export const PLAIN_KERNELS = {
  F32: { decode: 'identity', encode: 'identity' },
  F16: { decode: cast('decode_f16'), encode: cast('encode_f16') },
  BF16: { decode: cast('decode_bf16'), encode: cast('encode_bf16') },
  F64: { decode: null, encode: null },
  F8_E4M3: { decode: null, encode: null },
  F8_E5M2: { decode: null, encode: null },
  I64: { decode: null, encode: null },
  I32: { decode: null, encode: null },
  I16: { decode: null, encode: null },
  I8: { decode: null, encode: null },
  U64: { decode: null, encode: null },
  U32: { decode: null, encode: null },
  U16: { decode: null, encode: null },
  U8: { decode: null, encode: null },
  BOOL: { decode: null, encode: null },
} as const satisfies Record<string, GpuCodecKernels>;

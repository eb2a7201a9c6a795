import { TYPES, type TypeName } from '../codecs/catalogue';
import { CPU_CODECS } from '../codecs/registry';

/**
 * Converts chunks of whole blocks between two types. The GPU engine runs WGSL kernels; the CPU
 * engine runs the TypeScript twins (Node CLI, browsers without WebGPU, and after a device loss).
 */
export interface TransformEngine {
  readonly label: string;
  /** Largest chunk, in elements, this engine takes for the pair (a multiple of both block sizes). */
  maxChunkElements(from: TypeName, to: TypeName): number;
  /** Whether the pair can be converted (decoder for `from` and encoder for `to` exist). */
  supports(from: TypeName, to: TypeName): boolean;
  transform(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number): Promise<Uint8Array>;
  dispose(): void;
}

export function lcm(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return (a / x) * b;
}

/** Elements per chunk that keep every chunk whole blocks of both types. */
export function chunkGranule(from: TypeName, to: TypeName): number {
  return lcm(TYPES[from].blockSize, TYPES[to].blockSize);
}

const CPU_CHUNK_BYTES = 16 * 1024 * 1024;

export class CpuEngine implements TransformEngine {
  readonly label = 'CPU (TypeScript codecs)';

  supports(from: TypeName, to: TypeName): boolean {
    return (from === 'F32' || CPU_CODECS[from].decode !== null) && (to === 'F32' || CPU_CODECS[to].encode !== null);
  }

  maxChunkElements(from: TypeName, to: TypeName): number {
    const g = chunkGranule(from, to);
    return Math.max(g, Math.floor(CPU_CHUNK_BYTES / 4 / g) * g);
  }

  async transform(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number): Promise<Uint8Array> {
    const decode = CPU_CODECS[from].decode;
    const encode = CPU_CODECS[to].encode;
    if (!decode) throw new Error(`no CPU decoder for ${from}`);
    if (!encode) throw new Error(`no CPU encoder for ${to}`);
    const f32 = new Float32Array(elements);
    decode(bytes, f32);
    if (to === 'F32') return new Uint8Array(f32.buffer);
    const out = new Uint8Array((elements / TYPES[to].blockSize) * TYPES[to].typeSize);
    encode(f32, out);
    return out;
  }

  dispose(): void {}
}

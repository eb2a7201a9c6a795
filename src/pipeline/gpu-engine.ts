import type { TypeName } from '../codecs/catalogue';
import { KernelCache, kernelFor } from '../gpu/codec-runner';
import type { GpuContext } from '../gpu/device';
import { ChunkTransformer } from '../gpu/transform';
import { chunkGranule, type TransformEngine } from './engine';

/** Chunk size aimed for: big enough to amortise a dispatch, small enough to overlap stages. */
const TARGET_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * WGSL kernels through two ChunkTransformers used in turn, so one chunk's upload and kernels
 * overlap the previous chunk's readback.
 */
export class GpuEngine implements TransformEngine {
  readonly label: string;
  readonly cache: KernelCache;
  private readonly slots: ChunkTransformer[];
  private next = 0;

  constructor(readonly gpu: GpuContext) {
    this.label = `GPU (${gpu.adapterLabel})`;
    this.cache = new KernelCache(gpu);
    this.slots = [new ChunkTransformer(this.cache), new ChunkTransformer(this.cache)];
  }

  supports(from: TypeName, to: TypeName): boolean {
    return kernelFor(from, 'decode') !== null && kernelFor(to, 'encode') !== null;
  }

  maxChunkElements(from: TypeName, to: TypeName): number {
    const g = chunkGranule(from, to);
    const byLimit = this.slots[0]!.maxElements(from, to);
    const target = Math.floor(TARGET_CHUNK_BYTES / 4);
    return Math.max(g, Math.floor(Math.min(byLimit, target) / g) * g);
  }

  transform(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number): Promise<Uint8Array> {
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % this.slots.length;
    return slot.run(from, to, bytes, elements);
  }

  /** A transformer for jobs that keep decoded data on the GPU (statistics). */
  transformer(): ChunkTransformer {
    return this.slots[0]!;
  }

  dispose(): void {
    for (const s of this.slots) s.destroy();
  }
}

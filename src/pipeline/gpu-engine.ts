import { TYPES, type TypeName } from '../codecs/catalogue';
import type { QualitySums } from '../codecs/quality';
import { KernelCache, kernelFor } from '../gpu/codec-runner';
import type { GpuContext } from '../gpu/device';
import { ChunkTransformer, hasWeightedEncoder } from '../gpu/transform';
import { chunkGranule, type TransformEngine } from './engine';

/**
 * Elements per chunk aimed for: 16 MB of f32 amortises a dispatch and a readback, and keeps the
 * two slots' buffers (which live in host memory on a software adapter) near 100 MB in all.
 */
const TARGET_CHUNK_ELEMENTS = 4 * 1024 * 1024;

/**
 * WGSL kernels through two ChunkTransformers used in turn, so one chunk's upload and kernels
 * overlap the previous chunk's readback.
 */
export class GpuEngine implements TransformEngine {
  readonly label: string;
  readonly cache: KernelCache;
  private readonly slots: ChunkTransformer[];
  /** Each slot's last job: a slot's buffers serve one chunk at a time. */
  private readonly busy: Promise<unknown>[];
  private next = 0;
  /** Set when the device is lost: later chunks fail at once (the executor moves them to the CPU). */
  private lostReason: string | null = null;

  constructor(readonly gpu: GpuContext) {
    this.label = `GPU (${gpu.adapterLabel})`;
    this.cache = new KernelCache(gpu);
    this.slots = [new ChunkTransformer(this.cache), new ChunkTransformer(this.cache)];
    this.busy = this.slots.map(() => Promise.resolve());
    void gpu.lost.then((info) => {
      this.lostReason = `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
    });
  }

  get lost(): boolean {
    return this.lostReason !== null;
  }

  get parallelism(): number {
    return this.slots.length;
  }

  /**
   * Every encoder kernel can refuse what ggml aborts on: the grid-search types (IQ2_*, IQ3_*, IQ1_*)
   * report NaN or Inf input, or magnitudes for which no grid neighbour has a finite error, through
   * their abort word (GpuKernel.reportsAbort), raised as the CPU twins raise it (QuantizeAbort).
   */
  supports(from: TypeName, to: TypeName): boolean {
    return kernelFor(from, 'decode') !== null && kernelFor(to, 'encode') !== null;
  }

  /** With an importance matrix: a decoder and a weighted encoder (IQ2_XXS and IQ2_XS have only that one). */
  supportsWeighted(from: TypeName, to: TypeName): boolean {
    return kernelFor(from, 'decode') !== null && hasWeightedEncoder(to);
  }

  maxChunkElements(from: TypeName, to: TypeName): number {
    const g = chunkGranule(from, to);
    const byLimit = this.slots[0]!.maxElements(from, to);
    const target = TARGET_CHUNK_ELEMENTS;
    return Math.max(g, Math.floor(Math.min(byLimit, target) / g) * g);
  }

  /** Importance weights go to the types with a weighted kernel (GPU_KERNELS[to].encodeWeighted). */
  readonly acceptsWeights = true;

  acceptsWeightsFor(to: TypeName): boolean {
    return hasWeightedEncoder(to);
  }

  transform(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<Uint8Array> {
    return this.queue((slot) => slot.run(from, to, bytes, elements, out, weights));
  }

  transformMeasured(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<{ bytes: Uint8Array; quality: QualitySums | null }> {
    return this.queue((slot) => slot.runMeasured(from, to, bytes, elements, out, weights));
  }

  private queue<T>(work: (slot: ChunkTransformer) => Promise<T>): Promise<T> {
    if (this.lostReason !== null) return Promise.reject(new Error(this.lostReason));
    const i = this.next;
    this.next = (this.next + 1) % this.slots.length;
    const job = this.busy[i]!.catch(() => undefined)
      .then(() => {
        if (this.lostReason !== null) throw new Error(this.lostReason);
        return work(this.slots[i]!);
      })
      .catch((e: unknown) => this.explain(e));
    this.busy[i] = job;
    return job;
  }

  /**
   * A destroyed device fails pending work with messages about buffers ("unmapped before mapping was
   * resolved"); `lost` settles a moment later. Name the real cause when it follows shortly.
   */
  private async explain(e: unknown): Promise<never> {
    if (this.lostReason === null) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.gpu.lost, new Promise((r) => (timer = setTimeout(r, 100)))]);
      clearTimeout(timer);
      await Promise.resolve();
    }
    throw this.lostReason !== null ? new Error(this.lostReason, { cause: e }) : e;
  }

  /**
   * Compiles the kernels for these pairs before a run: one block-sized transform of zeros per pair
   * (the pipelines are cached, so the run's first chunk does not wait for the compiler). A target
   * with only a weighted kernel (IQ2_XXS, IQ2_XS: ggml quantizes them only with an importance
   * matrix) is warmed with weights of one, a row of one granule.
   */
  async prepare(pairs: readonly (readonly [TypeName, TypeName])[], onPair?: (done: number, total: number) => void): Promise<void> {
    const pairsToCompile = pairs.filter(([from, to]) => from !== to && (this.supports(from, to) || this.supportsWeighted(from, to)));
    let done = 0;
    for (const [from, to] of pairsToCompile) {
      const n = chunkGranule(from, to);
      const weights = this.supports(from, to) ? undefined : new Float32Array(n).fill(1);
      await this.transform(from, to, new Uint8Array((n / TYPES[from].blockSize) * TYPES[from].typeSize), n, undefined, weights).catch(() => undefined);
      onPair?.(++done, pairsToCompile.length);
    }
  }

  /** A transformer for jobs that keep decoded data on the GPU (statistics). */
  transformer(): ChunkTransformer {
    return this.slots[0]!;
  }

  dispose(): void {
    for (const s of this.slots) s.destroy();
  }
}

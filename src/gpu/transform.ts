import { TYPES, type TypeName } from '../codecs/catalogue';
import type { QualitySums } from '../codecs/quality';
import { GpuKernelMissingError, KernelCache, kernelFor, recordCodec, requireKernel } from './codec-runner';
import { GPU_KERNELS } from './kernels';
import { QuantizeAbort } from '../codecs/iq-math';
import type { GpuKernel } from './kernel';
import { GpuQuality } from './quality';
import { USES_WEIGHTS } from '../codecs/weighted';

/** A GPU buffer that is replaced by a bigger one when a chunk outgrows it. */
class GrowableBuffer {
  buffer: GPUBuffer | null = null;
  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly usage: number,
  ) {}
  ensure(size: number): GPUBuffer {
    const want = Math.max(16, Math.ceil(size / 16) * 16);
    if (!this.buffer || this.buffer.size < want) {
      this.buffer?.destroy();
      this.buffer = this.device.createBuffer({ label: this.label, size: want, usage: this.usage });
    }
    return this.buffer;
  }
  destroy(): void {
    this.buffer?.destroy();
    this.buffer = null;
  }
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * Converts one chunk of whole blocks from one type to another on the GPU:
 * upload -> decode to f32 -> encode -> read back. F32 on either side skips its kernel.
 * Buffers are kept between chunks; run two transformers to overlap one chunk's GPU work with
 * the next chunk's upload and the previous one's readback.
 */
export class ChunkTransformer {
  private readonly input: GrowableBuffer;
  private readonly floats: GrowableBuffer;
  private readonly output: GrowableBuffer;
  private readonly staging: GrowableBuffer;
  /** The encoded chunk decoded again, for the quality sums (allocated on the first measured run). */
  private check: GrowableBuffer | null = null;
  private quality: GpuQuality | null = null;
  /** The grid-search encoders' abort report (allocated on the first run of one). */
  private abortWord: GPUBuffer | null = null;
  /** The chunk's importance weights (allocated on the first weighted run). */
  private weights: GrowableBuffer | null = null;

  constructor(private readonly cache: KernelCache) {
    const d = cache.gpu.device;
    const S = GPUBufferUsage.STORAGE;
    this.input = new GrowableBuffer(d, 'chunk input', S | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    this.floats = new GrowableBuffer(d, 'chunk f32', S | GPUBufferUsage.COPY_SRC);
    this.output = new GrowableBuffer(d, 'chunk output', S | GPUBufferUsage.COPY_SRC);
    this.staging = new GrowableBuffer(d, 'chunk readback', GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  /**
   * Largest element count per chunk for this pair so that no binding exceeds the device limit.
   * The caller rounds it down to whole rows.
   */
  maxElements(from: TypeName, to: TypeName): number {
    const limit = this.cache.gpu.maxBinding;
    const perElem = Math.max(4, TYPES[from].typeSize / TYPES[from].blockSize, TYPES[to].typeSize / TYPES[to].blockSize);
    const lcmBlock = (TYPES[from].blockSize * TYPES[to].blockSize) / gcd(TYPES[from].blockSize, TYPES[to].blockSize);
    return Math.floor((limit - 4096) / perElem / (lcmBlock * 8)) * lcmBlock * 8;
  }

  /**
   * Uploads and decodes a chunk, leaving its f32 values on the GPU (for statistics). The buffer
   * stays valid until this transformer's next call.
   */
  async decodeToGpu(from: TypeName, bytes: Uint8Array, elements: number): Promise<GPUBuffer> {
    const tf = TYPES[from];
    if (elements % tf.blockSize !== 0) throw new RangeError(`chunk of ${elements} elements is not whole blocks of ${from}`);
    const n = elements / tf.blockSize;
    if (bytes.length !== n * tf.typeSize) throw new RangeError(`chunk has ${bytes.length} bytes, ${from} needs ${n * tf.typeSize}`);
    const dec = requireKernel(from, 'decode');
    const device = this.cache.gpu.device;
    const g = dec === 'identity' ? 1 : dec.blocksPerInvocation;
    const inBuf = this.input.ensure(dec === 'identity' ? elements * 4 : roundUp(roundUp(n, g) * tf.typeSize, 4));
    const upload = bytes.length % 4 === 0 ? bytes : padTo4(bytes);
    device.queue.writeBuffer(inBuf, 0, upload.buffer, upload.byteOffset, upload.length);
    if (dec === 'identity') return inBuf;
    const f32Buf = this.floats.ensure(roundUp(n, g) * tf.blockSize * 4);
    const enc = device.createCommandEncoder({ label: `${from}->F32` });
    await recordCodec(this.cache, enc, dec, 'decode', inBuf, f32Buf, n);
    device.queue.submit([enc.finish()]);
    return f32Buf;
  }

  /**
   * `bytes` holds `elements` elements of `from`; returns them as `to` (in `out` when it is big
   * enough). With `weights` (an importance matrix's, one per column: the chunk is whole rows) the
   * type's weighted encoder runs (GPU_KERNELS[to].encodeWeighted; see hasWeightedEncoder).
   */
  async run(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<Uint8Array> {
    return (await this.convert(from, to, bytes, elements, out, false, weights)).bytes;
  }

  /**
   * As `run`, and the chunk's quantization error sums (shaders/quality.wgsl over the decoded input
   * the encoder read and the output decoded again), or null when `to` has no GPU decoder.
   */
  runMeasured(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<{ bytes: Uint8Array; quality: QualitySums | null }> {
    return this.convert(from, to, bytes, elements, out, kernelFor(to, 'decode') !== null, weights);
  }

  private async convert(
    from: TypeName,
    to: TypeName,
    bytes: Uint8Array,
    elements: number,
    out: Uint8Array | undefined,
    measure: boolean,
    given?: Float32Array,
  ): Promise<{ bytes: Uint8Array; quality: QualitySums | null }> {
    // ggml's quantizers for Q8_0, TQ*_0, MXFP4, ... ignore the weights: their plain kernel is exact
    const weights = given !== undefined && USES_WEIGHTS.has(to) ? given : undefined;
    const tf = TYPES[from];
    const tt = TYPES[to];
    if (elements % tf.blockSize !== 0 || elements % tt.blockSize !== 0) {
      throw new RangeError(`chunk of ${elements} elements is not whole blocks of ${from} and ${to}`);
    }
    const nIn = elements / tf.blockSize;
    const nOut = elements / tt.blockSize;
    if (bytes.length !== nIn * tf.typeSize) throw new RangeError(`chunk has ${bytes.length} bytes, ${from} needs ${nIn * tf.typeSize}`);
    const dec = requireKernel(from, 'decode');
    const encK = weights !== undefined ? weightedKernel(to, weights, elements) : requireKernel(to, 'encode');
    const gIn = dec === 'identity' ? 1 : dec.blocksPerInvocation;
    const gOut = encK === 'identity' ? 1 : encK.blocksPerInvocation;
    // f32 scratch covers the encoder's last whole group, the input covers the decoder's.
    const floatCount = roundUp(nOut, gOut) * tt.blockSize;
    const device = this.cache.gpu.device;

    const inSize = dec === 'identity' ? floatCount * 4 : roundUp(roundUp(nIn, gIn) * tf.typeSize, 4);
    const inBuf = this.input.ensure(inSize);
    const upload = bytes.length % 4 === 0 ? bytes : padTo4(bytes);
    device.queue.writeBuffer(inBuf, 0, upload.buffer, upload.byteOffset, upload.length);

    const enc = device.createCommandEncoder({ label: `${from}->${to}` });
    let f32Buf: GPUBuffer;
    if (dec === 'identity') {
      f32Buf = inBuf;
    } else {
      f32Buf = this.floats.ensure(floatCount * 4);
      await recordCodec(this.cache, enc, dec, 'decode', inBuf, f32Buf, nIn);
    }
    let outBuf: GPUBuffer;
    let outBytes: number;
    let abortWord: GPUBuffer | undefined;
    if (encK === 'identity') {
      outBuf = f32Buf;
      outBytes = elements * 4;
    } else {
      outBuf = this.output.ensure(roundUp(roundUp(nOut, gOut) * tt.typeSize, 4));
      let w: { buffer: GPUBuffer; rowLength: number } | undefined;
      if (weights !== undefined) {
        this.weights ??= new GrowableBuffer(device, 'importance weights', GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
        const wb = this.weights.ensure(weights.byteLength);
        device.queue.writeBuffer(wb, 0, weights.buffer, weights.byteOffset, weights.byteLength);
        w = { buffer: wb, rowLength: weights.length };
      }
      if (encK.reportsAbort === true) {
        this.abortWord ??= device.createBuffer({ label: 'encoder abort word', size: 8, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
        device.queue.writeBuffer(this.abortWord, 0, new Uint32Array([0, 0xffffffff]));
        abortWord = this.abortWord;
      }
      await recordCodec(this.cache, enc, encK, 'encode', f32Buf, outBuf, nOut, w, abortWord);
      outBytes = nOut * tt.typeSize;
    }
    let quality: GpuQuality | null = null;
    if (measure) {
      quality = this.quality ??= new GpuQuality(this.cache);
      let decoded = f32Buf;
      const back = requireKernel(to, 'decode');
      if (back !== 'identity') {
        this.check ??= new GrowableBuffer(device, 'chunk output decoded', GPUBufferUsage.STORAGE);
        decoded = this.check.ensure(roundUp(nOut, back.blocksPerInvocation) * tt.blockSize * 4);
        await recordCodec(this.cache, enc, back, 'decode', outBuf, decoded, nOut);
      }
      await quality.record(enc, f32Buf, decoded, elements);
    }
    const copyBytes = roundUp(outBytes, 4);
    // the abort word after the output, at an offset getMappedRange takes (a multiple of 8)
    const abortAt = roundUp(copyBytes, 8);
    const mapBytes = abortWord ? abortAt + 8 : copyBytes;
    const staging = this.staging.ensure(mapBytes);
    enc.copyBufferToBuffer(outBuf, 0, staging, 0, copyBytes);
    if (abortWord) enc.copyBufferToBuffer(abortWord, 0, staging, abortAt, 8);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, mapBytes);
    if (abortWord) {
      const [code, block] = new Uint32Array(staging.getMappedRange(abortAt, 8));
      if (code !== 0) {
        staging.unmap();
        const why = ABORT_REASONS[code] ?? ABORT_REASONS[1]!;
        throw new QuantizeAbort(to, `${why}; block ${block} of the chunk`);
      }
    }
    const mapped = new Uint8Array(staging.getMappedRange(0, copyBytes), 0, outBytes);
    const dst = out !== undefined && out.length >= outBytes ? out.subarray(0, outBytes) : new Uint8Array(outBytes);
    dst.set(mapped);
    staging.unmap();
    return { bytes: dst, quality: quality ? await quality.read() : null };
  }

  destroy(): void {
    for (const b of [this.input, this.floats, this.output, this.staging]) b.destroy();
    this.check?.destroy();
    this.weights?.destroy();
    this.abortWord?.destroy();
    this.quality?.destroy();
  }
}

/** What the grid-search encoders' abort codes mean (shaders/iquants_common.wgsl, report_abort). */
const ABORT_REASONS: Record<number, string> = {
  1: 'no grid point has a finite error; values around 1e10 and beyond overflow float32',
  2: 'a group scale is not >= 0; the input holds NaN or Inf',
  3: "a group's levels are not on the grid (ggml: \"Oops: found point ... not on grid\"); the input holds NaN or Inf",
};

/** Whether `to` has a GPU encoder that takes an importance matrix (or one whose ggml quantizer ignores it). */
export function hasWeightedEncoder(to: TypeName): boolean {
  return GPU_KERNELS[to].encodeWeighted !== undefined || (!USES_WEIGHTS.has(to) && GPU_KERNELS[to].encode !== null);
}

function weightedKernel(to: TypeName, weights: Float32Array, elements: number): GpuKernel {
  const k = GPU_KERNELS[to].encodeWeighted;
  if (k === undefined) throw new GpuKernelMissingError(`no GPU kernel to encode ${to} with an importance matrix`);
  const n = weights.length;
  if (n === 0 || n % TYPES[to].blockSize !== 0 || elements % n !== 0) {
    throw new RangeError(`${to} encode with importance weights: ${elements} elements and ${n} weights are not whole rows of whole blocks`);
  }
  return k;
}

function padTo4(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(roundUp(b.length, 4));
  out.set(b);
  return out;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

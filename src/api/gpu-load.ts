import { TYPES, type TypeName } from '../codecs/catalogue';
import { KernelCache } from '../gpu/codec-runner';
import type { GpuContext } from '../gpu/device';
import { ChunkTransformer } from '../gpu/transform';
import { KilnApiError, type KilnModel } from './model';

export interface GpuLoadOptions {
  /** raw: the file's bytes (for kernels that dequantize as they go); f32: dequantized on the GPU. */
  readonly mode?: 'raw' | 'f32';
  /**
   * A tensor larger than one buffer (maxBufferSize, or maxStorageBufferBindingSize for STORAGE
   * use) is split into parts of whole rows when true (default); when false it is refused.
   */
  readonly split?: boolean;
  /** Keep every buffer at most this big (below the device's own limits), e.g. to fit an allocator's pages. */
  readonly maxBufferBytes?: number;
  /** Extra usage flags for the buffers (STORAGE | COPY_DST are always set; add COPY_SRC to read them back). */
  readonly usage?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { readonly tensor: string; readonly bytesDone: number; readonly bytesTotal: number }) => void;
}

export interface GpuTensorPart {
  readonly buffer: GPUBuffer;
  /** Rows [start, end) of the tensor this buffer holds. */
  readonly rows: readonly [number, number];
  /** Bytes of tensor data in the buffer (its size is this rounded up to 4). */
  readonly byteLength: number;
}

export interface GpuTensor {
  readonly name: string;
  /** The type of the buffers' contents: the tensor's own type (raw) or F32. */
  readonly type: TypeName;
  readonly shape: readonly number[];
  readonly parts: readonly GpuTensorPart[];
}

/** Bytes read and uploaded at a time: bounds host memory whatever the tensor's size. */
const UPLOAD_CHUNK_BYTES = 16 << 20;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function contextOf(device: GPUDevice): GpuContext {
  return {
    device,
    // Chrome refuses bindings above 2 GiB whatever the adapter says (PLATFORM.md)
    maxBinding: Math.min(device.limits.maxStorageBufferBindingSize, 2 ** 31 - 4) & ~3,
    maxBuffer: Math.min(device.limits.maxBufferSize, 2 ** 31 - 4),
    maxWorkgroupsPerDim: device.limits.maxComputeWorkgroupsPerDimension,
    maxInvocations: device.limits.maxComputeInvocationsPerWorkgroup,
    adapterLabel: 'caller device',
    isFallback: false,
    lost: device.lost,
  };
}

/**
 * Loads tensors into GPUBuffers on the caller's device, streaming each through host memory in
 * chunks of at most 16 MiB: raw, or dequantized to f32 by Kiln's WGSL kernels (bit-exact with the
 * CPU codecs). Buffers respect the device's maxBufferSize and maxStorageBufferBindingSize: a
 * tensor that does not fit one is split by whole rows, or refused when `split` is false. The caller
 * owns the buffers (destroy them); on failure or abort the buffers made so far are destroyed.
 */
export async function loadTensorsToGpu(device: GPUDevice, model: KilnModel, names: readonly string[] | null = null, opts: GpuLoadOptions = {}): Promise<GpuTensor[]> {
  const mode = opts.mode ?? 'raw';
  const ctx = contextOf(device);
  const limit = Math.min(ctx.maxBuffer, ctx.maxBinding, opts.maxBufferBytes ?? Infinity) & ~3;
  const tensors = (names ?? model.tensors.map((t) => t.name)).map((n) => model.tensor(n));
  const bytesTotal = tensors.reduce((a, t) => a + t.nbytes, 0);
  let bytesDone = 0;
  const made: GPUBuffer[] = [];
  const cache = mode === 'f32' ? new KernelCache(ctx) : null;
  const tx = cache === null ? null : new ChunkTransformer(cache);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | (opts.usage ?? 0);
  const out: GpuTensor[] = [];
  try {
    for (const t of tensors) {
      const type = t.type;
      if (type === null) throw new KilnApiError(`tensor "${t.name}" has type ${t.typeLabel}, which Kiln cannot load`);
      const { rows, rowElements, rowBytes } = model.rowLayout(t);
      const outRowBytes = mode === 'f32' ? rowElements * 4 : rowBytes;
      if (outRowBytes > limit) throw new KilnApiError(`tensor "${t.name}": one row is ${outRowBytes} bytes, more than this device's buffer limit of ${limit} bytes`);
      const rowsPerPart = Math.max(1, Math.floor(limit / Math.max(outRowBytes, 1)));
      const partCount = Math.max(1, Math.ceil(rows / rowsPerPart));
      if (partCount > 1 && opts.split === false) {
        throw new KilnApiError(`tensor "${t.name}" needs ${rows * outRowBytes} bytes, more than this device's buffer limit of ${limit} bytes; allow splitting it by rows (split: true)`);
      }
      const parts: GpuTensorPart[] = [];
      for (let p = 0; p < partCount; p++) {
        const r0 = p * rowsPerPart;
        const r1 = Math.min(rows, r0 + rowsPerPart);
        const byteLength = (r1 - r0) * outRowBytes;
        const buffer = device.createBuffer({ label: `${t.name}${partCount > 1 ? ` rows ${r0}-${r1}` : ''} (${mode === 'f32' ? 'F32' : type})`, size: Math.max(4, Math.ceil(byteLength / 4) * 4), usage });
        made.push(buffer);
        // chunks of whole rows whose byte length keeps every writeBuffer offset a multiple of 4
        const align = 4 / gcd(rowBytes, 4);
        let step = Math.max(align, Math.floor(UPLOAD_CHUNK_BYTES / Math.max(rowBytes, 1) / align) * align);
        if (tx !== null && type !== 'F32') step = Math.max(1, Math.min(step, Math.floor(tx.maxElements(type, 'F32') / Math.max(rowElements, 1))));
        for (let r = r0; r < r1; r += step) {
          if (opts.signal?.aborted) throw new DOMException('loading tensors was cancelled', 'AbortError');
          const n = Math.min(step, r1 - r);
          const bytes = await model.readTensor(t, { rows: [r, r + n] });
          const at = (r - r0) * outRowBytes;
          if (tx === null || type === 'F32') {
            const padded = bytes.length % 4 === 0 ? bytes : padTo4(bytes);
            device.queue.writeBuffer(buffer, at, padded.buffer, padded.byteOffset, padded.length);
          } else {
            if ((n * rowElements) % TYPES[type].blockSize !== 0) throw new KilnApiError(`tensor "${t.name}": rows are not whole ${type} blocks`);
            const f32 = await tx.decodeToGpu(type, bytes, n * rowElements);
            const enc = device.createCommandEncoder({ label: `load ${t.name}` });
            enc.copyBufferToBuffer(f32, 0, buffer, at, n * rowElements * 4);
            device.queue.submit([enc.finish()]);
            // the transformer reuses its f32 buffer on the next chunk: wait for this copy first
            await device.queue.onSubmittedWorkDone();
          }
          bytesDone += n * rowBytes;
          opts.onProgress?.({ tensor: t.name, bytesDone, bytesTotal });
        }
        parts.push({ buffer, rows: [r0, r1], byteLength });
      }
      out.push({ name: t.name, type: mode === 'f32' ? 'F32' : type, shape: t.shape, parts });
    }
    await device.queue.onSubmittedWorkDone();
    return out;
  } catch (e) {
    for (const b of made) b.destroy();
    throw e;
  }
}

function padTo4(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(b.length / 4) * 4);
  out.set(b);
  return out;
}


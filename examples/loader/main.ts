/**
 * The loader example: only the public browser API (in an app, `import ... from 'tensor-kiln'`).
 * A GGUF and a safetensors file are opened by URL, their tensors loaded into GPUBuffers on this
 * page's own device (raw: the file's bytes), and one Q4_K tensor dequantized by Kiln's WGSL
 * kernels, read back and drawn as a histogram. The outcome is also left on `window.loaderResult`
 * (and in the report) for the e2e test.
 */
import { loadTensorsToGpu, openModel, type GpuTensor, type KilnModel } from '../../src/index';

/** Bins of the histogram. */
const BINS = 64;

interface LoadedFile {
  readonly url: string;
  readonly format: string;
  readonly tensors: number;
  readonly buffers: number;
  readonly bytes: number;
  /** sha-256 of each tensor's bytes as read back from its GPU buffers (raw load). */
  readonly sha256: Record<string, string>;
}

export interface LoaderResult {
  readonly adapter: string;
  readonly gguf: LoadedFile;
  readonly safetensors: LoadedFile;
  readonly dequantized: {
    readonly tensor: string;
    readonly type: string;
    readonly elements: number;
    readonly min: number;
    readonly max: number;
    readonly bins: number[];
    /** sha-256 of the f32 values read back (little-endian bytes). */
    readonly sha256: string;
  };
}

declare global {
  interface Window {
    loaderResult?: LoaderResult;
    loaderError?: string;
  }
}

const status = document.getElementById('status')!;
const report = document.getElementById('report')!;

async function readBack(device: GPUDevice, t: GpuTensor): Promise<Uint8Array> {
  const total = t.parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of t.parts) {
    const staging = device.createBuffer({ label: `${t.name} read-back`, size: p.buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(p.buffer, 0, staging, 0, p.buffer.size);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    out.set(new Uint8Array(staging.getMappedRange(), 0, p.byteLength), at);
    staging.destroy();
    at += p.byteLength;
  }
  return out;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Loads every tensor of a model raw into GPU buffers, then reads them back to show they arrived. */
async function loadAll(device: GPUDevice, url: string, model: KilnModel): Promise<LoadedFile> {
  const loaded = await loadTensorsToGpu(device, model, null, {
    usage: GPUBufferUsage.COPY_SRC,
    onProgress: (p) => void (status.textContent = `${url}: ${p.tensor} ${p.bytesDone}/${p.bytesTotal} bytes`),
  });
  const sums: Record<string, string> = {};
  let bytes = 0;
  for (const t of loaded) {
    const b = await readBack(device, t);
    bytes += b.length;
    sums[t.name] = await sha256(b);
    for (const p of t.parts) p.buffer.destroy();
  }
  return { url, format: model.format, tensors: loaded.length, buffers: loaded.reduce((a, t) => a + t.parts.length, 0), bytes, sha256: sums };
}

/** Equal-width bins over [min, max]; the last bin holds max. */
export function histogram(values: Float32Array, bins: number): { min: number; max: number; bins: number[] } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  const width = max - min;
  for (const v of values) counts[width > 0 ? Math.min(bins - 1, Math.floor(((v - min) / width) * bins)) : 0]!++;
  return { min, max, bins: counts };
}

function draw(canvas: HTMLCanvasElement, h: { min: number; max: number; bins: number[] }, title: string): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = 24;
  ctx.clearRect(0, 0, width, height);
  const top = Math.max(...h.bins, 1);
  const w = (width - 2 * pad) / h.bins.length;
  ctx.fillStyle = '#3b6ea5';
  h.bins.forEach((c, i) => {
    const bh = ((height - 2 * pad) * c) / top;
    ctx.fillRect(pad + i * w, height - pad - bh, Math.max(1, w - 1), bh);
  });
  ctx.fillStyle = '#222';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(title, pad, 14);
  ctx.fillText(h.min.toPrecision(4), pad, height - 6);
  const maxLabel = h.max.toPrecision(4);
  ctx.fillText(maxLabel, width - pad - ctx.measureText(maxLabel).width, height - 6);
}

async function run(): Promise<LoaderResult> {
  const q = new URLSearchParams(location.search);
  const ggufUrl = new URL(q.get('gguf') ?? 'model.gguf', location.href).href;
  const stUrl = new URL(q.get('safetensors') ?? 'model.safetensors', location.href).href;
  if (!navigator.gpu) throw new Error('this browser has no WebGPU');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  // ask for the adapter's own buffer limits: the defaults are far below what GPUs allow
  const device = await adapter.requestDevice({
    requiredLimits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
  });

  const [gguf, st] = await Promise.all([openModel(ggufUrl), openModel(stUrl)]);
  const ggufLoaded = await loadAll(device, ggufUrl, gguf);
  const stLoaded = await loadAll(device, stUrl, st);

  const name = q.get('tensor') ?? gguf.tensors.find((t) => t.type === 'Q4_K')?.name;
  if (name === undefined) throw new Error(`${ggufUrl} has no Q4_K tensor`);
  status.textContent = `dequantizing ${name} on the GPU`;
  const [f32] = await loadTensorsToGpu(device, gguf, [name], { mode: 'f32', usage: GPUBufferUsage.COPY_SRC });
  const bytes = await readBack(device, f32!);
  for (const p of f32!.parts) p.buffer.destroy();
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const h = histogram(values, BINS);
  draw(document.getElementById('histogram') as HTMLCanvasElement, h, `${name} (${gguf.tensor(name).type}, dequantized on the GPU): ${values.length} values`);
  await Promise.all([gguf.close(), st.close()]);
  device.destroy();
  const info = adapter.info;
  return {
    adapter: `${info.vendor} ${info.architecture}`.trim(),
    gguf: ggufLoaded,
    safetensors: stLoaded,
    dequantized: { tensor: name, type: gguf.tensor(name).type ?? '?', elements: values.length, ...h, sha256: await sha256(bytes) },
  };
}

run().then(
  (r) => {
    window.loaderResult = r;
    status.textContent = `Done: ${r.gguf.tensors} + ${r.safetensors.tensors} tensors on the GPU (${r.adapter}); ${r.dequantized.tensor} dequantized.`;
    report.textContent = JSON.stringify({ ...r, gguf: { ...r.gguf, sha256: undefined }, safetensors: { ...r.safetensors, sha256: undefined } }, null, 2);
  },
  (e: unknown) => {
    window.loaderError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    status.textContent = `Failed: ${window.loaderError}`;
  },
);

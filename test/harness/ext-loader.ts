import { convertModel, loadTensorsToGpu, MemorySinkFactory, openModel, type GpuTensor, type KilnModel } from '../../src/index';
import type { HarnessEnv } from './main';
import { fetchFixture } from './fixtures';

/**
 * The public browser API on the page's real device: the tiny llama quantized to Q4_K_M in the
 * page (convertModel), opened from a Blob (openModel), its tensors loaded into GPUBuffers raw and
 * dequantized by the WGSL kernels (loadTensorsToGpu), read back and compared with the CPU decode.
 */
let q4: Promise<KilnModel> | null = null;
function tinyQ4(): Promise<KilnModel> {
  q4 ??= (async () => {
    const f16 = await openModel(new Blob([(await fetchFixture('gguf/tiny-llama-F16.gguf')) as BlobPart], { type: 'application/octet-stream' }));
    const out = new MemorySinkFactory();
    await convertModel(f16, { target: 'Q4_K_M', baseName: 'q.gguf', output: out, verify: false });
    return openModel(new File([out.sinks.get('q.gguf')!.bytes() as BlobPart], 'q.gguf'));
  })();
  return q4;
}

async function readBack(device: GPUDevice, buf: GPUBuffer, size: number): Promise<Uint8Array> {
  const staging = device.createBuffer({ size: Math.ceil(size / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, staging.size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint8Array(staging.getMappedRange().slice(0, size));
  staging.destroy();
  return out;
}

async function joined(device: GPUDevice, t: GpuTensor): Promise<Uint8Array> {
  const parts = await Promise.all(t.parts.map((p) => readBack(device, p.buffer, p.byteLength)));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function mismatches(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -1;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

export const harnessExt = {
  /** Loads every tensor of a type (Q4_K, Q6_K...) raw and as f32; counts bytes that differ from the CPU. */
  async loaderVsCpu(env: HarnessEnv, type: string, maxBufferBytes?: number) {
    const { device } = (await env()).ctx;
    const model = await tinyQ4();
    const names = model.tensors.filter((t) => t.type === type).map((t) => t.name);
    const progress: number[] = [];
    // COPY_SRC so this test can read the buffers back
    const opts = { usage: GPUBufferUsage.COPY_SRC, ...(maxBufferBytes ? { maxBufferBytes } : {}), onProgress: (p: { bytesDone: number }) => progress.push(p.bytesDone) };
    const raw = await loadTensorsToGpu(device, model, names, opts);
    const f32 = await loadTensorsToGpu(device, model, names, { ...opts, mode: 'f32' });
    let rawDiff = 0;
    let f32Diff = 0;
    let parts = 0;
    for (let i = 0; i < names.length; i++) {
      rawDiff += mismatches(await joined(device, raw[i]!), await model.readTensor(names[i]!));
      const cpu = await model.readTensor(names[i]!, { as: 'f32' });
      f32Diff += mismatches(await joined(device, f32[i]!), new Uint8Array(cpu.buffer, cpu.byteOffset, cpu.byteLength));
      parts += f32[i]!.parts.length;
    }
    for (const t of [...raw, ...f32]) for (const p of t.parts) p.buffer.destroy();
    return { tensors: names.length, rawDiff, f32Diff, parts, progressEvents: progress.length };
  },

  /** A buffer limit below one row is refused, naming the sizes; split: false refuses a split. */
  async loaderRefusals(env: HarnessEnv) {
    const { device } = (await env()).ctx;
    const model = await tinyQ4();
    const t = model.tensors.find((x) => x.type === 'Q4_K')!;
    const msg = (p: Promise<unknown>) => p.then(() => 'resolved', (e: Error) => `${e.name}: ${e.message}`);
    return {
      tooSmall: await msg(loadTensorsToGpu(device, model, [t.name], { maxBufferBytes: 16 })),
      noSplit: await msg(loadTensorsToGpu(device, model, [t.name], { maxBufferBytes: t.nbytes / 2, split: false })),
    };
  },
};

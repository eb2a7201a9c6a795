/**
 * Tensor Kiln for the browser: open a model from Files, FileSystemFileHandles (OPFS included),
 * URLs or the Hugging Face Hub; read tensors; load them into GPUBuffers on your GPUDevice, raw or
 * dequantized on the GPU; convert and quantize. Import only what you use: the GPU loader is the
 * only part that pulls in WGSL kernels, the conversion the only part that pulls in WebAssembly.
 */
import { openModel as openView } from './formats/open';
import { BlobSource } from './io/blob-source';
import type { ByteSource } from './io/byte-source';
import type { HubOptions } from './io/hub';
import { KilnModel } from './api/model';
import { openRemoteModel } from './api/remote';

export * from './api/shared';
export { loadTensorsToGpu, type GpuLoadOptions, type GpuTensor, type GpuTensorPart } from './api/gpu-load';
export { BlobSource };
export { OpfsSinkFactory } from './io/opfs-sink';
export { HandleSinkFactory, type SaveTarget } from './io/handle-sink';

export type LocalInput = Blob | FileSystemFileHandle;
export type ModelInput = LocalInput | readonly LocalInput[] | FileList | string | URL | readonly (string | URL)[];
export type OpenOptions = HubOptions;

const isHandle = (x: unknown): x is FileSystemFileHandle => typeof (x as FileSystemFileHandle)?.getFile === 'function';

async function toSource(x: LocalInput): Promise<ByteSource> {
  if (isHandle(x)) return new BlobSource(await x.getFile());
  return new BlobSource(x);
}

/**
 * Opens one model: a File or Blob, a FileSystemFileHandle (from a picker or OPFS), every part of
 * one model (shards, split parts, a Hugging Face folder's files), a URL (or one per part), or
 * `owner/repo[@revision][:file|:QUANT]` on the Hugging Face Hub.
 */
export async function openModel(input: ModelInput, opts: OpenOptions = {}): Promise<KilnModel> {
  if (typeof input === 'string' || input instanceof URL) {
    const r = await openRemoteModel(input, opts);
    return new KilnModel(r.view, r.sources);
  }
  const list: unknown[] = typeof FileList !== 'undefined' && input instanceof FileList ? [...input] : Array.isArray(input) ? [...input] : [input];
  if (list.length > 0 && list.every((x) => typeof x === 'string' || x instanceof URL)) {
    const r = await openRemoteModel(list as (string | URL)[], opts);
    return new KilnModel(r.view, r.sources);
  }
  const sources = await Promise.all((list as LocalInput[]).map(toSource));
  return new KilnModel(await openView(sources), sources);
}

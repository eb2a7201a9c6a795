/**
 * Tensor Kiln for Node: open a model from paths, URLs or the Hugging Face Hub, read tensors,
 * convert and quantize. No DOM and no WebGPU here (Node's WebGPU is not reliable enough); the
 * conversions run on the CPU codecs.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { expandPaths } from './cli/files';
import { openModel as openView } from './formats/open';
import { NodeDirSinkFactory, type NodeSinkOptions } from './io/node/file-sink';
import { NodeFileSource } from './io/node/file-source';
import type { HubOptions } from './io/hub';
import { KilnModel } from './api/model';
import { openRemoteModel } from './api/remote';
import { convertModel, type ConvertOptions, type ConvertResult } from './api/convert';

export * from './api/shared';
export { NodeFileSource, NodeDirSinkFactory, type NodeSinkOptions };

export type OpenOptions = HubOptions;

async function isLocal(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Model files by their extension: a missing `models/x.gguf` is a missing file, not a Hub repository. */
const FILE_EXT_RE = /\.(gguf|safetensors|bin|pt|pth|ckpt|onnx|json|index|data-\d+-of-\d+)$/i;

/** `hf://owner/repo...` always; a bare `owner/repo[@rev][:x]` when no such local path exists and it names no model file. */
async function looksLikeHubRef(s: string): Promise<boolean> {
  if (s.startsWith('hf://')) return true;
  if (s.startsWith('file:') || /^[./~\\]/.test(s)) return false;
  const repo = s.split(/[@:]/)[0]!;
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo) || FILE_EXT_RE.test(repo)) return false;
  return !(await isLocal(s));
}

/**
 * Opens one model from:
 * - local paths: a file, every part of one model (shards, split GGUF parts), or a folder (its
 *   files, as the CLI takes them);
 * - URLs (http, https): one per part;
 * - `owner/repo[@revision][:file|:QUANT]` on the Hugging Face Hub: `hf://owner/repo`, or bare
 *   when no such local path exists and the name is not a model file's (`models/x.gguf` is a path).
 */
export async function openModel(input: string | URL | readonly (string | URL)[], opts: OpenOptions = {}): Promise<KilnModel> {
  const list = typeof input === 'string' || input instanceof URL ? [input] : input;
  const strs = list.map((x) => (x instanceof URL ? x.href : x));
  const remote = strs.every((s) => /^https?:\/\//i.test(s)) || (strs.length === 1 && (await looksLikeHubRef(strs[0]!)));
  if (remote) {
    const r = await openRemoteModel(strs, opts);
    return new KilnModel(r.view, r.sources);
  }
  const paths = await expandPaths(strs.map((s) => (s.startsWith('file:') ? new URL(s).pathname : s)));
  const sources: NodeFileSource[] = [];
  const close = async () => void (await Promise.all(sources.map((s) => s.close().catch(() => undefined))));
  try {
    for (const p of paths) sources.push(await NodeFileSource.open(p));
    return new KilnModel(await openView(sources), sources, close);
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Converts into a file at `path` (split outputs: parts named <stem>-0000N-of-0000M beside it).
 * Files appear under their names only once written and verified.
 */
export async function convertToFile(model: KilnModel, path: string, opts: Omit<ConvertOptions, 'output' | 'baseName'>): Promise<ConvertResult> {
  const full = resolve(path);
  const output = new NodeDirSinkFactory(dirname(full), { deferCommit: true });
  try {
    const r = await convertModel(model, { ...opts, baseName: basename(full), output });
    await output.commit();
    return r;
  } catch (e) {
    await output.discard();
    throw e;
  }
}

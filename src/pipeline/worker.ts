/// <reference lib="webworker" />
import type { TensorStats } from '../codecs/stats';
import type { TypeName } from '../codecs/catalogue';
import type { ModelView } from '../formats/model';
import { openModel } from '../formats/open';
import { folderFromRelativePaths } from '../formats/hf/reader';
import { acquireGpu } from '../gpu/device';
import { BlobSource } from '../io/blob-source';
import { openRemoteModel } from '../api/remote';
import { allowedHostsFetch, assertAllowedRemoteUrl } from '../io/allowed-hosts';
import { OpfsSinkFactory, removeStaleOutputs } from '../io/opfs-sink';
import { HandleSinkFactory, type SaveTarget } from '../io/handle-sink';
import { CompositeEngine } from './composite-engine';
import { browserPool } from './browser-pool';
import type { PoolEngine } from './pool-engine';
import type { TransformEngine } from './engine';
import { executePlan } from './executor';
import { GpuEngine } from './gpu-engine';
import type { ConversionPlan } from './plan';
import { planConversion } from './planner';
import { parseQuantizeOptions } from './quantize-options';
import { loadImatrix, withImatrix, type ImatrixChoice } from './imatrix-options';
import { imatrixCoverage } from './imatrix-summary';
import type { ConvertRequest, ConvertResult, EngineInfo, EnginePreference, ModelSummary, PlanEstimate, PlanSummary, Request, Response } from './protocol';
import { tensorStats } from './stats-job';
import { verifyOutput } from './verify';
import { compareHistograms } from './compare-job';
import { planMetadataEdit } from './metadata-edit';
import { tensorHeatmap } from './heatmap-job';
import { tensorValues } from './values-job';

/**
 * The pipeline worker: owns the open model, the GPU device and the running conversion, so the
 * page only renders. One conversion at a time; statistics requests may run beside it.
 */
declare const self: DedicatedWorkerGlobalScope;

let model: ModelView | null = null;
let gpu: Promise<GpuEngine | null> | null = null;
let gpuNote: string | null = null;
const running = new Map<number, AbortController>();

function post(msg: Response): void {
  self.postMessage(msg);
}

function engineGpu(): Promise<GpuEngine | null> {
  gpu ??= acquireGpu().then(
    (ctx) => {
      void ctx.lost.then((info) => {
        gpuNote = `GPU device lost (${info.reason}): ${info.message}`;
        gpu = null;
      });
      return new GpuEngine(ctx);
    },
    (e: unknown) => {
      gpuNote = e instanceof Error ? e.message : String(e);
      return null;
    },
  );
  return gpu;
}

/**
 * For tests that drive the page: losing the device mid-run is how a driver reset or a browser's GPU
 * process crash looks to the pipeline, and `device.destroy()` is the only way to cause one on demand.
 */
(self as unknown as { kilnTestHooks: unknown }).kilnTestHooks = {
  async destroyGpuDevice(): Promise<boolean> {
    const g = await gpu;
    g?.gpu.device.destroy();
    return g != null;
  },
};

const CPU_THREADS = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
let pool: PoolEngine | null = null;
function cpuEngine(): TransformEngine {
  pool ??= browserPool(CPU_THREADS);
  return pool;
}

/**
 * The engine for a run. A software adapter (SwiftShader) is slower than the CPU codecs on every
 * type measured, so `auto` uses the CPU threads there; on a real GPU, the GPU, with the CPU
 * threads for any pair that lacks a kernel.
 */
async function engines(pref: EnginePreference = 'auto'): Promise<{ primary: TransformEngine; gpuEngine: GpuEngine | null }> {
  const g = await engineGpu();
  if (g === null || pref === 'cpu' || (pref === 'auto' && g.gpu.isFallback)) return { primary: cpuEngine(), gpuEngine: g };
  return { primary: new CompositeEngine(g, cpuEngine()), gpuEngine: g };
}

function summary(m: ModelView): ModelSummary {
  return {
    format: m.format,
    files: m.files,
    details: [...m.details],
    metadata: [...m.metadata],
    tensors: m.tensors.map((t) => ({ name: t.name, type: t.type, typeLabel: t.typeLabel, shape: t.shape, nbytes: t.nbytes, file: t.file, fileOffset: t.fileOffset })),
    totalBytes: m.tensors.reduce((a, t) => a + Math.max(0, t.nbytes), 0),
  };
}

function planSummary(p: ConversionPlan, im: ImatrixChoice | null): PlanSummary {
  return {
    target: p.target,
    format: p.format,
    files: p.files,
    tensors: p.tensors.map((t) => ({ name: t.name, from: t.from, to: t.to, reason: t.reason })),
    warnings: p.warnings,
    ...(im !== null ? { imatrix: imatrixCoverage(im, p.tensors) } : {}),
  };
}

function requireModel(): ModelView {
  if (!model) throw new Error('no model is open');
  return model;
}

/** The imatrix files read so far, by picked file and entry filter (plans come often; the file is read once). */
const imatrices = new WeakMap<Blob, Map<string, Promise<ImatrixChoice>>>();

/** llama-quantize --imatrix for GGUF output, read as the CLI reads it (loadImatrix). */
function requestImatrix(req: ConvertRequest): Promise<ImatrixChoice | null> {
  const im = req.imatrix;
  if (im === undefined || req.format !== 'gguf') return Promise.resolve(null);
  const include = im.includeWeights ?? [];
  const exclude = im.excludeWeights ?? [];
  if (include.length > 0 && exclude.length > 0) return Promise.reject(new Error('--include-weights and --exclude-weights cannot be used together'));
  let byFilter = imatrices.get(im.file);
  if (byFilter === undefined) imatrices.set(im.file, (byFilter = new Map()));
  const key = JSON.stringify([im.name, include, exclude]);
  let p = byFilter.get(key);
  if (p === undefined) {
    p = loadImatrix(new BlobSource(im.file, im.name), im.name, include, exclude);
    byFilter.set(key, p);
    // a failed read is not kept: the next plan tries again and reports it again
    p.catch(() => byFilter.delete(key));
  }
  return p;
}

async function plan(req: ConvertRequest): Promise<ConversionPlan> {
  return (await planWithImatrix(req)).plan;
}

/** The plan, and the imatrix it was made with (null when none was picked or the output is not GGUF). */
async function planWithImatrix(req: ConvertRequest): Promise<{ plan: ConversionPlan; im: ImatrixChoice | null }> {
  if (req.metadataEdits) return { plan: planMetadataEdit(requireModel(), req.metadataEdits, req.baseName), im: null };
  const im = await requestImatrix(req);
  const parsed = withImatrix(parseQuantizeOptions(req.options ?? {}), im);
  return { plan: planConversion(requireModel(), { format: req.format, target: req.target, baseName: req.baseName, ...parsed }), im };
}

/** The OPFS folder holding the files the page offers now; released when the next run starts. */
let offered: OpfsSinkFactory | null = null;
/** The plan whose output `offered` holds, for before/after histograms. */
let offeredPlan: ConversionPlan | null = null;

/** A converted tensor's values before and after, from the input and the output in OPFS. */
async function compare(name: string, bins: number): Promise<unknown> {
  const p = offeredPlan;
  const dir = offered;
  const planned = p?.tensors.find((t) => t.name === name);
  if (!p || !dir || !planned) throw new Error(`no converted output in this browser holds "${name}"`);
  try {
    const out = await openModel(await Promise.all(p.files.map((f) => dir.reopen(f.name))));
    const t = out.tensors.find((x) => x.name === name);
    if (!t) throw new Error(`the output has no tensor "${name}"`);
    return await compareHistograms(planned, t, bins);
  } finally {
    await dir.closeReopened();
  }
}

// a tab closed mid-run leaves its folder behind; this visit removes what no open page claims
void removeStaleOutputs().catch(() => undefined);

/** Output bigger than the storage the browser grants this site: refuse before writing a byte. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
}

const MB = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 0)} MB`;

async function checkQuota(need: number): Promise<void> {
  const est = await navigator.storage?.estimate?.().catch(() => null);
  if (!est || est.quota === undefined) return;
  const free = est.quota - (est.usage ?? 0);
  if (need > free) {
    throw new StorageFullError(
      `the output needs ${MB(need)} but the browser lets this site store only ${MB(Math.max(0, free))} more (of ${MB(est.quota)}); nothing was written. Free disk space, or use "Convert and save to…" to write straight to a file you choose.`,
    );
  }
}

async function convert(id: number, req: ConvertRequest, save: SaveTarget | undefined): Promise<ConvertResult> {
  const { plan: p, im } = await planWithImatrix(req);
  const ac = new AbortController();
  running.set(id, ac);
  let opfs: OpfsSinkFactory | null = null;
  try {
    const { primary, gpuEngine } = await engines(req.engine);
    let switched: string | null = null;
    if (primary instanceof CompositeEngine && gpuEngine !== null) await prepareKernels(id, p, gpuEngine, primary.label, ac.signal);
    if (!save) {
      offered?.release();
      offered = null;
      offeredPlan = null;
      opfs = await OpfsSinkFactory.fresh();
      await checkQuota(p.files.reduce((a, f) => a + f.size, 0));
    }
    const sinks = opfs ?? new HandleSinkFactory(save!);
    const res = await executePlan(p, primary, sinks, {
      signal: ac.signal,
      qualityStats: true,
      onProgress: (progress) => post({ kind: 'progress', id, progress }),
      // A lost device fails its pending work; the CPU codecs give the same bytes, so carry on there.
      onEngineFailure: (e, failed) => {
        if (!(failed instanceof CompositeEngine)) return null;
        gpuNote = `GPU failed: ${e instanceof Error ? e.message : String(e)}`;
        switched = `${failed.label} until ${e instanceof Error ? e.message : String(e)}, then `;
        gpu = null;
        return cpuEngine();
      },
    }).catch((e: unknown) => {
      if (e instanceof DOMException && e.name === 'QuotaExceededError') {
        const need = p.files.reduce((a, f) => a + f.size, 0);
        throw new StorageFullError(`the browser's storage for this site filled up while writing the ${MB(need)} output; the partial output was removed. Free disk space, or use "Convert and save to…" to write straight to a file you choose.`);
      }
      throw e;
    });
    const verified = await verifyOutput(p, res, sinks, { signal: ac.signal }).catch(async (e: unknown) => {
      // the picked files were committed by then: what fails its check must not stay under the user's names
      if (save) await removeSaved(save, p.files.map((f) => f.name));
      throw e;
    });
    if (opfs) {
      offered = opfs;
      offeredPlan = p;
    }
    return { plan: planSummary(p, im), opfsDir: opfs ? opfs.dirName : null, seconds: res.seconds, engine: (switched ?? '') + res.engine, verified, ...(res.quality ? { quality: res.quality } : {}) };
  } catch (e) {
    // nothing of a failed run stays in OPFS: not its files, not its folder
    if (opfs) await opfs.discard();
    // storage already full before the first byte (the output folder could not be made): the same words
    if (e instanceof DOMException && e.name === 'QuotaExceededError') {
      const need = p.files.reduce((a, f) => a + f.size, 0);
      throw new StorageFullError(`the browser's storage for this site filled up while writing the ${MB(need)} output; the partial output was removed. Free disk space, or use "Convert and save to…" to write straight to a file you choose.`);
    }
    throw e;
  } finally {
    running.delete(id);
  }
}

/** The GPU compiles its pipelines before the first chunk: say so ('preparing'), then compile them. */
async function prepareKernels(id: number, p: ConversionPlan, g: GpuEngine, engine: string, signal: AbortSignal): Promise<void> {
  const started = performance.now();
  const report = () =>
    post({
      kind: 'progress',
      id,
      progress: { phase: 'preparing', bytesIn: 0, bytesInTotal: p.inputBytes, bytesOut: 0, bytesOutTotal: p.outputBytes, tensorsDone: 0, tensorsTotal: p.tensors.length, currentTensor: null, seconds: (performance.now() - started) / 1000, mbPerSec: 0, etaSeconds: null, engine },
    });
  report();
  const pairs = new Map<string, readonly [TypeName, TypeName]>();
  for (const t of p.tensors) pairs.set(`${t.from}>${t.to}`, [t.from, t.to]);
  await g.prepare([...pairs.values()], () => {
    if (!signal.aborted) report();
  });
}

/**
 * A run into files the user picked failed after they were committed (verification found them
 * different from what was written): they must not stay under the user's names.
 */
async function removeSaved(save: SaveTarget, names: readonly string[]): Promise<void> {
  if (save.kind === 'directory') {
    for (const n of names) await save.handle.removeEntry(n).catch(() => undefined);
    return;
  }
  const h = save.handle as FileSystemFileHandle & { remove?: () => Promise<void> };
  if (typeof h.remove === 'function') await h.remove().catch(() => undefined);
}

async function handle(msg: Request): Promise<unknown> {
  switch (msg.kind) {
    case 'open': {
      // a picked folder's name is general.name for a Hugging Face checkpoint, as the converter derives it
      const folder = folderFromRelativePaths(msg.files.map((f) => f.webkitRelativePath ?? '')) ?? undefined;
      const m = await openModel(msg.files.map((f) => new BlobSource(f)), { folder });
      model = m;
      return summary(m);
    }
    case 'openRemote': {
      // the privacy promise, also where the app is served without its CSP header: a URL is read
      // only from the Hub's hosts or this origin, and every request (redirects too) is checked
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(msg.source.trim())) assertAllowedRemoteUrl(msg.source.trim(), self.location.origin);
      const fetch = allowedHostsFetch(globalThis.fetch.bind(globalThis), self.location.origin);
      const r = await openRemoteModel(msg.source, msg.token ? { token: msg.token, fetch } : { fetch });
      model = r.view;
      return { ...summary(r.view), fileBytes: r.sources.reduce((a, s) => a + s.size, 0) };
    }
    case 'engine': {
      const g = await engineGpu();
      return { gpu: g !== null, label: g ? g.label : cpuEngine().label, fallbackAdapter: g?.gpu.isFallback ?? false, cpuThreads: CPU_THREADS, note: g ? null : gpuNote } satisfies EngineInfo;
    }
    case 'stats': {
      const m = requireModel();
      const t = m.tensors[msg.tensor];
      if (!t) throw new RangeError(`no tensor #${msg.tensor}`);
      const { gpuEngine } = await engines();
      return (await tensorStats(t, gpuEngine)) satisfies TensorStats;
    }
    case 'plan': {
      const { plan: p, im } = await planWithImatrix(msg.request);
      return planSummary(p, im);
    }
    case 'convert':
      return convert(msg.id, msg.request, msg.save);
    case 'compare':
      return compare(msg.tensor, msg.bins);
    case 'heatmap': {
      const t = requireModel().tensors[msg.tensor];
      if (!t) throw new RangeError(`no tensor #${msg.tensor}`);
      const { gpuEngine } = await engines();
      return tensorHeatmap(t, gpuEngine);
    }
    case 'values': {
      const t = requireModel().tensors[msg.tensor];
      if (!t) throw new RangeError(`no tensor #${msg.tensor}`);
      return tensorValues(t);
    }
    case 'cancel':
      running.get(msg.target)?.abort();
      return null;
    case 'planAll': {
      // the type picker's sizes: one plan per target, metadata only
      const estimates: PlanEstimate[] = [];
      for (const target of msg.targets) {
        try {
          const p = await plan({ ...msg.request, target });
          estimates.push({ target, outputBytes: p.files.reduce((a, f) => a + f.size, 0), error: null });
        } catch (e) {
          estimates.push({ target, outputBytes: null, error: e instanceof Error ? e.message : String(e) });
        }
      }
      return estimates;
    }
  }
}

self.onmessage = (ev: MessageEvent<Request>) => {
  const msg = ev.data;
  handle(msg).then(
    (value) => post({ kind: 'result', id: msg.id, value }),
    (e: unknown) => {
      const err = e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
      post({ kind: 'error', id: msg.id, error: err });
    },
  );
};

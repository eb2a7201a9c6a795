import { USES_WEIGHTS } from '../codecs/weighted';
import { TYPES, type TypeName } from '../codecs/catalogue';
import { validateRowData, type InvalidData } from '../codecs/validate';
import { QuantizeAbort } from '../codecs/iq-math';
import { crc32Update } from '../formats/zip/crc32';
import { addSums, chunkQualityCpu, emptySums, finishQuality, type QualitySums, type TensorQuality } from '../codecs/quality';
import type { SinkFactory } from '../io/byte-sink';
import type { ConversionPlan, PlannedOutputTensor } from './plan';
import { outputBytes, type TransformEngine } from './engine';
import { BufferPool } from './buffer-pool';
import { measures } from './measured';
import { DEFAULT_STALL_SECONDS, StallError, StallWatch } from './stall-watch';

export interface ProgressInfo {
  /** 'preparing': the GPU engine compiles its kernels before the first chunk (reported by the worker). */
  readonly phase: 'preparing' | 'converting' | 'verifying';
  readonly bytesIn: number;
  readonly bytesInTotal: number;
  readonly bytesOut: number;
  readonly bytesOutTotal: number;
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly currentTensor: string | null;
  readonly seconds: number;
  /** Input MB/s so far (1 MB = 10^6 bytes). */
  readonly mbPerSec: number;
  readonly etaSeconds: number | null;
  readonly engine: string;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ProgressInfo) => void;
  /** Called when the engine fails (e.g. the GPU device was lost); may return an engine to continue with. */
  readonly onEngineFailure?: (error: unknown, failed: TransformEngine) => TransformEngine | null;
  /** Elements per raw-copy chunk (tensors whose type does not change). */
  readonly copyChunkElements?: number;
  /** Seconds without any read, conversion or write completing before the run fails (StallError). */
  readonly stallSeconds?: number;
  /**
   * Measure every converted tensor's quantization error (RMSE, max abs error, cosine, SNR) from
   * its input and its encoded output: on the GPU where the engine does (transformMeasured), else
   * with the CPU twin on this thread.
   */
  readonly qualityStats?: boolean;
}

export interface RunResult {
  readonly files: ConversionPlan['files'];
  /** CRC-32 of every output tensor's bytes, computed as they were written. */
  readonly checksums: ReadonlyMap<string, number>;
  readonly seconds: number;
  readonly engine: string;
  /** With qualityStats: one entry per tensor whose type changed, in plan order. */
  readonly quality?: readonly TensorQuality[];
}

/** A tensor could not be converted (ggml itself would abort on its data, or a codec failed). */
export class ConversionError extends Error {
  override readonly name = 'ConversionError';
  constructor(
    readonly tensor: string,
    override readonly cause: unknown,
  ) {
    super(`tensor "${tensor}": ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * A tensor holds data llama-quantize refuses (NaN or Inf where ggml_validate_row_data looks), in
 * the input or in what converting it produced (values too large for the target's f16 scales).
 */
export class InvalidDataError extends Error {
  override readonly name = 'InvalidDataError';
  constructor(
    readonly tensor: string,
    readonly stage: 'input' | 'output',
    readonly problem: InvalidData,
    type: TypeName,
  ) {
    const where = `${problem.unit} ${problem.index}`;
    super(
      problem.found === 'a type ggml does not validate'
        ? `tensor "${tensor}" is ${type}, which llama-quantize's data check rejects as a whole`
        : stage === 'input'
          ? `tensor "${tensor}" has invalid data: ${problem.found} at ${where} of its ${type} data (llama-quantize checks every tensor it reads and refuses this too)`
          : `tensor "${tensor}" converted to ${type} is invalid: ${problem.found} at ${where} (its values overflow ${TYPES[type].family === 'quant' ? `${type}'s f16 scales` : type}; llama-quantize fails here with "quantized data validation failed")`,
    );
  }
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('conversion cancelled; the partial output was removed');
  }
}

interface Job {
  readonly tensor: PlannedOutputTensor;
  readonly index: number;
  /** Byte range in the source tensor. */
  readonly offset: number;
  readonly length: number;
  readonly elements: number;
  readonly last: boolean;
  /** The importance weights for this chunk's rows (one expert's), when the tensor has them. */
  readonly weights?: Float32Array;
}

/** As many elements as a CPU codec chunk (8 MB of f32), so a copy reads as a conversion does. */
const DEFAULT_COPY_CHUNK_ELEMENTS = 2 * 1024 * 1024;
const PROGRESS_INTERVAL_MS = 200;

/** Removing a partial output is bounded too: a sink that never answers must not hang the error. */
const ABORT_LIMIT_MS = 30_000;

async function abortWithin(writer: { abort(): Promise<void> }, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((ok) => {
    timer = setTimeout(ok, ms);
  });
  try {
    await Promise.race([writer.abort().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

function* jobsOf(plan: ConversionPlan, engine: TransformEngine, copyElements: number): Generator<Job> {
  let index = 0;
  for (const t of plan.tensors) {
    const inPer = TYPES[t.from].typeSize / TYPES[t.from].blockSize;
    let step: number; // elements per chunk
    if (t.from === t.to) {
      const granule = TYPES[t.from].blockSize;
      step = Math.max(granule, Math.floor(copyElements / granule) * granule);
    } else {
      step = engine.maxChunkElements(t.from, t.to);
    }
    if (t.elements === 0) {
      yield { tensor: t, index, offset: 0, length: 0, elements: 0, last: true };
    }
    // ggml's quantizers for Q8_0, TQ*_0, MXFP4, ... ignore the weights: chunked and encoded as
    // without them, so an engine without a weighted kernel for the type still takes them
    if (t.weights !== undefined && t.from !== t.to && USES_WEIGHTS.has(t.to)) {
      yield* weightedJobs(t, index, inPer, step);
      index++;
      continue;
    }
    for (let e = 0; e < t.elements; e += step) {
      const n = Math.min(step, t.elements - e);
      yield { tensor: t, index, offset: e * inPer, length: n * inPer, elements: n, last: e + n >= t.elements };
    }
    index++;
  }
}

/**
 * Chunks of a tensor quantized with importance weights: whole rows (some quantizers weigh by the
 * row's mean square), never across two experts of a 3-D tensor (each has its own weights, as
 * llama_model_quantize_impl passes imatrix + i03 * n_per_row), each with its weights.
 */
function* weightedJobs(t: PlannedOutputTensor, index: number, inPer: number, step: number): Generator<Job> {
  const weights = t.weights!;
  const ne0 = t.shape[t.shape.length - 1] ?? 1;
  const perExpert = ne0 * (t.shape.length >= 2 ? t.shape[t.shape.length - 2]! : 1);
  const rowsStep = Math.max(ne0, Math.floor(step / ne0) * ne0);
  for (let e = 0; e < t.elements; ) {
    const n = Math.min(rowsStep, t.elements - e, perExpert - (e % perExpert));
    const expert = Math.floor(e / perExpert);
    const w = weights.length > ne0 ? weights.subarray(expert * ne0, (expert + 1) * ne0) : weights;
    yield { tensor: t, index, offset: e * inPer, length: n * inPer, elements: n, last: e + n >= t.elements, weights: w };
    e += n;
  }
}

/**
 * Streams a plan: for each chunk of each tensor, read -> convert -> write, with the next chunk's
 * read and several conversions in flight (one per engine slot, plus two) while the previous
 * output is written. Output tensors are checksummed as they go; on any failure or cancel the
 * writer is aborted, so no partial file remains.
 */
export async function executePlan(plan: ConversionPlan, engineIn: TransformEngine, sinks: SinkFactory, opts: RunOptions = {}): Promise<RunResult> {
  let engine = engineIn;
  const started = performance.now();
  const checksums = new Map<string, number>();
  let bytesIn = 0;
  let bytesOut = 0;
  let tensorsDone = 0;
  const watch = new StallWatch((opts.stallSeconds ?? DEFAULT_STALL_SECONDS) * 1000, () => `${tensorsDone} of ${plan.tensors.length} tensors written, ${bytesIn} of ${plan.inputBytes} input bytes`);
  const onAbort = () => watch.interrupt(new CancelledError());
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let writer: Awaited<ReturnType<ConversionPlan['open']>>;
  try {
    writer = await watch.wait('the output files to be created', plan.open(sinks));
  } catch (e) {
    watch.stop();
    opts.signal?.removeEventListener('abort', onAbort);
    throw opts.signal?.aborted ? new CancelledError() : e;
  }
  let lastReport = 0;
  const report = (current: string | null, force = false) => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? bytesIn / seconds : 0;
    opts.onProgress({
      phase: 'converting',
      bytesIn,
      bytesInTotal: plan.inputBytes,
      bytesOut,
      bytesOutTotal: plan.outputBytes,
      tensorsDone,
      tensorsTotal: plan.tensors.length,
      currentTensor: current,
      seconds,
      mbPerSec: rate / 1e6,
      etaSeconds: rate > 0 ? (plan.inputBytes - bytesIn) / rate : null,
      engine: engine.label,
    });
  };
  const checkCancel = () => {
    if (opts.signal?.aborted) throw new CancelledError();
  };

  // Chunk buffers are recycled (see BufferPool); a result is returned to the pool only when it
  // lives in a buffer the pool handed out, never when a reader returned its own memory.
  const pool = new BufferPool();
  interface Chunk {
    bytes: Uint8Array;
    owned: boolean;
    quality?: QualitySums;
  }
  const qualitySums = new Map<string, QualitySums>();
  const readChunk = async (j: Job): Promise<Chunk> => {
    if (j.length === 0) return { bytes: new Uint8Array(0), owned: false };
    const into = pool.acquire(j.length);
    const src = j.tensor.source;
    const bytes = await watch.wait(`reading ${j.length} bytes of "${j.tensor.name}" at its byte ${j.offset} from ${src.file}`, src.read(j.offset, j.length, into));
    const transferred = into.buffer.byteLength === 0; // a BYOB read moved it into `bytes`
    const owned = bytes.buffer === into.buffer || transferred;
    if (!owned) pool.release(into);
    return { bytes, owned };
  };
  const convert = async (job: Job, input: Chunk): Promise<Chunk> => {
    const t = job.tensor;
    if (t.from === t.to) return input;
    const out = pool.acquire(outputBytes(t.to, job.elements));
    if (job.weights !== undefined && engine.acceptsWeights !== true) {
      throw new ConversionError(t.name, new Error(`${engine.label} cannot quantize with an importance matrix`));
    }
    for (;;) {
      const used = engine;
      try {
        const what = `${used.label} to convert ${job.elements} elements of "${t.name}" (${t.from} to ${t.to})`;
        let bytes: Uint8Array;
        let quality: QualitySums | undefined;
        if (opts.qualityStats) {
          const m = measures(used) ? await watch.wait(what, used.transformMeasured(t.from, t.to, input.bytes, job.elements, out, job.weights)) : { bytes: await watch.wait(what, used.transform(t.from, t.to, input.bytes, job.elements, out, job.weights)), quality: null };
          bytes = m.bytes;
          quality = m.quality ?? chunkQualityCpu(t.from, t.to, input.bytes, bytes, job.elements);
        } else {
          bytes = await watch.wait(what, used.transform(t.from, t.to, input.bytes, job.elements, out, job.weights));
        }
        if (input.owned) pool.release(input.bytes);
        if (bytes.buffer !== out.buffer) pool.release(out);
        return quality ? { bytes, owned: true, quality } : { bytes, owned: true };
      } catch (e) {
        if (e instanceof StallError) throw e;
        // ggml would abort on this input: another engine would refuse it too
        if (e instanceof QuantizeAbort) throw new ConversionError(t.name, e);
        // another chunk's failure already switched engines: retry this one there
        if (engine !== used) continue;
        const next = opts.onEngineFailure?.(e, used) ?? null;
        if (next === null || next === used) throw new ConversionError(t.name, e);
        engine = next;
      }
    }
  };

  /** ggml_validate_row_data on one chunk; indices reported from the tensor's start. */
  const checkData = (job: Job, bytes: Uint8Array, stage: 'input' | 'output'): void => {
    const t = job.tensor;
    const type = stage === 'input' ? t.from : t.to;
    const problem = validateRowData(type, bytes);
    if (problem === null) return;
    const firstElement = (job.offset / TYPES[t.from].typeSize) * TYPES[t.from].blockSize;
    const base = problem.unit === 'element' ? firstElement : firstElement / TYPES[type].blockSize;
    throw new InvalidDataError(t.name, stage, { ...problem, index: base + problem.index }, type);
  };

  try {
    checkCancel();
    report(null, true);
    const jobs = jobsOf(plan, engine, opts.copyChunkElements ?? DEFAULT_COPY_CHUNK_ELEMENTS);
    const pending: { job: Job; out: Promise<Chunk> }[] = [];
    const flush = async () => {
      const { job, out } = pending.shift()!;
      const chunk = await watch.wait(`the conversion of "${job.tensor.name}" at its byte ${job.offset}`, out);
      const bytes = chunk.bytes;
      checkCancel();
      if (plan.checkData && job.tensor.from !== job.tensor.to) checkData(job, bytes, 'output');
      await watch.wait(`the output to accept ${bytes.length} bytes of "${job.tensor.name}"`, writer.write(bytes));
      checksums.set(job.tensor.name, crc32Update(checksums.get(job.tensor.name) ?? 0, bytes));
      if (chunk.quality) qualitySums.set(job.tensor.name, addSums(qualitySums.get(job.tensor.name) ?? emptySums(), chunk.quality));
      if (chunk.owned) pool.release(bytes);
      bytesIn += job.length;
      bytesOut += bytes.length;
      if (job.last) tensorsDone++;
      report(job.tensor.name);
    };
    let cur = jobs.next();
    let nextRead = cur.done ? null : readChunk(cur.value);
    while (!cur.done) {
      const job = cur.value;
      const input = await nextRead!;
      checkCancel();
      if (plan.checkData) checkData(job, input.bytes, 'input');
      const out = convert(job, input);
      out.catch(() => undefined); // awaited in order by flush; avoid an unhandled rejection meanwhile
      pending.push({ job, out });
      cur = jobs.next();
      nextRead = cur.done ? null : readChunk(cur.value);
      // one conversion per worker plus two queued, so a worker that finishes starts its next chunk
      // at once instead of waiting for this thread to write (measured 8.0-8.8 -> 7.4-7.5 s for a
      // 1 GB F16 -> Q4_K_M in the page)
      if (pending.length >= (engine.parallelism ?? 1) + 2) await flush();
    }
    while (pending.length > 0) await flush();
    await watch.wait('the output files to be finished', writer.finish());
  } catch (e) {
    await abortWithin(writer, ABORT_LIMIT_MS);
    throw opts.signal?.aborted ? new CancelledError() : e;
  } finally {
    watch.stop();
    opts.signal?.removeEventListener('abort', onAbort);
  }
  report(null, true);
  const seconds = (performance.now() - started) / 1000;
  if (!opts.qualityStats) return { files: plan.files, checksums, seconds, engine: engine.label };
  const quality = plan.tensors.flatMap((t) => {
    const s = qualitySums.get(t.name);
    return s ? [finishQuality(t.name, t.from, t.to, s)] : [];
  });
  return { files: plan.files, checksums, seconds, engine: engine.label, quality };
}

import type { TypeName } from '../codecs/catalogue';
import { chunkQualityCpu, type QualitySums } from '../codecs/quality';
import { CpuEngine, outputBytes } from './engine';

/**
 * One conversion job for a codec worker (browser Worker or Node worker_threads): the input in a
 * transferred buffer, the output written into another, both sent back for reuse.
 */
export interface CodecJob {
  readonly id: number;
  readonly from: TypeName;
  readonly to: TypeName;
  readonly elements: number;
  readonly input: ArrayBuffer;
  readonly inputLength: number;
  readonly output: ArrayBuffer;
  /** Importance weights for the rows of this chunk (copied, not transferred). */
  readonly weights?: Float32Array;
  /** Also measure the chunk's quantization error (the CPU twin, here in the codec worker's thread). */
  readonly measure?: boolean;
}

export type CodecJobResult =
  | { readonly id: number; readonly ok: true; readonly input: ArrayBuffer; readonly output: ArrayBuffer; readonly outputLength: number; readonly quality?: QualitySums }
  | { readonly id: number; readonly ok: false; readonly input: ArrayBuffer; readonly output: ArrayBuffer; readonly error: string };

const engine = new CpuEngine();

export async function runCodecJob(job: CodecJob): Promise<CodecJobResult> {
  try {
    const n = outputBytes(job.to, job.elements);
    const output = job.output.byteLength >= n ? job.output : new ArrayBuffer(n);
    const input = new Uint8Array(job.input, 0, job.inputLength);
    const out = await engine.transform(job.from, job.to, input, job.elements, new Uint8Array(output, 0, n), job.weights);
    if (job.measure) return { id: job.id, ok: true, input: job.input, output, outputLength: n, quality: chunkQualityCpu(job.from, job.to, input, out, job.elements) };
    return { id: job.id, ok: true, input: job.input, output, outputLength: n };
  } catch (e) {
    return { id: job.id, ok: false, input: job.input, output: job.output, error: e instanceof Error ? e.message : String(e) };
  }
}

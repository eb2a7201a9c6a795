import type { TypeName } from '../codecs/catalogue';
import type { QualitySums } from '../codecs/quality';
import type { CodecJob, CodecJobResult } from './codec-job';
import { CpuEngine, outputBytes, type TransformEngine } from './engine';

/** The part of a Worker (browser or worker_threads) the pool uses. */
export interface CodecPort {
  post(job: CodecJob, transfer: ArrayBuffer[]): void;
  onResult(cb: (r: CodecJobResult) => void): void;
  /** The worker died or could not load: its job will never answer, so it must fail instead. */
  onFailure?(cb: (message: string) => void): void;
  terminate(): void;
}

interface Slot {
  readonly port: CodecPort;
  readonly index: number;
  input: ArrayBuffer;
  output: ArrayBuffer;
  busy: boolean;
  /** Why the worker is unusable, once it failed. */
  failed: string | null;
}

/**
 * The CPU codecs on several threads: each chunk goes to an idle worker, with its bytes copied into
 * that worker's own input buffer (transferred there and back, so nothing is allocated per chunk).
 * This is what makes the CPU path use every core, in the browser (for adapters that are slower than
 * the CPU, such as software ones) and in the command line.
 */
export class PoolEngine implements TransformEngine {
  readonly label: string;
  readonly acceptsWeights = true;
  private readonly slots: Slot[];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<number, { slot: Slot; resolve: (r: CodecJobResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly cpu = new CpuEngine();

  constructor(ports: readonly CodecPort[]) {
    this.label = `CPU (${ports.length} threads)`;
    this.slots = ports.map((port, index) => ({ port, index, input: new ArrayBuffer(0), output: new ArrayBuffer(0), busy: false, failed: null }));
    for (const s of this.slots) {
      s.port.onResult((r) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        p.resolve(r);
      });
      s.port.onFailure?.((message) => this.fail(s, message));
    }
  }

  get parallelism(): number {
    return this.slots.length;
  }

  supports(from: TypeName, to: TypeName): boolean {
    return this.cpu.supports(from, to);
  }

  maxChunkElements(from: TypeName, to: TypeName): number {
    return this.cpu.maxChunkElements(from, to);
  }

  /** A dead worker's job fails now, and the worker takes no more (the others carry on). */
  private fail(slot: Slot, message: string): void {
    if (slot.failed !== null) return;
    slot.failed = `codec worker ${slot.index + 1} of ${this.slots.length} failed: ${message}`;
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.reject(new Error(slot.failed));
    }
    // waiters must re-check: with every worker dead they fail instead of waiting for a free one
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async idle(): Promise<Slot> {
    for (;;) {
      if (this.slots.every((x) => x.failed !== null)) throw new Error(this.slots[0]!.failed!);
      const s = this.slots.find((x) => !x.busy && x.failed === null);
      if (s) {
        s.busy = true;
        return s;
      }
      await new Promise<void>((ok) => this.waiting.push(ok));
    }
  }

  async transform(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<Uint8Array> {
    return (await this.run(from, to, bytes, elements, out, weights, false)).bytes;
  }

  /** As transform, with the chunk's quantization error measured in the codec worker (in parallel, off the executor's thread). */
  transformMeasured(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<{ bytes: Uint8Array; quality: QualitySums | null }> {
    return this.run(from, to, bytes, elements, out, weights, true);
  }

  private async run(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out: Uint8Array | undefined, weights: Float32Array | undefined, measure: boolean): Promise<{ bytes: Uint8Array; quality: QualitySums | null }> {
    const slot = await this.idle();
    try {
      if (slot.input.byteLength < bytes.length) slot.input = new ArrayBuffer(bytes.length);
      new Uint8Array(slot.input, 0, bytes.length).set(bytes);
      const id = this.nextId++;
      const done = new Promise<CodecJobResult>((resolve, reject) => this.pending.set(id, { slot, resolve, reject }));
      slot.port.post({ id, from, to, elements, input: slot.input, inputLength: bytes.length, output: slot.output, ...(weights !== undefined ? { weights } : {}), ...(measure ? { measure } : {}) }, [slot.input, slot.output]);
      const r = await done;
      slot.input = r.input;
      slot.output = r.output;
      if (!r.ok) throw new Error(r.error);
      const n = outputBytes(to, elements);
      const dst = out !== undefined && out.length >= n ? out.subarray(0, n) : new Uint8Array(n);
      dst.set(new Uint8Array(r.output, 0, r.outputLength));
      return { bytes: dst, quality: r.quality ?? null };
    } finally {
      slot.busy = false;
      this.waiting.shift()?.();
    }
  }

  dispose(): void {
    for (const s of this.slots) s.port.terminate();
  }
}

import type { ByteSink } from '../../io/byte-sink';

/** One output file whose every byte was planned: header, then each tensor followed by its padding. */
export interface PlannedPart {
  readonly name: string;
  readonly header: Uint8Array;
  readonly tensors: readonly { readonly name: string; readonly nbytes: number; readonly padAfter: number }[];
  readonly totalSize: number;
}

const ZEROS = new Uint8Array(64 * 1024);

async function writeZeros(sink: ByteSink, n: number): Promise<void> {
  while (n > 0) {
    const k = Math.min(n, ZEROS.length);
    await sink.write(ZEROS.subarray(0, k));
    n -= k;
  }
}

/**
 * Streams planned parts (one GGUF, the parts of a split GGUF, safetensors shards) to sinks.
 * Tensor bytes arrive in order, in chunks of any size that do not cross a tensor's end; the
 * writer adds the planned padding, opens the next part's sink when a part is complete, and on
 * finish() checks every tensor got exactly its planned bytes and closes all sinks. Sinks stay
 * uncommitted until then, so a failure (abort) leaves no part behind.
 */
export class PlannedStreamWriter {
  private readonly sinks: ByteSink[] = [];
  private part = 0;
  private tensor = 0;
  private written = 0;
  private failed = false;

  private constructor(
    private readonly label: string,
    private readonly parts: readonly PlannedPart[],
    private readonly openSink: (part: PlannedPart, index: number) => Promise<ByteSink>,
  ) {}

  static async start(label: string, parts: readonly PlannedPart[], openSink: (part: PlannedPart, index: number) => Promise<ByteSink>): Promise<PlannedStreamWriter> {
    const w = new PlannedStreamWriter(label, parts, openSink);
    try {
      if (parts.length > 0) await w.enterPart(0);
      await w.skipEmpty();
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w;
  }

  /** The tensor the next bytes belong to, or null when all are complete. */
  get currentTensor(): string | null {
    return this.part < this.parts.length ? this.parts[this.part]!.tensors[this.tensor]!.name : null;
  }

  private async enterPart(i: number): Promise<void> {
    const p = this.parts[i]!;
    const sink = await this.openSink(p, i);
    this.sinks.push(sink);
    await sink.write(p.header);
  }

  /** Moves past finished tensors (and zero-byte ones), writing padding and opening later parts. */
  private async skipEmpty(): Promise<void> {
    while (this.part < this.parts.length) {
      const p = this.parts[this.part]!;
      if (this.tensor < p.tensors.length) {
        const t = p.tensors[this.tensor]!;
        if (this.written < t.nbytes) return;
        await writeZeros(this.sinks[this.part]!, t.padAfter);
        this.tensor++;
        this.written = 0;
        continue;
      }
      this.part++;
      this.tensor = 0;
      if (this.part < this.parts.length) await this.enterPart(this.part);
    }
  }

  /** Appends bytes of the current tensor. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failed) throw new Error(`${this.label}: write after a failure`);
    try {
      let off = 0;
      while (off < chunk.length) {
        if (this.part >= this.parts.length) {
          throw new Error(`${this.label}: all tensors are complete but ${chunk.length - off} more bytes were written`);
        }
        const t = this.parts[this.part]!.tensors[this.tensor]!;
        const room = t.nbytes - this.written;
        const n = chunk.length - off;
        if (n > room) {
          throw new Error(`${this.label}: tensor '${t.name}' got ${this.written + n} bytes, more than its planned ${t.nbytes} (write chunks must not cross a tensor's end)`);
        }
        await this.sinks[this.part]!.write(off === 0 && n === chunk.length ? chunk : chunk.subarray(off));
        this.written += n;
        off += n;
        await this.skipEmpty();
      }
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Checks that every planned byte was written, then closes (commits) every part in order. */
  async finish(): Promise<void> {
    if (this.failed) throw new Error(`${this.label}: finish after a failure`);
    if (this.part < this.parts.length) {
      const t = this.parts[this.part]!.tensors[this.tensor]!;
      const left = this.parts.slice(this.part).reduce((n, p) => n + p.tensors.length, 0) - this.tensor;
      await this.abort();
      throw new Error(`${this.label}: tensor '${t.name}' got ${this.written} of its planned ${t.nbytes} bytes (${left} tensor(s) incomplete)`);
    }
    for (let i = 0; i < this.sinks.length; i++) {
      const s = this.sinks[i]!;
      if (s.position !== this.parts[i]!.totalSize) {
        await this.abort();
        throw new Error(`internal error: ${this.parts[i]!.name} is ${s.position} bytes, planned ${this.parts[i]!.totalSize}`);
      }
    }
    for (const s of this.sinks) await s.close();
  }

  /** Drops every part written so far. */
  async abort(): Promise<void> {
    this.failed = true;
    for (const s of this.sinks) await s.abort().catch(() => undefined);
  }
}

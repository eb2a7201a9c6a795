import { MemorySource, type ByteSource } from './byte-source';

/**
 * Where output bytes go, strictly in order. A sink is either committed (close) or discarded
 * (abort); an aborted or failed sink leaves nothing behind under the final name.
 */
export interface ByteSink {
  readonly name: string;
  /** Bytes accepted so far. */
  readonly position: number;
  write(data: Uint8Array): Promise<void>;
  /** Finishes the file and makes it visible under its name. */
  close(): Promise<void>;
  /** Drops everything written; safe to call after a failure and more than once. */
  abort(): Promise<void>;
}

/** Creates the sinks of one output (one file, or the parts of a split/sharded output). */
export interface SinkFactory {
  create(name: string, expectedSize?: number): Promise<ByteSink>;
  /** Reads back a file this factory wrote and committed (for verification after a run). */
  reopen(name: string): Promise<ByteSource>;
  /** Releases whatever reopen() holds open (file handles); reopened sources are unusable after. */
  closeReopened?(): Promise<void>;
}

/** Small outputs in memory (tests, previews). */
export class MemorySink implements ByteSink {
  private chunks: Uint8Array[] = [];
  position = 0;
  closed = false;
  constructor(readonly name: string) {}
  async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`${this.name}: write after close`);
    this.chunks.push(data.slice());
    this.position += data.length;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  async abort(): Promise<void> {
    this.chunks = [];
    this.position = 0;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.position);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export class MemorySinkFactory implements SinkFactory {
  readonly sinks = new Map<string, MemorySink>();
  async create(name: string): Promise<MemorySink> {
    const s = new MemorySink(name);
    this.sinks.set(name, s);
    return s;
  }
  async reopen(name: string): Promise<ByteSource> {
    const s = this.sinks.get(name);
    if (!s?.closed) throw new Error(`${name} was not written`);
    return new MemorySource(name, s.bytes());
  }
}

import type { ByteSink, SinkFactory } from './byte-sink';
import type { ByteSource } from './byte-source';
import { BlobSource } from './blob-source';

/**
 * Outputs written where the user chose (showSaveFilePicker / showDirectoryPicker handles) through
 * FileSystemWritableFileStream: the browser writes to a swap file and only replaces the target on
 * close(), so an aborted run leaves the target as it was (a file created for the run is removed).
 */
/**
 * Streams with a write or close in progress, held so that a collection cannot take a stream whose
 * pending promise only the awaiting code refers to (that lost wake-up froze Blob reads; see
 * BlobSource).
 */
const busyStreams = new Set<FileSystemWritableFileStream>();

async function holding<T>(stream: FileSystemWritableFileStream, op: Promise<T>): Promise<T> {
  busyStreams.add(stream);
  try {
    return await op;
  } finally {
    busyStreams.delete(stream);
  }
}

class WritableSink implements ByteSink {
  position = 0;
  private done = false;
  constructor(
    readonly name: string,
    private readonly stream: FileSystemWritableFileStream,
    private readonly cleanup: () => Promise<void>,
  ) {}

  async write(data: Uint8Array): Promise<void> {
    await holding(this.stream, this.stream.write(data as Uint8Array<ArrayBuffer>));
    this.position += data.length;
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await holding(this.stream, this.stream.close());
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.stream.abort().catch(() => undefined);
    await this.cleanup().catch(() => undefined);
  }
}

export type SaveTarget = { readonly kind: 'file'; readonly handle: FileSystemFileHandle } | { readonly kind: 'directory'; readonly handle: FileSystemDirectoryHandle };

export class HandleSinkFactory implements SinkFactory {
  private readonly handles = new Map<string, FileSystemFileHandle>();
  constructor(private readonly target: SaveTarget) {}

  /** A single-file target takes the one output whatever its planned name; a folder takes any. */
  private async handleFor(name: string, create: boolean): Promise<{ handle: FileSystemFileHandle; created: boolean }> {
    const known = this.handles.get(name);
    if (known) return { handle: known, created: false };
    if (this.target.kind === 'file') {
      if (this.handles.size > 0) throw new Error(`the chosen file can hold one output, but the run also writes ${name}`);
      this.handles.set(name, this.target.handle);
      return { handle: this.target.handle, created: false };
    }
    let created = false;
    try {
      await this.target.handle.getFileHandle(name);
    } catch {
      created = create;
    }
    const handle = await this.target.handle.getFileHandle(name, { create });
    this.handles.set(name, handle);
    return { handle, created };
  }

  async create(name: string): Promise<ByteSink> {
    const { handle, created } = await this.handleFor(name, true);
    const stream = await handle.createWritable({ keepExistingData: false });
    const dir = this.target.kind === 'directory' ? this.target.handle : null;
    return new WritableSink(name, stream, async () => {
      if (created && dir) await dir.removeEntry(name);
    });
  }

  async reopen(name: string): Promise<ByteSource> {
    const { handle } = await this.handleFor(name, false);
    return new BlobSource(await handle.getFile(), name);
  }
}

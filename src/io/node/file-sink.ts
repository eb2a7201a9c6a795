import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { ByteSink, SinkFactory } from '../byte-sink';
import type { ByteSource } from '../byte-source';
import { NodeFileSource } from './file-source';

/**
 * Writes to `<dir>/.<name>.partial` and renames onto the final path on close, so a failed or
 * cancelled run never leaves a half-written file under the name the user asked for.
 */
export class NodeFileSink implements ByteSink {
  position = 0;
  private done = false;
  private constructor(
    readonly name: string,
    private readonly finalPath: string,
    private readonly tmpPath: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(path: string): Promise<NodeFileSink> {
    const tmp = join(dirname(path), `.${basename(path)}.partial`);
    const fh = await open(tmp, 'w');
    return new NodeFileSink(basename(path), path, tmp, fh);
  }

  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
    this.position += data.length;
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close();
    await rename(this.tmpPath, this.finalPath);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmpPath).catch(() => undefined);
  }
}

export class NodeDirSinkFactory implements SinkFactory {
  private readonly opened: NodeFileSource[] = [];
  constructor(private readonly dir: string) {}
  create(name: string): Promise<NodeFileSink> {
    return NodeFileSink.create(join(this.dir, name));
  }
  async reopen(name: string): Promise<ByteSource> {
    const src = await NodeFileSource.open(join(this.dir, name));
    this.opened.push(src);
    return src;
  }
  /** Closes the files reopen() opened. */
  async closeReopened(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((s) => s.close()));
  }
}

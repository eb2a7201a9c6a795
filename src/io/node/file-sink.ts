import { unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import type { ByteSink, SinkFactory } from '../byte-sink';
import type { ByteSource } from '../byte-source';
import { NodeFileSource } from './file-source';
import { OutputFileError } from './fs-errors';

/** The file operations a sink uses. */
export interface SinkFs {
  open(path: string, flags: string): Promise<FileHandle>;
}

/**
 * What sinks use unless given their own: a test seam. Tests replace `open` (and restore it) to
 * make the command line meet a full disk or a read-only file system without root.
 */
export const sinkFs: SinkFs = { open: (p, f) => open(p, f) };

/**
 * A temporary name beside the final one (same file system, so the rename is atomic), hidden, and
 * unique to this run: two runs writing the same output must never write into one file.
 */
function temporaryPath(finalPath: string): string {
  const stem = basename(finalPath).slice(0, 180); // room for the suffix within NAME_MAX
  return join(dirname(finalPath), `.${stem}.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
}

type State = 'open' | 'closed' | 'committed' | 'removed';

/**
 * Writes to a temporary file and renames it onto the final path on commit, so a failed or
 * cancelled run never leaves a half-written file under the name the user asked for. Every error
 * names the final path as the user spelled it (`display`), never the temporary one.
 */
export class NodeFileSink implements ByteSink {
  position = 0;
  private state: State = 'open';
  private constructor(
    readonly name: string,
    readonly finalPath: string,
    readonly tmpPath: string,
    private readonly display: string,
    private readonly fh: FileHandle,
    private readonly expectedSize: number | undefined,
    /** Commit on close (a lone file); false while the output still has to be verified. */
    private readonly commitOnClose: boolean,
  ) {}

  /** A sink that commits on close (no verification step in between). */
  static async create(path: string, opts: { display?: string; expectedSize?: number; commitOnClose?: boolean; fs?: SinkFs; tmpPath?: string } = {}): Promise<NodeFileSink> {
    const tmp = opts.tmpPath ?? temporaryPath(path);
    const display = opts.display ?? path;
    let fh: FileHandle;
    try {
      // 'wx': never write into a file someone else made under the same name
      fh = await (opts.fs ?? sinkFs).open(tmp, 'wx');
    } catch (e) {
      throw OutputFileError.from(display, e, { needs: opts.expectedSize });
    }
    return new NodeFileSink(basename(path), path, tmp, display, fh, opts.expectedSize, opts.commitOnClose ?? true);
  }

  get committed(): boolean {
    return this.state === 'committed';
  }

  /** Where the bytes are now: the temporary file until commit. */
  get currentPath(): string {
    return this.state === 'committed' ? this.finalPath : this.tmpPath;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw new Error(`internal error: write to ${this.display} after close`);
    let off = 0;
    try {
      while (off < data.length) {
        const { bytesWritten } = await this.fh.write(data, off, data.length - off);
        off += bytesWritten;
      }
    } catch (e) {
      throw OutputFileError.from(this.display, e, { needs: this.expectedSize, written: this.position + off });
    }
    this.position += data.length;
  }

  /** Flushes and closes the temporary file; renames it too unless the factory defers that. */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    try {
      await this.fh.close();
      this.state = 'closed';
    } catch (e) {
      await this.abort();
      throw OutputFileError.from(this.display, e, { needs: this.expectedSize, written: this.position });
    }
    if (this.commitOnClose) await this.commit();
  }

  /** Moves the closed temporary file onto the final path; on failure removes it. */
  async commit(): Promise<void> {
    if (this.state === 'committed') return;
    if (this.state !== 'closed') throw new Error(`internal error: commit of ${this.display} before close`);
    try {
      await rename(this.tmpPath, this.finalPath);
      this.state = 'committed';
    } catch (e) {
      await this.abort();
      throw OutputFileError.from(this.display, e);
    }
  }

  /** Removes the temporary file, open or closed; a committed file stays. Safe to repeat. */
  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'removed') return;
    const wasOpen = this.state === 'open';
    this.state = 'removed';
    if (wasOpen) await this.fh.close().catch(() => undefined);
    await unlink(this.tmpPath).catch(() => undefined);
  }

  /** abort() for a process about to exit: no awaiting, the descriptor dies with the process. */
  abortSync(): void {
    // 'removed' too: an async abort() may have set it with its unlink still queued, and the process
    // is about to exit before that unlink runs (a double Ctrl-C under load left the file so)
    if (this.state === 'committed') return;
    this.state = 'removed';
    try {
      unlinkSync(this.tmpPath);
    } catch {
      // already gone
    }
  }
}

export interface NodeSinkOptions {
  /** The final path of a planned file name; by default `<dir>/<name>`. */
  pathOf?(name: string): string;
  /** The path as messages show it (as the user typed it); by default the final path. */
  displayOf?(name: string): string;
  /**
   * Keep closed files under their temporary names until commit(), so verification reads them
   * before anything appears under the final names.
   */
  deferCommit?: boolean;
  fs?: SinkFs;
}

/** The files of one output, written into one folder. */
export class NodeDirSinkFactory implements SinkFactory {
  private readonly opened: NodeFileSource[] = [];
  private readonly sinks = new Map<string, NodeFileSink>();
  /** Temporary files being created: known before open() returns, so a forced exit still removes them. */
  private readonly creating = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly opts: NodeSinkOptions = {},
  ) {}

  pathOf(name: string): string {
    return this.opts.pathOf?.(name) ?? join(this.dir, name);
  }

  async create(name: string, expectedSize?: number): Promise<NodeFileSink> {
    const path = this.pathOf(name);
    const tmpPath = temporaryPath(path);
    this.creating.add(tmpPath);
    try {
      const sink = await NodeFileSink.create(path, {
        display: this.opts.displayOf?.(name) ?? path,
        expectedSize,
        commitOnClose: this.opts.deferCommit !== true,
        fs: this.opts.fs,
        tmpPath,
      });
      this.sinks.set(name, sink);
      return sink;
    } finally {
      this.creating.delete(tmpPath);
    }
  }

  /** Opens what a sink wrote (its temporary file before commit), named by its final name. */
  async reopen(name: string): Promise<ByteSource> {
    const sink = this.sinks.get(name);
    const src = await NodeFileSource.open(sink?.currentPath ?? this.pathOf(name), name);
    this.opened.push(src);
    return src;
  }

  /** Closes the files reopen() opened. */
  async closeReopened(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((s) => s.close()));
  }

  /** Renames every closed file onto its final name, in order; on a failure removes the rest. */
  async commit(): Promise<void> {
    await this.closeReopened();
    try {
      for (const s of this.sinks.values()) await s.commit();
    } catch (e) {
      await this.discard();
      throw e;
    }
  }

  /** Removes every temporary file this factory made (committed files stay). */
  async discard(): Promise<void> {
    await this.closeReopened().catch(() => undefined);
    for (const s of this.sinks.values()) await s.abort();
  }

  /** discard() for a process about to exit. */
  discardSync(): void {
    for (const s of this.sinks.values()) s.abortSync();
    for (const p of this.creating) {
      try {
        unlinkSync(p);
      } catch {
        // not created yet, or gone
      }
    }
  }
}
